package supervise

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Emitter writes raw audit events, one NDJSON line per write call, to a
// file descriptor read by the recorder (nono-redact | nono-chain). A
// failed write (the recorder died: EPIPE; nothing was opened on the
// descriptor: EBADF) never stops the session: the emitter remembers the
// first error, drops later events, and the supervisor reports the loss at
// the end. It is safe to use from several goroutines: each event is
// written whole, in the order Emit is called.
type Emitter struct {
	mu   sync.Mutex
	fd   int
	err  error
	line []byte
}

// NewEmitter writes to fd; a negative fd discards every event.
func NewEmitter(fd int) *Emitter { return &Emitter{fd: fd} }

// Emit writes one event (canonical JSON, no newline) as one line.
func (e *Emitter) Emit(event []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fd < 0 || e.err != nil {
		return
	}
	e.line = append(append(e.line[:0], event...), '\n')
	if err := writeAll(e.fd, e.line); err != nil {
		e.err = fmt.Errorf("write audit event to fd %d: %w", e.fd, err)
	}
}

// Err is the first write error, if any.
func (e *Emitter) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// writeAll writes b with raw system calls: os.File would turn EPIPE on
// fds 1 and 2 into a fatal SIGPIPE, and must not kill the supervisor.
func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			// Someone left the descriptor non-blocking: wait until it
			// takes more.
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			if _, err := unix.Poll(pfd, -1); err != nil && !errors.Is(err, unix.EINTR) {
				return err
			}
			continue
		case err != nil:
			return err
		}
		b = b[n:]
	}
	return nil
}
