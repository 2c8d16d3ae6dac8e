package capability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Terminal is --approve terminal: each request is put to the person at
// the terminal (TTY, normally /dev/tty), one at a time, with the path,
// the access and the requesting pid. Only "y" or "yes" grants; anything
// else, or no terminal, denies; no answer by the deadline is Timeout.
// While it asks, the supervisor's process group holds the foreground and
// the terminal is in line mode with echo; both are put back after.
type Terminal struct {
	TTY string
	mu  sync.Mutex
}

// Name is the backend as recorded.
func (t *Terminal) Name() string { return "terminal" }

// Decide asks.
func (t *Terminal) Decide(ctx context.Context, r *Request, _ []byte) Decision {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ctx.Err() != nil {
		return Decision{Verdict: Timeout}
	}
	f, err := os.OpenFile(t.TTY, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return deny("no terminal to ask: %v", err)
	}
	defer f.Close()
	defer t.borrow(int(f.Fd()))()
	fmt.Fprintf(f, "\r\nnono: process %d asks to open %s (%s). Allow? [y/N] ", r.Pid, r.Path, Access(r.Access))
	answer, err := readAnswer(ctx, f)
	switch {
	case ctx.Err() != nil:
		fmt.Fprint(f, "\r\nnono: no answer in time: denied\r\n")
		return Decision{Verdict: Timeout}
	case err != nil:
		return deny("reading the answer from %s: %v", t.TTY, err)
	}
	switch string(bytes.ToLower(bytes.TrimSpace(answer))) {
	case "y", "yes":
		return Decision{Verdict: Granted}
	}
	return deny("refused at the terminal")
}

// borrow takes the foreground for the supervisor's group and puts the
// terminal in line mode with echo; the function it returns undoes both.
// Taking the foreground from the background raises SIGTTOU, which the
// supervisor ignores while the command runs.
func (t *Terminal) borrow(fd int) func() {
	fg, fgErr := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if mine := unix.Getpgrp(); fgErr == nil && fg != mine {
		unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, mine)
	}
	modes, modesErr := unix.IoctlGetTermios(fd, unix.TCGETS)
	if modesErr == nil {
		line := *modes
		line.Lflag |= unix.ICANON | unix.ECHO | unix.ISIG
		unix.IoctlSetTermios(fd, unix.TCSETSW, &line)
	}
	return func() {
		if modesErr == nil {
			unix.IoctlSetTermios(fd, unix.TCSETSW, modes)
		}
		if fgErr == nil && fg != unix.Getpgrp() {
			unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, fg)
		}
	}
}

// readAnswer reads one line before ctx's deadline.
func readAnswer(ctx context.Context, f *os.File) ([]byte, error) {
	if d, ok := ctx.Deadline(); ok {
		f.SetReadDeadline(d)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var line []byte
		buf := make([]byte, 256)
		for len(line) < 4096 {
			n, err := f.Read(buf)
			line = append(line, buf[:n]...)
			if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
				done <- result{line[:i], nil}
				return
			}
			if err != nil || n == 0 {
				done <- result{line, err}
				return
			}
		}
		done <- result{line, nil}
	}()
	select {
	case res := <-done:
		return res.b, res.err
	case <-ctx.Done():
		// A terminal the poller cannot watch ignores the deadline: the
		// reader is abandoned to the Close that follows.
		f.SetReadDeadline(time.Now())
		return nil, ctx.Err()
	}
}
