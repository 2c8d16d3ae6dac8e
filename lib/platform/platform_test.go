package platform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLocate(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		base string
	}{
		{map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}, "/s/nono"},
		{map[string]string{"XDG_STATE_HOME": "rel", "HOME": "/h"}, "/h/.nono"},
		{map[string]string{"HOME": "/h"}, "/h/.nono"},
	} {
		p, err := Locate(env(tc.env))
		if err != nil || p.Base != tc.base || p.Outbox != tc.base+"/audit-outbox" || p.Key != tc.base+"/platform.key" {
			t.Errorf("%v: %+v %v", tc.env, p, err)
		}
	}
	if _, err := Locate(env(map[string]string{"HOME": "rel"})); err == nil {
		t.Error("relative HOME accepted")
	}
}

func TestCheckOutsideProject(t *testing.T) {
	p := Paths{Base: "/home/u/proj/.state/nono"}
	if err := p.CheckOutsideProject("/home/u/proj", "/home/u"); err == nil || !strings.Contains(err.Error(), "inside the working directory") {
		t.Errorf("inside a project: %v", err)
	}
	for _, cwd := range []string{"/home/u", "/home", "/", "/elsewhere", ""} {
		if err := p.CheckOutsideProject(cwd, "/home/u"); err != nil {
			t.Errorf("cwd %s: %v", cwd, err)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	p, _ := Locate(env(map[string]string{"XDG_STATE_HOME": dir}))
	if Enrolled(env(map[string]string{"XDG_STATE_HOME": dir})) {
		t.Fatal("enrolled before saving")
	}
	if _, err := Load(p); err != ErrNotEnrolled {
		t.Fatalf("load: %v", err)
	}
	name := "laptop"
	st := &State{URL: "https://x", TenantID: "acme", SubjectID: "s-1", SubjectKind: "device", ManagementMode: "audit_only",
		DisplayName: &name, EnrolledAt: "2026-01-01T00:00:00Z", KeyFile: p.Key}
	if err := Save(p, st); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p.State)
	di, _ := os.Stat(p.Base)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("modes %v %v", fi.Mode(), di.Mode())
	}
	got, err := Load(p)
	if err != nil || got.URL != st.URL || *got.DisplayName != name || got.KeyFile != p.Key || got.CAFile != "" {
		t.Fatalf("%v %+v", err, got)
	}
	// An edited file cannot smuggle a newline into a signed line.
	data, _ := os.ReadFile(p.State)
	os.WriteFile(p.State, []byte(strings.Replace(string(data), `"s-1"`, `"s\n1"`, 1)), 0o600)
	if _, err := Load(p); err == nil {
		t.Error("bad subject accepted")
	}
	os.WriteFile(p.State, []byte("{"), 0o600)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), filepath.Base(p.State)) {
		t.Errorf("garbage: %v", err)
	}
}
