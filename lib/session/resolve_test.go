package session_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/session/sessiontest"
)

func TestResolve(t *testing.T) {
	st := sessiontest.New(t)
	dir := st.Add("s1", "2026-01-01T00:00:00Z", true, nil, "x")
	store := st.Store()
	if e, err := store.Resolve(session.AuditSide, "s1"); err != nil || e.Dir != dir {
		t.Fatalf("by ID: %+v, %v", e, err)
	}
	if e, err := (&session.Store{}).Locate(session.AuditSide, dir+"/"); err != nil || e.ID != "s1" {
		t.Fatalf("by path: %+v, %v", e, err)
	}
	for _, arg := range []string{"", "..", "a b", "x\x00"} {
		var ue *session.UsageError
		if _, err := store.Resolve(session.AuditSide, arg); !errors.As(err, &ue) {
			t.Errorf("Resolve(%q) = %v, want a usage error", arg, err)
		}
	}
	if _, err := store.Locate(session.AuditSide, filepath.Join(st.Dir, "..", "nope")); err == nil {
		t.Error("missing directory accepted")
	}
	if _, err := store.Resolve(session.AuditSide, "nope"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("unknown ID: %v", err)
	}
}
