package launch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nono-audit/nono/lib/launch/launchtest"
)

func launchCode(err error) int {
	var le *Error
	if errors.As(err, &le) {
		return le.Code
	}
	return -1
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	launchtest.WriteFile(t, dir+"/a/tool", "#!/bin/sh\n", 0o755)
	launchtest.WriteFile(t, dir+"/b/tool", "#!/bin/sh\n", 0o755)
	launchtest.WriteFile(t, dir+"/noexec/plain", "data", 0o644)
	launchtest.WriteFile(t, dir+"/b/plain", "#!/bin/sh\n", 0o755)
	launchtest.WriteFile(t, dir+"/cwd/local", "#!/bin/sh\n", 0o755)
	if err := os.MkdirAll(dir+"/a/plain", 0o755); err != nil { // a directory named like a command is skipped
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir+"/a/isdir", 0o755); err != nil {
		t.Fatal(err)
	}
	cwd := dir + "/cwd"
	tests := []struct {
		name, path, want string
		code             int
	}{
		{"tool", dir + "/a:" + dir + "/b", dir + "/a/tool", 0},
		{"tool", dir + "/b:" + dir + "/a", dir + "/b/tool", 0},
		{"plain", dir + "/noexec:" + dir + "/a:" + dir + "/b", dir + "/b/plain", 0}, // not executable, a directory: keep looking
		{"plain", dir + "/noexec", "", StatusCannotExecute},                         // found but not executable
		{"missing", dir + "/a:" + dir + "/b", "", StatusNotFound},
		{"local", dir + "/a::" + dir + "/b", cwd + "/./local", 0},   // an empty entry is the working directory
		{"local", "../cwd", cwd + "/../cwd/local", 0},               // relative entries are relative to it
		{"./local", "/nonexistent", cwd + "/./local", 0},            // a name with a slash skips PATH
		{"sub/../local", "", cwd + "/sub/../local", StatusNotFound}, // .. after a missing directory does not exist
		{dir + "/a/tool", "", dir + "/a/tool", 0},
		{dir + "/a/isdir", "", "", StatusCannotExecute},
		{dir + "/a/nothing", "", "", StatusNotFound},
		{"", dir + "/a", "", StatusNotFound},
	}
	for _, tt := range tests {
		got, err := LookPath(tt.name, tt.path, cwd)
		if tt.code != 0 {
			if launchCode(err) != tt.code {
				t.Errorf("LookPath(%q, %q) = %q, %v; want status %d", tt.name, tt.path, got, err, tt.code)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("LookPath(%q, %q) = %q, %v; want %q", tt.name, tt.path, got, err, tt.want)
		}
	}
}

func TestLookPathDefault(t *testing.T) {
	got, err := LookPath("sh", "", "/")
	if err != nil {
		t.Fatal(err)
	}
	if got != "/bin/sh" && got != "/usr/bin/sh" {
		t.Errorf("LookPath(sh) with no PATH = %q, want it from %s", got, defaultPath)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho hi\n"
	launchtest.WriteFile(t, dir+"/real/prog", script, 0o755)
	if err := os.Symlink(dir+"/real", dir+"/link"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("prog", dir+"/real/alias"); err != nil {
		t.Fatal(err)
	}
	canonical, err := filepath.EvalSymlinks(dir + "/real/prog")
	if err != nil {
		t.Fatal(err)
	}
	var hooked []string
	e, err := Open("alias", dir+"/link", "/", func(p string) error { hooked = append(hooked, p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Path != canonical {
		t.Errorf("Path = %q, want the canonical %q", e.Path, canonical)
	}
	if e.SHA256 != launchtest.SHA256(script) {
		t.Errorf("SHA256 = %s, want %s", e.SHA256, launchtest.SHA256(script))
	}
	if !e.Script || e.ScriptInterpreter() != "/bin/sh" {
		t.Errorf("Script = %v, interpreter %q; want a script of /bin/sh", e.Script, e.ScriptInterpreter())
	}
	if e.ExecPath != dir+"/link/alias" {
		t.Errorf("ExecPath = %q, want the path as PATH gives it", e.ExecPath)
	}
	if len(hooked) != 1 || hooked[0] != canonical {
		t.Errorf("the before-exec hook saw %q", hooked)
	}
}

func TestOpenNative(t *testing.T) {
	e, err := Open("true", "/usr/bin:/bin", "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Script || e.SHA256 != "" {
		t.Errorf("%s: Script %v, SHA256 %q; want an ELF binary, hashed only at its exec", e.Path, e.Script, e.SHA256)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	launchtest.WriteFile(t, dir+"/fails", "#!/bin/sh\n", 0o755)
	hookErr := errors.New("hook failed")
	if _, err := Open("./fails", "", dir, func(string) error { return hookErr }); !errors.Is(err, hookErr) || launchCode(err) != StatusCannotExecute {
		t.Errorf("a failing hook gave %v", err)
	}
	if err := os.Symlink("nowhere", dir+"/dangling"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open("./dangling", "", dir, nil); launchCode(err) != StatusNotFound {
		t.Errorf("a dangling link gave %v", err)
	}
}
