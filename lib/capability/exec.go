package capability

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Exec is --approve exec:PROGRAM: for each request PROGRAM is started
// with the ApprovalRequest, exactly as the log records it, as one JSON
// line on stdin, and must answer one JSON line on stdout in the
// ApprovalDecision shape. No answer by the deadline is Timeout (the
// program is killed); a crash, an exit without an answer, or an answer
// that is not an ApprovalDecision is Denied, with a reason saying which.
// Its stderr is the supervisor's.
type Exec struct {
	Program string
}

// maxAnswer bounds what is read of an approver's answer.
const maxAnswer = 64 << 10

// Name is the backend as recorded.
func (e *Exec) Name() string { return "exec" }

// Decide runs the program for one request.
func (e *Exec) Decide(ctx context.Context, r *Request, raw []byte) Decision {
	cmd := exec.CommandContext(ctx, e.Program)
	cmd.Stdin = bytes.NewReader(append(raw[:len(raw):len(raw)], '\n'))
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = time.Second // a grandchild holding stdout open must not hold us
	// The program and whatever it started go together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.StdoutPipe()
	if err != nil {
		return deny("approver %s: %v", e.Program, err)
	}
	if err := cmd.Start(); err != nil {
		return deny("approver %s could not start: %v", e.Program, err)
	}
	type answer struct {
		line []byte
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := readLine(io.LimitReader(out, maxAnswer+1))
		got <- answer{line, err}
	}()
	var line []byte
	select {
	case <-ctx.Done():
		go cmd.Wait() // killed by the context
		return Decision{Verdict: Timeout}
	case a := <-got:
		if a.err == nil && len(a.line) > 0 {
			// The answer counts once given; the program is reaped in
			// the background (killed when the request is done).
			go cmd.Wait()
			line = a.line
			break
		}
		waitErr := cmd.Wait()
		switch {
		case ctx.Err() != nil:
			return Decision{Verdict: Timeout}
		case a.err != nil:
			return deny("approver %s: reading its answer: %v", e.Program, a.err)
		case waitErr != nil:
			return deny("approver %s gave no answer: %v", e.Program, waitErr)
		default:
			return deny("approver %s gave no answer", e.Program)
		}
	}
	d, err := ParseDecision(line)
	if err != nil {
		return deny("approver %s gave a malformed answer: %v", e.Program, err)
	}
	return d
}

// readLine reads up to the first newline (or the end), at most maxAnswer
// bytes.
func readLine(r io.Reader) ([]byte, error) {
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			return buf[:i], nil
		}
		if len(buf) > maxAnswer {
			return nil, fmt.Errorf("longer than %d bytes", maxAnswer)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
