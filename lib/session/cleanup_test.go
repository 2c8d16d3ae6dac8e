package session_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/session/sessiontest"
)

func days(n int) *int { return &n }

func TestCleanupValidate(t *testing.T) {
	bad := map[string]session.CleanupOptions{
		"--all":        {All: true, OlderThan: days(3)},
		"--older-than": {OlderThan: days(-1)},
		"--keep":       {Keep: days(-2)},
	}
	for want, o := range bad {
		err := o.Validate()
		var ue *session.UsageError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%+v: %v, want a usage error starting %q", o, err, want)
		}
	}
	if err := (session.CleanupOptions{}).Validate(); !errors.Is(err, session.ErrNoSelection) {
		t.Errorf("no selection: %v", err)
	}
	for _, o := range []session.CleanupOptions{{All: true}, {OlderThan: days(0)}, {Keep: days(1)}, {Keep: days(0)}, {All: true, Keep: days(2)}} {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

func TestPlanCleanup(t *testing.T) {
	st := sessiontest.New(t)
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	st.Add("d1", "2026-05-09T12:00:00Z", true, nil, "a")  // 1 day
	st.Add("d5", "2026-05-05T12:00:00Z", true, nil, "b")  // 5 days
	st.Add("d9", "2026-05-01T14:00:00+02:00", false, nil) // 9 days, incomplete
	st.Add("bad-time", "whenever", true, nil, "c")
	live := st.Add("live", "2026-01-01T00:00:00Z", false, nil, "d")
	release, err := session.HoldRunning(live)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	st.Damage("broken")
	// A rollback-only session is never a candidate of an audit cleanup.
	rb := t.TempDir()
	os.MkdirAll(filepath.Join(rb, "rbonly"), 0o700)
	session.Write(filepath.Join(rb, "rbonly"), &session.Session{SessionID: "rbonly", Started: "2020-01-01T00:00:00Z"})
	entries, err := (&session.Store{AuditRoot: st.Dir, RollbackRoots: []string{rb}}).List(session.AuditSide)
	if err != nil {
		t.Fatal(err)
	}
	plan := func(o session.CleanupOptions) string {
		p := session.PlanCleanup(entries, o, now)
		if p.Found != 6 || p.Running != 1 || p.Removable != 5 {
			t.Errorf("%+v: found %d running %d removable %d", o, p.Found, p.Running, p.Removable)
		}
		var out []string
		var total int64
		for _, c := range p.Selected {
			out = append(out, c.Entry.ID)
			total += c.Size
		}
		if total != p.Bytes {
			t.Errorf("bytes %d != sum %d", p.Bytes, total)
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		o    session.CleanupOptions
		want string
	}{
		{session.CleanupOptions{All: true}, "d1 d5 d9 bad-time broken"},
		{session.CleanupOptions{OlderThan: days(4)}, "d5 d9"},
		{session.CleanupOptions{OlderThan: days(5)}, "d9"}, // exactly 5 days is not older
		{session.CleanupOptions{OlderThan: days(0)}, "d1 d5 d9"},
		{session.CleanupOptions{OlderThan: days(4), Keep: days(1)}, "d9"},
		{session.CleanupOptions{Keep: days(2)}, "d9 bad-time"}, // damaged only with --all
		{session.CleanupOptions{Keep: days(0)}, "d1 d5 d9 bad-time"},
		{session.CleanupOptions{All: true, Keep: days(4)}, "broken"},
		{session.CleanupOptions{All: true, Keep: days(10)}, ""},
	}
	for _, c := range cases {
		if got := plan(c.o); got != c.want {
			t.Errorf("%+v: selected %q, want %q", c.o, got, c.want)
		}
	}
}

// A rollback cleanup removes rollback directories only: the audit
// directory of the same session stays.
func TestCleanupRollbackSide(t *testing.T) {
	audit := sessiontest.New(t)
	audit.Add("s1", "2026-01-01T00:00:00Z", true, nil, "x")
	rb := sessiontest.New(t)
	rbDir := rb.Add("s1", "2026-01-01T00:00:00Z", true, nil, "x")
	rb.Add("s2", "2026-01-02T00:00:00Z", true, nil, "y")
	st := &session.Store{AuditRoot: audit.Dir, RollbackRoots: []string{rb.Dir}}
	entries, err := st.List(session.RollbackSide)
	if err != nil {
		t.Fatal(err)
	}
	plan := session.PlanCleanup(entries, session.CleanupOptions{Keep: days(1)}, time.Now())
	if len(plan.Selected) != 1 || plan.Selected[0].Entry.ID != "s1" {
		t.Fatalf("selected %+v", plan.Selected)
	}
	removed, failed := session.Cleanup(plan)
	if len(removed) != 1 || len(failed) != 0 {
		t.Fatalf("removed %d, failed %v", len(removed), failed)
	}
	if _, err := os.Lstat(rbDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("rollback directory still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(audit.Dir, "s1", session.FileName)); err != nil {
		t.Fatalf("the audit directory was touched: %v", err)
	}
}

func TestRemoveRefuses(t *testing.T) {
	st := sessiontest.New(t)
	target := st.Add("target", "2026-01-01T00:00:00Z", true, nil, "x")
	os.Symlink(target, filepath.Join(st.Dir, "link"))
	os.WriteFile(filepath.Join(st.Dir, "file"), nil, 0o600)
	live := st.Add("live", "2026-01-01T00:00:00Z", false, nil, "x")
	release, _ := session.HoldRunning(live)
	defer release()
	for id, want := range map[string]string{
		"link": "not a directory", "file": "not a directory", "live": "running",
		"../target": "invalid session ID", "": "invalid session ID",
	} {
		e := &session.Entry{ID: id, Side: session.AuditSide, AuditDir: filepath.Join(st.Dir, id)}
		if err := session.Remove(e); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Remove(%q) = %v, want %q", id, err, want)
		}
	}
	// A rollback directory without a session.json is the store's own.
	os.Mkdir(filepath.Join(st.Dir, "objects"), 0o700)
	e := &session.Entry{ID: "objects", Side: session.RollbackSide, RollbackDir: filepath.Join(st.Dir, "objects")}
	if err := session.Remove(e); err == nil || !strings.Contains(err.Error(), "no session.json") {
		t.Errorf("Remove(objects) = %v", err)
	}
	if _, err := os.Stat(filepath.Join(target, session.FileName)); err != nil {
		t.Fatal("symlink target was removed")
	}
}
