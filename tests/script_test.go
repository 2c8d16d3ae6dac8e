// Package tests runs the end-to-end scripts in testdata/: each is a
// testscript that pipes fixture streams through the real binaries, built
// once per test run, the way a user's shell would.
package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// binDir holds the freshly built binaries and the nono wrapper script.
var binDir string

// commands are the custom script commands; files beside this one add to it
// in init functions.
var commands = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nono-tests-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := build(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		binDir = dir
		return m.Run()
	}()
	os.Exit(code)
}

// build compiles every command into dir and copies the wrapper script.
func build(dir string) error {
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "./cmd/...")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build does
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the binaries: %w", err)
	}
	wrapper, err := os.ReadFile(filepath.Join("..", "cmd", "nono", "nono"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "nono"), wrapper, 0o755)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		Cmds:                commands,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			work := env.WorkDir
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
			env.Setenv("HOME", filepath.Join(work, "home"))
			env.Setenv("XDG_STATE_HOME", filepath.Join(work, "state"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(work, "config"))
			env.Setenv("NONO_AUDIT_DIR", "")
			env.Setenv("NONO_ROLLBACK_DIR", "")
			for _, d := range []string{"home", "state", "config"} {
				if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
