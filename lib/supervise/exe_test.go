package supervise

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func sha(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

func launchCode(err error) int {
	var le *LaunchError
	if errors.As(err, &le) {
		return le.Code
	}
	return -1
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/a/tool", "#!/bin/sh\n", 0o755)
	writeFile(t, dir+"/b/tool", "#!/bin/sh\n", 0o755)
	writeFile(t, dir+"/noexec/plain", "data", 0o644)
	writeFile(t, dir+"/b/plain", "#!/bin/sh\n", 0o755)
	writeFile(t, dir+"/cwd/local", "#!/bin/sh\n", 0o755)
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

func TestOpenExecutable(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho hi\n"
	writeFile(t, dir+"/real/prog", script, 0o755)
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
	e, err := OpenExecutable("alias", dir+"/link", "/", func(p string) error { hooked = append(hooked, p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Path != canonical {
		t.Errorf("Path = %q, want the canonical %q", e.Path, canonical)
	}
	if e.SHA256 != sha(script) {
		t.Errorf("SHA256 = %s, want %s", e.SHA256, sha(script))
	}
	if e.native {
		t.Error("a script was taken for a native binary")
	}
	if len(hooked) != 1 || hooked[0] != canonical {
		t.Errorf("the after-hash hook saw %q", hooked)
	}
	if path, extra := e.target(); path != "/proc/self/fd/3" || extra == nil {
		t.Errorf("a script must run as /proc/self/fd/3 with its descriptor passed; got %q, %v", path, extra)
	}
	if changed, err := e.Changed(); err != nil || changed {
		t.Errorf("Changed() = %v, %v on an untouched file", changed, err)
	}

	// Replacing the path does not touch the open file's content (the
	// unlink changes its ctime, so Changed may say so; hashing again
	// gives the same result).
	writeFile(t, dir+"/real/new", "#!/bin/sh\necho other\n", 0o755)
	if err := os.Rename(dir+"/real/new", dir+"/real/prog"); err != nil {
		t.Fatal(err)
	}
	if err := e.Rehash(); err != nil || e.SHA256 != sha(script) {
		t.Errorf("after a rename over the path: SHA256 = %s, %v; want the original's", e.SHA256, err)
	}

	// Writing to the same inode does, and Rehash picks up the new content.
	f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(e.file.Fd())), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("echo appended\n")
	f.Close()
	if changed, _ := e.Changed(); !changed {
		t.Fatal("an in-place write went unnoticed")
	}
	if err := e.Rehash(); err != nil {
		t.Fatal(err)
	}
	if e.SHA256 != sha(script+"echo appended\n") {
		t.Errorf("after Rehash SHA256 = %s, want the hash of the new content", e.SHA256)
	}
}

func TestOpenExecutableNative(t *testing.T) {
	e, err := OpenExecutable("true", "/usr/bin:/bin", "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if !e.native {
		t.Errorf("%s is not recognised as an ELF binary", e.Path)
	}
	content, err := os.ReadFile(e.Path)
	if err != nil {
		t.Fatal(err)
	}
	if e.SHA256 != sha(string(content)) {
		t.Errorf("SHA256 = %s, want %s", e.SHA256, sha(string(content)))
	}
	if path, extra := e.target(); extra != nil || path != "/proc/self/fd/"+strconv.Itoa(int(e.file.Fd())) {
		t.Errorf("a binary must run through the supervisor's own descriptor; got %q, %v", path, extra)
	}
}

func TestOpenExecutableErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/fails", "#!/bin/sh\n", 0o755)
	hookErr := errors.New("hook failed")
	if _, err := OpenExecutable("./fails", "", dir, func(string) error { return hookErr }); !errors.Is(err, hookErr) || launchCode(err) != StatusCannotExecute {
		t.Errorf("a failing hook gave %v", err)
	}
	if err := os.Symlink("nowhere", dir+"/dangling"); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenExecutable("./dangling", "", dir, nil); launchCode(err) != StatusNotFound {
		t.Errorf("a dangling link gave %v", err)
	}
}
