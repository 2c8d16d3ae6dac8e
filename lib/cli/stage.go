package cli

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// RecorderStage is how a recording stage of `nono run` (nono-redact,
// nono-chain, nono-merkle session --stdin) treats signals: fed by a pipe,
// it ignores SIGINT, SIGTERM and SIGHUP and drains its input to EOF, so
// Ctrl-C or a SIGTERM to the job reaches the supervised child, never the
// recorder, and nothing the supervisor reported is lost. Typed at by a
// user on a terminal, it stays interruptible. It also makes the process
// non-dumpable, so a command running as the same user cannot open its
// /proc/PID/fd (and so the pipes of the recording). SIGTTOU is ignored
// too: nono-run starts the stages in a process group of their own, which
// a terminal with tostop would otherwise stop when they write to stderr.
func RecorderStage() {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	if !IsTerminal(os.Stdin) {
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGTTOU)
	}
}
