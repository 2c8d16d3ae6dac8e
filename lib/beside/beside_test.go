package beside

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProgram(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	if got, want := Dir(), filepath.Dir(exe); got != want {
		// The test binary lives in a temporary directory with no links.
		t.Errorf("Dir() = %q, want %q", got, want)
	}
	if p, ok := Program(filepath.Base(exe)); !ok || p != exe {
		t.Errorf("Program(itself) = %q, %v; want %q, true", p, ok, exe)
	}
	if p, ok := Program("no-such-program-beside-this-one"); ok {
		t.Errorf("Program(missing) = %q, true", p)
	}
	// A file that nobody may execute is no program.
	plain := filepath.Join(Dir(), "beside-test-not-executable")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Skip(err)
	}
	defer os.Remove(plain)
	if p, ok := Program(filepath.Base(plain)); ok {
		t.Errorf("Program(not executable) = %q, true", p)
	}
}
