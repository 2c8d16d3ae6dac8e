package stores

import (
	"reflect"
	"testing"

	"github.com/nono-audit/nono/lib/sandbox"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRoots(t *testing.T) {
	cases := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"NONO_AUDIT_DIR": "/a/b", "XDG_STATE_HOME": "/s", "HOME": "/h"}, "/a/b"},
		{map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}, "/s/nono/audit"},
		{map[string]string{"XDG_STATE_HOME": "rel", "HOME": "/h"}, "/h/.nono/audit"},
		{map[string]string{"HOME": "/h"}, "/h/.nono/audit"},
	}
	for _, c := range cases {
		got, err := AuditRoot(env(c.vars))
		if err != nil || got != c.want {
			t.Errorf("AuditRoot(%v) = %q, %v; want %q", c.vars, got, err, c.want)
		}
	}
	if _, err := AuditRoot(env(map[string]string{"NONO_AUDIT_DIR": "rel"})); err == nil {
		t.Error("relative NONO_AUDIT_DIR accepted")
	}
	if got, _ := RollbackRoot(env(map[string]string{"XDG_STATE_HOME": "/s"})); got != "/s/nono/rollbacks" {
		t.Errorf("RollbackRoot = %q", got)
	}
}

func TestConfigPath(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/nono/config.toml"},
		{map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": "/h"}, "/h/.config/nono/config.toml"},
		{map[string]string{"HOME": "/h"}, "/h/.config/nono/config.toml"},
		{map[string]string{}, ""},
	} {
		if got := ConfigPath(env(tc.env)); got != tc.want {
			t.Errorf("ConfigPath(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestProtected(t *testing.T) {
	got := Protected(env(map[string]string{"HOME": "/h", "NONO_ROLLBACK_DIR": "/r"}))
	want := []sandbox.Store{
		{Path: "/h/.nono/audit", Name: "audit root"},
		{Path: "/r", Name: "rollback root"},
		{Path: "/h/.config/nono", Name: "configuration directory"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Protected = %v, want %v", got, want)
	}
	// Without HOME nothing can be named, and nothing is stored either.
	if got := Protected(env(map[string]string{"NONO_AUDIT_DIR": "/a"})); len(got) != 1 || got[0].Path != "/a" {
		t.Errorf("Protected without HOME = %v", got)
	}
}
