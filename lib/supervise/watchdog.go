package supervise

import (
	"errors"

	"golang.org/x/sys/unix"
)

// The watchdog kills the child's whole process group if the supervisor
// dies, however it dies (a crash, SIGKILL, the OOM killer):
// PR_SET_PDEATHSIG alone kills only the direct child and leaves its own
// children (a shell's pipeline, a build's compilers) running with no one
// recording them.
//
// It is a pipe whose two ends only the supervisor holds (close-on-exec),
// each armed for signal-driven I/O with the child's process group as its
// owner and SIGKILL as its signal (O_ASYNC, F_SETOWN, F_SETSIG). A dying
// process's descriptors are closed by the kernel, and the release of one
// end of a pipe while the other is still open signals the owner of the
// other end (fs/pipe.c, pipe_release: "the last reader or writer, but not
// the other side"), so the group gets SIGKILL whichever end goes first. A
// supervisor that finishes normally disarms both ends before closing
// them. Nothing is started for it, and the kernel holds the group itself,
// not its number, so a group that has ended is never confused with a
// later one that reuses the number.
type watchdog struct {
	fds [2]int
}

// startWatchdog arms a watchdog for process group pgid. A group that no
// longer exists (the child already ended) needs none: nil, nil.
func startWatchdog(pgid int) (*watchdog, error) {
	w := &watchdog{}
	if err := unix.Pipe2(w.fds[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	for _, fd := range w.fds {
		if err := arm(fd, pgid); err != nil {
			w.close()
			if errors.Is(err, unix.ESRCH) {
				return nil, nil
			}
			return nil, err
		}
	}
	return w, nil
}

// arm makes the release of the pipe's other end send SIGKILL to process
// group pgid.
func arm(fd, pgid int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETOWN, -pgid); err != nil {
		return err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETSIG, int(unix.SIGKILL)); err != nil {
		return err
	}
	return setAsync(fd, true)
}

func setAsync(fd int, on bool) error {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		flags |= unix.O_ASYNC
	} else {
		flags &^= unix.O_ASYNC
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags)
	return err
}

// stop disarms the watchdog: the supervisor finished normally.
func (w *watchdog) stop() {
	for _, fd := range w.fds {
		setAsync(fd, false)
	}
	w.close()
}

func (w *watchdog) close() {
	for _, fd := range w.fds {
		unix.Close(fd)
	}
}
