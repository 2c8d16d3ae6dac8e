package tests

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Commands that drive a recorder stage (nono-redact, nono-chain) the way
// `nono run` does: over pipes, live, and interrupted.
func init() {
	commands["interrupted"] = cmdInterrupted
	commands["redact-live"] = cmdRedactLive
}

// startStage starts the tool prog with args, its stdin and stdout on pipes.
func startStage(ts *testscript.TestScript, prog string, args []string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	cmd := exec.Command(toolPath(ts, prog), args...)
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
// time: the line is overdue only if the stage holds it back.
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
		ts.Fatalf("no line within %v while the input waited", d)
	}
	return nil
}

// interrupted PROG IN OUT [ARGS...]: run PROG with IN's first line on a
// pipe, wait for its first output line, send SIGINT, SIGTERM and SIGHUP,
// then feed the rest of IN and close the pipe. A recorder stage must
// survive and write everything to OUT.
func cmdInterrupted(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: interrupted PROG IN OUT [ARGS...]")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	cmd, stdin, r := startStage(ts, args[0], args[3:])
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
		ts.Fatalf("%s: %v", args[0], err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), append(out, more...), 0o600))
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
	cmd, stdin, r := startStage(ts, "nono-redact", args[2:])
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
