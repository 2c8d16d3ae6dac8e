package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/session/sessiontest"
)

func days(n int) *int { return &n }

func TestCleanupRemovesOnlySelected(t *testing.T) {
	st := sessiontest.New(t)
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	old := st.Add("old", "2026-01-01T00:00:00Z", true, nil, "old-cmd")
	st.Add("new", "2026-05-10T11:00:00Z", true, nil, "new-cmd")
	os.WriteFile(filepath.Join(old, session.EventsFileName), make([]byte, 2000), 0o600)
	// A symlink inside the session pointing outside the root: removal
	// unlinks it and leaves its target alone.
	outside := t.TempDir()
	victim := filepath.Join(outside, "keep.txt")
	os.WriteFile(victim, []byte("precious"), 0o600)
	os.Symlink(outside, filepath.Join(old, "escape"))
	ledger := filepath.Join(st.Dir, "ledger.ndjson")
	os.WriteFile(ledger, []byte("{}\n"), 0o600)

	p := session.PlanCleanup(st.List(), session.CleanupOptions{OlderThan: days(30)}, now)
	var b strings.Builder
	if err := WriteCleanup(&b, &Cleanup{Plan: p, DryRun: true}); err != nil {
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
	removed, failed := session.Cleanup(p)
	if err := WriteCleanup(&b, &Cleanup{Plan: p, Removed: removed, Failed: failed}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "nono Removed 1 audit session(s), freed "+size+".\n" {
		t.Fatalf("cleanup said %q", b.String())
	}
	if _, err := os.Lstat(old); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old still there: %v", err)
	}
	for _, p := range []string{victim, ledger, filepath.Join(st.Dir, "new", session.FileName)} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s was removed", p)
		}
	}
}

func TestCleanupMessages(t *testing.T) {
	cases := []struct {
		side session.Side
		plan session.CleanupPlan
		want string
	}{
		{session.AuditSide, session.CleanupPlan{}, "nono No audit sessions to clean up.\n"},
		{session.AuditSide, session.CleanupPlan{Found: 2}, "nono No removable audit sessions found.\n"},
		{session.AuditSide, session.CleanupPlan{Found: 2, Removable: 1}, "nono Nothing to clean up.\n"},
		{session.RollbackSide, session.CleanupPlan{Found: 2, Removable: 1}, "nono No rollback entries to clean up.\n"},
		{session.RollbackSide, session.CleanupPlan{Found: 2, Running: 2}, "nono 2 rollback session(s) still running, skipping those.\nnono No rollback entries to clean up.\n"},
	}
	for _, c := range cases {
		var b strings.Builder
		if err := WriteCleanup(&b, &Cleanup{Side: c.side, Plan: &c.plan}); err != nil || b.String() != c.want {
			t.Errorf("%+v: %q, %v", c.plan, b.String(), err)
		}
	}
}

// One JSON shape for both cleanups: what was chosen, removed and not.
func TestCleanupValueFailedRemoval(t *testing.T) {
	gone := &session.Entry{ID: "gone", Dir: "/a/gone", AuditDir: "/a/gone", Status: session.Completed,
		Session: &session.Session{Command: []string{"make"}}}
	stuck := &session.Entry{ID: "stuck", Dir: "/a/stuck", AuditDir: "/a/stuck", Status: session.Damaged}
	c := &Cleanup{
		Side: session.AuditSide,
		Plan: &session.CleanupPlan{Found: 3, Running: 1, Removable: 2, Bytes: 30,
			Selected: []session.Candidate{{Entry: gone, Size: 10}, {Entry: stuck, Size: 20}}},
		Removed: []session.Candidate{{Entry: gone, Size: 10}},
		Failed:  []session.Removal{{Entry: stuck, Err: errors.New("permission denied")}},
	}
	got := string(canon.Compact(CleanupValue(c)))
	for _, want := range []string{
		`"side":"audit","dry_run":false,"found":3,"running":1,"removable":2,`,
		`{"session_id":"gone","dir":"/a/gone","status":"completed","started_utc":null,"command":["make"],"bytes":10}`,
		`{"session_id":"stuck","dir":"/a/stuck","status":"damaged","started_utc":null,"command":null,"bytes":20}`,
		`"selected_bytes":30,"removed":["gone"],"failed":[{"session_id":"stuck","error":"permission denied"}],"objects":0,"object_bytes":0,"freed_bytes":10}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "failed to remove 1 audit session(s)") {
		t.Errorf("Err() = %v", err)
	}
}
