// Package beside finds the programs installed beside the running one:
// nono-run's helpers (nono-run-confine, nono-run-proxy) and the recorder
// stages it starts. Whoever can replace a file there can replace the
// running program too, so looking there first trusts no one new.
package beside

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Dir is the directory of the running executable, symbolic links
// resolved ("" if unknown).
func Dir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Dir(exe)
}

// Program is the path of the program called name in Dir, and whether it
// is there: a regular file that someone may execute.
func Program(name string) (string, bool) {
	dir := Dir()
	if dir == "" {
		return "", false
	}
	p := filepath.Join(dir, name)
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return "", false
	}
	return p, true
}

// Exec replaces this process with the program called name: the one in
// Dir when it is there (as the nono wrapper finds the tools), else the one
// lookPath finds (on PATH); its argv is its path and then args. It
// returns only why it could not.
func Exec(name string, args []string, lookPath func(string) (string, error)) error {
	path, ok := Program(name)
	if !ok {
		p, err := lookPath(name)
		if err != nil {
			return fmt.Errorf("cannot find %s: %w", name, err)
		}
		path = p
	}
	err := syscall.Exec(path, append([]string{path}, args...), os.Environ())
	return fmt.Errorf("exec %s: %w", path, err)
}
