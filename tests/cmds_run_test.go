package tests

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/inplace"
	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for the supervisor's scripts (run-*.txtar).
func init() {
	commands["buildhooked"] = cmdBuildHooked
	commands["waitfile"] = cmdWaitFile
	commands["waitgone"] = cmdWaitGone
	commands["listen"] = cmdListen
	commands["samerun"] = cmdSameRun
}

// samerun ARGS...: run `nono-run-inplace ARGS` and `nono-run record ARGS`
// (as the wrapper runs either for `nono run ARGS`) and fail unless both
// print the same on stdout and stderr and exit with the same status;
// leave the first's output for stdout and stderr, and its status in
// $status.
func cmdSameRun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: samerun ARGS...")
	}
	type result struct{ stdout, stderr, status string }
	run := func(argv ...string) result {
		status := "0"
		if err := ts.Exec(argv[0], argv[1:]...); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				ts.Fatalf("%s: %v", argv[0], err)
			}
			status = strconv.Itoa(ee.ExitCode())
		}
		return result{ts.ReadFile("stdout"), ts.ReadFile("stderr"), status}
	}
	small := run(append([]string{toolPath(ts, inplace.Program)}, args...)...)
	full := run(append([]string{toolPath(ts, "nono-run"), "record"}, args...)...)
	if small != full {
		ts.Fatalf("nono-run-inplace and nono-run record differ:\n  inplace: status %s\nstdout:\n%s\nstderr:\n%s\n  nono-run: status %s\nstdout:\n%s\nstderr:\n%s",
			small.status, small.stdout, small.stderr, full.status, full.stdout, full.stderr)
	}
	ts.Setenv("status", small.status)
	// stdout and stderr are the last run's: the same.
}

// listen PORTFILE: accept TCP connections on 127.0.0.1 (closing each at
// once) until the script ends, and write the port to PORTFILE.
func cmdListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: listen PORTFILE")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(port+"\n"), 0o644))
}

// buildhooked: build nono-run with the nonorun_testhooks tag into
// $WORK/hooked and put it first on PATH (docs/RUN.md, "Test hooks").
func cmdBuildHooked(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: buildhooked")
	}
	dir := ts.MkAbs("hooked")
	cmd := exec.Command("go", "build", "-tags", "nonorun_testhooks", "-o", filepath.Join(dir, "nono-run"), "./cmd/nono-run")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		ts.Fatalf("building the hooked nono-run: %v\n%s", err, out)
	}
	ts.Setenv("PATH", dir+string(os.PathListSeparator)+ts.Getenv("PATH"))
}

// waitfile FILE...: wait (up to 20 s) until every FILE exists and is not
// empty.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: waitfile FILE...")
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, name := range args {
		for {
			if st, err := os.Stat(ts.MkAbs(name)); err == nil && st.Size() > 0 {
				break
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s never appeared", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// waitgone PIDFILE...: wait (up to 20 s) until the process whose ID each
// file holds is gone (a zombie counts as gone: it runs nothing).
func cmdWaitGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: waitgone PIDFILE...")
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, name := range args {
		data, err := os.ReadFile(ts.MkAbs(name))
		ts.Check(err)
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		ts.Check(err)
		for alive(pid) {
			if time.Now().After(deadline) {
				ts.Fatalf("process %d (%s) is still running", pid, name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || !bytes.HasPrefix(bytes.TrimSpace(stat[i+1:]), []byte("Z"))
}
