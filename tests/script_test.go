// Package tests runs the end-to-end scripts in testdata/: each is a
// testscript that pipes fixture streams through the tools the way a
// user's shell would. The tools run in-process: this test binary, copied
// under each tool's name, runs that tool's Main (so they count in
// coverage), and the nono wrapper script sits beside those copies, where
// it looks for its tools.
package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nono-audit/nono/cmd/nono-audit/nonoaudit"
	"github.com/nono-audit/nono/cmd/nono-chain/nonochain"
	"github.com/nono-audit/nono/cmd/nono-collect/nonocollect"
	"github.com/nono-audit/nono/cmd/nono-merkle/nonomerkle"
	"github.com/nono-audit/nono/cmd/nono-redact/nonoredact"
	"github.com/nono-audit/nono/cmd/nono-run/nonorun"
	"github.com/nono-audit/nono/cmd/nono-ship/nonoship"
	"github.com/nono-audit/nono/cmd/nono-sign/nonosign"
	"github.com/nono-audit/nono/cmd/nono-snapshot/nonosnapshot"
	"github.com/nono-audit/nono/cmd/nono-verify/nonoverify"
	"github.com/nono-audit/nono/lib/confine"
	"github.com/nono-audit/nono/lib/inplace"
	"github.com/nono-audit/nono/lib/proxy"
	"github.com/nono-audit/nono/lib/proxyproc"
)

// tools are the commands of cmd/, by binary name.
var tools = map[string]func(){
	"nono-audit":    nonoaudit.Main,
	"nono-chain":    nonochain.Main,
	"nono-collect":  nonocollect.Main,
	"nono-merkle":   nonomerkle.Main,
	"nono-redact":   nonoredact.Main,
	"nono-run":      nonorun.Main,
	"nono-ship":     nonoship.Main,
	"nono-sign":     nonosign.Main,
	"nono-snapshot": nonosnapshot.Main,
	"nono-verify":   nonoverify.Main,
	// nono-run's confining copy, found beside nono-run (a copy of this
	// test binary, whose lib/confine init does the work as the small
	// program's does).
	confine.Program: confine.Main,
	// nono run --no-audit's small program, which the wrapper finds
	// beside itself.
	inplace.Program: func() { os.Exit(inplace.Main(os.Args[1:])) },
	// The recorder stages as programs of their own, which the wrapper
	// finds beside itself.
	nonoredact.StageProgram: nonoredact.StageMain,
	nonochain.StageProgram:  nonochain.StageMain,
	nonomerkle.StageProgram: nonomerkle.StageMain,
	// nono-run's filtering proxy in proxy mode, found beside nono-run.
	proxyproc.Program: proxy.Main,
}

// commands are the custom script commands; files beside this one add to it
// in init functions.
var commands = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

// atExit are run after every test (servers a test file started for the
// whole run).
var atExit []func()

type runAtExit struct{ m *testing.M }

func (r runAtExit) Run() int {
	defer func() {
		for _, f := range atExit {
			f()
		}
	}()
	return r.m.Run()
}

func TestMain(m *testing.M) {
	testscript.Main(runAtExit{m}, tools)
}

// binDir is the directory of the tools' copies, with the wrapper beside
// them; set up once, by the first test that needs it.
var binDir = sync.OnceValues(func() (string, error) {
	tool, err := exec.LookPath("nono-verify")
	if err != nil {
		return "", fmt.Errorf("the in-process tools are not on PATH: %w", err)
	}
	dir := filepath.Dir(tool)
	wrapper, err := os.ReadFile(filepath.Join("..", "cmd", "nono", "nono"))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "nono"), wrapper, 0o755); err != nil {
		return "", err
	}
	return dir, buildConfine(dir)
})

// buildConfine puts the real nono-run-confine in dir, built as the
// Makefile builds it (on linux/amd64 it starts at lib/confine's assembly
// entry, which the test binary cannot), so that every sandboxed run of the
// scripts goes through it. Elsewhere the test binary's copy stays.
func buildConfine(dir string) error {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return nil
	}
	prog := filepath.Join(dir, confine.Program)
	// It may be a hard link to the test binary: unlink, never overwrite.
	if err := os.Remove(prog); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-E="+confine.EntrySymbol,
		"-o", prog, "./cmd/nono-run/nono-run-confine")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", confine.Program, err, out)
	}
	return nil
}

// toolPath is the path of a tool for commands that start it themselves.
func toolPath(ts *testscript.TestScript, name string) string {
	dir, err := binDir()
	ts.Check(err)
	return filepath.Join(dir, name)
}

func TestScripts(t *testing.T) {
	dir, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		Cmds:                commands,
		RequireExplicitExec: true,
		// [minio]: the test MinIO runs (started on first use); a script
		// that needs it skips without (CI fails instead).
		Condition: func(cond string) (bool, error) {
			if cond != "minio" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			err := minioStart()
			if err != nil && os.Getenv("CI") != "" {
				return false, fmt.Errorf("CI must run the S3 tests: %w", err)
			}
			return err == nil, nil
		},
		Setup: func(env *testscript.Env) error {
			work := env.WorkDir
			env.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
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
