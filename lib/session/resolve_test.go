package session_test

import (
	"errors"
	"path/filepath"
	"strings"
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

func TestResolvePrefixesAndNewest(t *testing.T) {
	st := sessiontest.New(t)
	st.Add("3f9a0c1d2e4b5a69", "2026-01-03T00:00:00Z", true, nil, "claude")
	st.Add("3f01bb00aa11cc22", "2026-01-01T00:00:00Z", true, nil, "make", "test")
	st.Add("a4d0e6b27c913f55", "2026-01-02T00:00:00Z", true, nil, "sh")
	st.Add("-1", "2020-01-01T00:00:00Z", true, nil, "odd") // a whole ID wins over -1
	store := st.Store()
	want := map[string]string{
		"a4d": "a4d0e6b27c913f55", "3f9": "3f9a0c1d2e4b5a69", "3f01bb00aa11cc22": "3f01bb00aa11cc22",
		"latest": "3f9a0c1d2e4b5a69", "-1": "-1", "-2": "a4d0e6b27c913f55", "latest~3": "3f01bb00aa11cc22",
	}
	for arg, id := range want {
		if e, err := store.Resolve(session.AuditSide, arg); err != nil || e.ID != id {
			t.Errorf("Resolve(%q) = %v, %v; want %s", arg, e, err, id)
		}
	}
	_, err := store.Resolve(session.AuditSide, "3f")
	var amb *session.AmbiguousError
	var ue *session.UsageError
	if !errors.As(err, &amb) || !errors.As(err, &ue) || len(amb.Candidates) != 2 || amb.Candidates[0].ID != "3f9a0c1d2e4b5a69" {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	if !strings.Contains(err.Error(), "3f01bb00aa11cc22  ") || !strings.Contains(err.Error(), "make test") {
		t.Errorf("candidates not listed: %v", err)
	}
	for _, arg := range []string{"zz", "-9", "latest~9", "-0", "-01"} {
		if _, err := store.Resolve(session.AuditSide, arg); !errors.Is(err, session.ErrNotFound) || !errors.As(err, &ue) {
			t.Errorf("Resolve(%q) = %v, want a usage error wrapping ErrNotFound", arg, err)
		}
	}
	if _, err := (&session.Store{AuditRoot: t.TempDir()}).Resolve(session.AuditSide, "latest"); err == nil || !strings.Contains(err.Error(), "there are no sessions") {
		t.Errorf("latest of nothing: %v", err)
	}
}

func TestNewestArgs(t *testing.T) {
	cases := map[string]string{
		"nono-audit show -1":               "nono-audit show latest~1",
		"nono-audit show -12 --json":       "nono-audit show latest~12 --json",
		"nono-audit list --recent -1":      "nono-audit list --recent -1", // a flag's value
		"nono-audit show -- -1":            "nono-audit show -- -1",
		"nono-audit show -x -0 -1a":        "nono-audit show -x -0 -1a",
		"nono-snapshot restore -2 --force": "nono-snapshot restore latest~2 --force",
	}
	for in, want := range cases {
		if got := strings.Join(session.NewestArgs(strings.Fields(in)), " "); got != want {
			t.Errorf("NewestArgs(%q) = %q, want %q", in, got, want)
		}
	}
}
