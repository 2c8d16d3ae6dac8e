package cli

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/beside"
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

// recorderInput is the stage's pollable standard input, made once.
var recorderInput *os.File

// RecorderInput is the standard input of a recording stage that nono-run
// started (--session-header), to read instead of os.Stdin. nono-run made
// that pipe for this stage alone, so the stage may make its end
// non-blocking: the runtime's poller then waits for events with no
// thread held in read(2), and with every processor idle the runtime's
// monitor thread sleeps instead of waking every 20 µs to 10 ms for as
// long as the read lasts (hundreds of wakeups a session, each a context
// switch). Anything but a pipe is returned as os.Stdin.
func RecorderInput() *os.File {
	if recorderInput == nil {
		recorderInput = pollablePipe(0, os.Stdin)
	}
	return recorderInput
}

// pollablePipe returns fd as a non-blocking, pollable file if it is a
// pipe, else fallback. The file holds a duplicate of fd, so that neither
// its closing nor its collection ever closes fd itself.
func pollablePipe(fd int, fallback *os.File) *os.File {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fallback
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return fallback
	}
	if unix.SetNonblock(dup, true) != nil {
		unix.Close(dup)
		return fallback
	}
	// os.NewFile sees the descriptor non-blocking and registers it with
	// the runtime's poller. Should that fail (only a file the poller
	// holds takes a deadline), reads would fail with EAGAIN: undo.
	f := os.NewFile(uintptr(dup), fallback.Name())
	if f.SetReadDeadline(time.Time{}) != nil {
		f.Close()
		unix.SetNonblock(fd, false)
		return fallback
	}
	return f
}

// StageMain is the main of a tool's stage program (nono-redact-stage,
// nono-chain-stage, nono-merkle-stage): the tool's stage in `nono run`'s
// recorder pipeline in a program that links only what the stage needs,
// so each session maps, initialises and unmaps a smaller image (about two
// thirds of the tool's; docs/RUN.md). Given exactly args, the stage's
// arguments to the tool, it runs run as the tool would (its messages and
// exit status the tool's, and tool the name ps shows); given anything
// else, it execs the tool itself, beside this program or else on PATH,
// with the same arguments.
func StageMain(tool string, args []string, run func(*UI) error) {
	if !slices.Equal(os.Args[1:], args) {
		err := beside.Exec(tool, os.Args[1:], exec.LookPath)
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(2)
	}
	if name, err := unix.BytePtrFromString(tool); err == nil {
		unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
	}
	ui, out := newUI(tool, os.Stdout, os.Stderr, os.Getenv)
	os.Exit(finish(tool, run(ui), out, os.Stderr))
}
