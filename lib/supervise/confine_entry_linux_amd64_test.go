package supervise

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/confine"
	"github.com/nono-audit/nono/lib/sandbox"
)

// buildBareCopy builds nono-run-confine as the Makefile does on
// linux/amd64: starting at lib/confine's assembly entry.
func buildBareCopy(t *testing.T) string {
	t.Helper()
	prog := filepath.Join(t.TempDir(), confine.Program)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-E="+confine.EntrySymbol,
		"-o", prog, "github.com/nono-audit/nono/cmd/nono-run/nono-run-confine")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", confine.Program, err, out)
	}
	return prog
}

// useCopy makes Start run prog as the confining copy for the rest of the
// test.
func useCopy(t *testing.T, prog string) {
	old := confineProgram
	confineProgram = func() string { return prog }
	t.Cleanup(func() { confineProgram = old })
}

// startConfined starts path confined to reading the whole tree (rights
// enough to exec anything), through the copy, stopped at its exec.
func startConfined(t *testing.T, path string, argv ...string) (*Child, error) {
	t.Helper()
	abi := sandbox.ABI(os.Getenv)
	if abi == 0 {
		t.Skip("no Landlock on this kernel")
	}
	p := &sandbox.Policy{Rules: []sandbox.Rule{{Path: "/", Access: sandbox.Read, Source: "test"}}}
	rs, err := p.Ruleset(abi)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	return Start(Launch{
		Path: path, Argv: argv, Env: os.Environ(),
		Stdio:   Stdio{In: null, Out: null, Err: null},
		Ruleset: rs,
		// The launch thread's part of the guard that the copy needs.
		Confine: func() ([]int, error) { return nil, unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
	})
}

// minorFaults is field 10 of /proc/PID/stat, which an exec does not reset.
func minorFaults(t *testing.T, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := bytes.Fields(data[bytes.LastIndexByte(data, ')')+1:])
	n, err := strconv.Atoi(string(f[7]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The copy built with the assembly entry confines and execs the command
// without starting the Go runtime: at the command's exec, the process has
// taken a few page faults, where a Go runtime's start alone takes over a
// hundred (as the copy that is the test binary shows).
func TestBareCopyStartsNoRuntime(t *testing.T) {
	bare := buildBareCopy(t)
	faults := map[string]int{}
	for _, prog := range []string{"/proc/self/exe", bare} {
		useCopy(t, prog)
		c, err := startConfined(t, "/bin/sh", "sh", "-c", `read x < /proc/$$/status && exit 7`)
		if err != nil {
			t.Fatalf("%s: %v", prog, err)
		}
		faults[prog] = minorFaults(t, c.Pid)
		c.Release()
		if ws := c.Wait(nil); ExitStatus(ws) != 7 {
			t.Errorf("%s: the command exited %d, want 7 (it reads its own /proc/PID)", prog, ExitStatus(ws))
		}
	}
	if faults[bare] >= 60 || faults["/proc/self/exe"] < 100 {
		t.Errorf("page faults before the command's exec: %d with the assembly entry, %d with the runtime's", faults[bare], faults["/proc/self/exe"])
	}
}

// An exec that fails after the point of no return is reported by the
// assembly as the runtime's copy would: the error number, for the
// supervisor to word.
func TestBareCopyReportsExecFailure(t *testing.T) {
	useCopy(t, buildBareCopy(t))
	script := filepath.Join(t.TempDir(), "not-executable")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]error{"/nonexistent/cmd": syscall.ENOENT, "/etc/passwd/x": syscall.ENOTDIR, script: syscall.EACCES} {
		c, err := startConfined(t, path, "cmd")
		var pe *os.PathError
		if err == nil {
			c.Abort()
		}
		if !errors.As(err, &pe) || pe.Path != path || !errors.Is(err, want) {
			t.Errorf("%s: %v, want a fork/exec error %v", path, err, want)
		}
	}
}

// Before the point of no return, anything unexpected goes to the Go
// runtime, whose init in lib/confine does the work again and says in
// words what failed; started by hand, the program says what it is.
func TestBareCopyHandsOverToTheRuntime(t *testing.T) {
	bare := buildBareCopy(t)
	tests := []struct {
		args   []string
		status int
		report string
	}{
		{[]string{confine.Arg0, "12x", "/bin/true", "true"}, 126, "error sandbox: the confining copy's rights: "},
		{[]string{confine.Arg0, "123456789012345678901", "/bin/true", "true"}, 126, "error sandbox: the confining copy's rights: "},
		{[]string{confine.Arg0, "", "/bin/true", "true"}, 126, "error sandbox: the confining copy's rights: "},
		// Descriptor 3 is no ruleset: the rule cannot be added.
		{[]string{confine.Arg0, "1", "/bin/true", "true"}, 126, "error sandbox: landlock rule for /proc/"},
		{[]string{confine.Arg0 + "x", "1", "/bin/true", "true"}, 2, ""},
		{[]string{confine.Arg0, "1", "/bin/true"}, 2, "error sandbox: " + confine.Program + " confines a command"},
	}
	for _, tt := range tests {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		null, _ := os.Open(os.DevNull)
		cmd := &exec.Cmd{Path: bare, Args: tt.args, ExtraFiles: []*os.File{null, w}}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err = cmd.Run()
		w.Close()
		null.Close()
		var report bytes.Buffer
		report.ReadFrom(r)
		r.Close()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tt.status {
			t.Errorf("%q: %v, want exit status %d", tt.args, err, tt.status)
		}
		if !strings.HasPrefix(report.String(), tt.report) || tt.report == "" && report.Len() != 0 {
			t.Errorf("%q: reported %q, want %q…", tt.args, report.String(), tt.report)
		}
		if tt.status == 2 && !strings.Contains(stderr.String(), "it is not a command of its own") {
			t.Errorf("%q: stderr %q", tt.args, stderr.String())
		}
	}
}
