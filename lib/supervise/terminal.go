package supervise

import (
	"golang.org/x/sys/unix"
)

// terminal is the controlling terminal, when the supervisor has one. The
// supervisor hands it to the child's process group and takes it back
// around stops and at the end, the way a job-control shell does.
type terminal struct {
	fd    int
	pgrp  int           // the supervisor's own process group
	modes *unix.Termios // the modes when the supervisor started
}

// openTerminal opens the controlling terminal, or returns nil when there
// is none (a daemon, a CI job, a pipe).
func openTerminal() *terminal {
	fd, err := unix.Open("/dev/tty", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	modes, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		unix.Close(fd)
		return nil
	}
	return &terminal{fd: fd, pgrp: unix.Getpgrp(), modes: modes}
}

func (t *terminal) close() { unix.Close(t.fd) }

// foreground returns the terminal's foreground process group (-1 if it
// cannot be read).
func (t *terminal) foreground() int {
	pgrp, err := unix.IoctlGetInt(t.fd, unix.TIOCGPGRP)
	if err != nil {
		return -1
	}
	return pgrp
}

// ours reports whether the supervisor's group is in the foreground.
func (t *terminal) ours() bool { return t.foreground() == t.pgrp }

// give makes pgrp the foreground group. From the background this raises
// SIGTTOU, which the supervisor ignores once the child runs.
func (t *terminal) give(pgrp int) { unix.IoctlSetPointerInt(t.fd, unix.TIOCSPGRP, pgrp) }

// getModes returns the current modes (nil when they cannot be read).
func (t *terminal) getModes() *unix.Termios {
	m, err := unix.IoctlGetTermios(t.fd, unix.TCGETS)
	if err != nil {
		return nil
	}
	return m
}

// setModes applies m after pending output drains (TCSADRAIN).
func (t *terminal) setModes(m *unix.Termios) {
	if m != nil {
		unix.IoctlSetTermios(t.fd, unix.TCSETSW, m)
	}
}
