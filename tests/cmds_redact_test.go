package tests

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	commands["redact-interrupted"] = cmdRedactInterrupted
	commands["redact-live"] = cmdRedactLive
}

// startRedact starts nono-redact with args, its stdin and stdout on pipes.
func startRedact(ts *testscript.TestScript, args []string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	cmd := exec.Command(filepath.Join(binDir, "nono-redact"), args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+ts.Getenv("XDG_CONFIG_HOME"), "HOME="+ts.Getenv("HOME"))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	ts.Check(err)
	stdout, err := cmd.StdoutPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	return cmd, stdin, bufio.NewReader(stdout)
}

// readLineWithin reads one line, failing the script when none arrives in
// time: the line is overdue only if nono-redact holds it back.
func readLineWithin(ts *testscript.TestScript, r *bufio.Reader, d time.Duration) []byte {
	type result struct {
		line []byte
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := r.ReadBytes('\n')
		got <- result{line, err}
	}()
	select {
	case res := <-got:
		ts.Check(res.err)
		return res.line
	case <-time.After(d):
		ts.Fatalf("nono-redact wrote no line within %v while its input waited", d)
	}
	return nil
}

// redact-interrupted EVENTS OUT [ARGS...]: run nono-redact with EVENTS'
// first line on a pipe, wait for its output, send SIGINT, SIGTERM and
// SIGHUP, then feed the remaining lines and close the pipe. nono-redact
// must survive and write every line to OUT.
func cmdRedactInterrupted(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: redact-interrupted EVENTS OUT [ARGS...]")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	cmd, stdin, r := startRedact(ts, args[2:])
	_, err = stdin.Write(append(first, '\n'))
	ts.Check(err)
	out := readLineWithin(ts, r, 30*time.Second)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		ts.Check(cmd.Process.Signal(sig))
	}
	_, err = stdin.Write(rest)
	ts.Check(err)
	ts.Check(stdin.Close())
	more, err := io.ReadAll(r)
	ts.Check(err)
	if err := cmd.Wait(); err != nil {
		ts.Fatalf("nono-redact: %v", err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), append(out, more...), 0o600))
}

// redact-live EVENTS OUT [ARGS...]: feed EVENTS to nono-redact one line
// at a time, reading each scrubbed line back before writing the next, the
// way `tail -f` watches a live session; write what was read to OUT.
func cmdRedactLive(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: redact-live EVENTS OUT [ARGS...]")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	cmd, stdin, r := startRedact(ts, args[2:])
	var out []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		_, err := stdin.Write(line)
		ts.Check(err)
		out = append(out, readLineWithin(ts, r, 30*time.Second)...)
	}
	ts.Check(stdin.Close())
	rest, err := io.ReadAll(r)
	ts.Check(err)
	if len(rest) > 0 {
		ts.Fatalf("nono-redact wrote %q after its input closed", rest)
	}
	if err := cmd.Wait(); err != nil {
		ts.Fatalf("nono-redact: %v", err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o600))
}
