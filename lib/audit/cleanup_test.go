package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
)

func days(n int) *int { return &n }

func TestCleanupValidate(t *testing.T) {
	bad := map[string]CleanupOptions{
		"refusing":     {},
		"refusing ":    {DryRun: true},
		"--all":        {All: true, OlderThan: days(3)},
		"--older-than": {OlderThan: days(-1)},
		"--keep":       {Keep: -2},
	}
	for want, o := range bad {
		err := o.Validate()
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), strings.TrimSpace(want)) {
			t.Errorf("%+v: %v, want a usage error starting %q", o, err, want)
		}
	}
	for _, o := range []CleanupOptions{{All: true}, {OlderThan: days(0)}, {Keep: 1}, {All: true, Keep: 2, DryRun: true}} {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

func TestPlanCleanup(t *testing.T) {
	st := newStore(t)
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	st.add("d1", "2026-05-09T12:00:00Z", true, nil, "a")  // 1 day
	st.add("d5", "2026-05-05T12:00:00Z", true, nil, "b")  // 5 days
	st.add("d9", "2026-05-01T14:00:00+02:00", false, nil) // 9 days, incomplete
	st.add("bad-time", "whenever", true, nil, "c")
	live := st.add("live", "2026-01-01T00:00:00Z", false, nil, "d")
	release, err := session.HoldRunning(live)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	st.damage("broken")
	// A rollback-only session is never a candidate.
	rb := t.TempDir()
	os.MkdirAll(filepath.Join(rb, "rbonly"), 0o700)
	session.Write(filepath.Join(rb, "rbonly"), &session.Session{SessionID: "rbonly", Started: "2020-01-01T00:00:00Z"})
	entries, err := session.List(st.root, rb)
	if err != nil {
		t.Fatal(err)
	}
	plan := func(o CleanupOptions) string {
		p := PlanCleanup(entries, o, now)
		if p.Found != 6 || p.Removable != 5 {
			t.Errorf("%+v: found %d removable %d", o, p.Found, p.Removable)
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
		o    CleanupOptions
		want string
	}{
		{CleanupOptions{All: true}, "d1 d5 d9 bad-time broken"},
		{CleanupOptions{OlderThan: days(4)}, "d5 d9"},
		{CleanupOptions{OlderThan: days(5)}, "d9"}, // exactly 5 days is not older
		{CleanupOptions{OlderThan: days(0)}, "d1 d5 d9"},
		{CleanupOptions{OlderThan: days(4), Keep: 1}, "d9"},
		{CleanupOptions{Keep: 2}, "d9 bad-time"}, // damaged only with --all
		{CleanupOptions{All: true, Keep: 4}, "broken"},
		{CleanupOptions{All: true, Keep: 10}, ""},
	}
	for _, c := range cases {
		if got := plan(c.o); got != c.want {
			t.Errorf("%+v: selected %q, want %q", c.o, got, c.want)
		}
	}
}

func TestCleanupRemovesOnlySelected(t *testing.T) {
	st := newStore(t)
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	old := st.add("old", "2026-01-01T00:00:00Z", true, nil, "old-cmd")
	st.add("new", "2026-05-10T11:00:00Z", true, nil, "new-cmd")
	os.WriteFile(filepath.Join(old, session.EventsFileName), make([]byte, 2000), 0o600)
	// A symlink inside the session pointing outside the root: removal
	// unlinks it and leaves its target alone.
	outside := t.TempDir()
	victim := filepath.Join(outside, "keep.txt")
	os.WriteFile(victim, []byte("precious"), 0o600)
	os.Symlink(outside, filepath.Join(old, "escape"))
	ledger := filepath.Join(st.root, "ledger.ndjson")
	os.WriteFile(ledger, []byte("{}\n"), 0o600)

	entries, _ := session.List(st.root, "")
	p := PlanCleanup(entries, CleanupOptions{OlderThan: days(30)}, now)
	var b strings.Builder
	if err := Cleanup(&b, st.root, p, true); err != nil {
		t.Fatal(err)
	}
	size := human.Size(p.Bytes)
	want := "nono Dry run: would remove 1 audit session(s) (" + size + ")\n  old old-cmd (" + size + ")\n"
	if b.String() != want {
		t.Fatalf("dry run:\n%s\nwant:\n%s", b.String(), want)
	}
	if _, err := os.Stat(old); err != nil {
		t.Fatal("dry run removed the session")
	}
	b.Reset()
	if err := Cleanup(&b, st.root, p, false); err != nil {
		t.Fatal(err)
	}
	if b.String() != "nono Removed 1 audit session(s), freed "+size+".\n" {
		t.Fatalf("cleanup said %q", b.String())
	}
	if _, err := os.Lstat(old); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old still there: %v", err)
	}
	for _, p := range []string{victim, ledger, filepath.Join(st.root, "new", session.FileName)} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s was removed", p)
		}
	}
}

func TestCleanupMessages(t *testing.T) {
	cases := []struct {
		plan CleanupPlan
		want string
	}{
		{CleanupPlan{}, "nono No audit sessions to clean up.\n"},
		{CleanupPlan{Found: 2}, "nono No removable audit sessions found.\n"},
		{CleanupPlan{Found: 2, Removable: 1}, "nono Nothing to clean up.\n"},
	}
	for _, c := range cases {
		var b strings.Builder
		if err := Cleanup(&b, t.TempDir(), &c.plan, false); err != nil || b.String() != c.want {
			t.Errorf("%+v: %q, %v", c.plan, b.String(), err)
		}
	}
}

func TestRemoveSessionRefuses(t *testing.T) {
	st := newStore(t)
	target := st.add("target", "2026-01-01T00:00:00Z", true, nil, "x")
	os.Symlink(target, filepath.Join(st.root, "link"))
	os.WriteFile(filepath.Join(st.root, "file"), nil, 0o600)
	live := st.add("live", "2026-01-01T00:00:00Z", false, nil, "x")
	release, _ := session.HoldRunning(live)
	defer release()
	for id, want := range map[string]string{
		"link": "not a directory", "file": "not a directory", "live": "running",
		"../target": "invalid session ID", "": "invalid session ID",
	} {
		if err := RemoveSession(st.root, id); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("RemoveSession(%q) = %v, want %q", id, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(target, session.FileName)); err != nil {
		t.Fatal("symlink target was removed")
	}
}
