package ledger

import (
	"slices"
	"testing"

	"github.com/nono-audit/nono/lib/session"
)

func TestCheckCoverage(t *testing.T) {
	entry := func(id string, st session.Status, auditDir string) *session.Entry {
		return &session.Entry{ID: id, Status: st, AuditDir: auditDir}
	}
	res := &Result{SessionIDs: []string{"kept", "cleaned", "failed-appended"}}
	cov := CheckCoverage(res, []*session.Entry{
		entry("kept", session.Completed, "/a/kept"),
		entry("lost", session.Completed, "/a/lost"),
		entry("crashed", session.Incomplete, "/a/crashed"),
		entry("broken", session.Damaged, "/a/broken"),
		entry("failed-appended", session.Incomplete, "/a/failed-appended"),
		entry("live", session.Running, "/a/live"),
		entry("rollback-only", session.Completed, ""),
	})
	if want := []string{"lost"}; !slices.Equal(cov.Unrecorded, want) {
		t.Errorf("Unrecorded = %q, want %q", cov.Unrecorded, want)
	}
	if want := []string{"broken", "crashed"}; !slices.Equal(cov.Failed, want) {
		t.Errorf("Failed = %q, want %q", cov.Failed, want)
	}
	if want := []string{"cleaned"}; !slices.Equal(cov.Gone, want) {
		t.Errorf("Gone = %q, want %q", cov.Gone, want)
	}
}
