package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/nono-audit/nono/lib/sandbox"
	"golang.org/x/sys/unix"
)

// A sandboxed command enforces its Landlock ruleset itself, between fork
// and exec, so that the ruleset can grant it its own /proc/PID (see
// sandbox.ExecWithRuleset): its PID is not known before the fork, and Go
// runs no code of ours in a forked child. So the launch thread forks a
// copy of this very program (/proc/self/exe) with argv[0] confineArg0;
// this package's init sees it and, before anything else runs, adds the
// rule, enforces the ruleset, asks to be traced and execs the command,
// in the same process. The ruleset arrives as descriptor 3 and a
// close-on-exec pipe as descriptor 4: a successful exec closes it, a
// failure is written to it for the supervisor to report.
const (
	confineArg0 = "nono-run: sandbox"
	confineFD   = 3
	confineErr  = 4
)

func init() {
	if len(os.Args) >= 4 && os.Args[0] == confineArg0 {
		os.Exit(confineAndExec(os.Args[1:]))
	}
}

// confineArgv is the argv of the confining copy: the ABI, the path to
// execute, the command's argv.
func confineArgv(abi int, path string, argv []string) []string {
	return append([]string{confineArg0, strconv.Itoa(abi), path}, argv...)
}

// confineAndExec runs in the forked copy; it returns only on failure,
// with the exit status of a command that could not be run.
func confineAndExec(args []string) int {
	report := os.NewFile(confineErr, "launch-status")
	unix.CloseOnExec(confineErr)
	abi, err := strconv.Atoi(args[0])
	if err == nil {
		err = sandbox.ExecWithRuleset(confineFD, abi, args[1], args[2:], os.Environ(), traceMe)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		fmt.Fprintf(report, "errno %d", int(errno))
		if errno == unix.ENOENT || errno == unix.ENOTDIR {
			return StatusNotFound
		}
	} else {
		fmt.Fprintf(report, "error %s", err)
	}
	return StatusCannotExecute
}

// traceMe stops the command at its exec for the supervisor, which
// identifies what it runs there (see Child).
func traceMe() error {
	if _, _, errno := unix.RawSyscall(unix.SYS_PTRACE, unix.PTRACE_TRACEME, 0, 0); errno != 0 {
		return fmt.Errorf("ptrace: %w", errno)
	}
	return nil
}

// launchStatus reads what the confining copy reported: nil once it
// executed the command (the pipe closed without a word), else why it
// could not, as os.StartProcess would have said it.
func launchStatus(r io.Reader, path string) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read the launch status: %w", err)
	}
	msg := string(b)
	switch {
	case msg == "":
		return nil
	case strings.HasPrefix(msg, "errno "):
		n, err := strconv.Atoi(strings.TrimPrefix(msg, "errno "))
		if err == nil {
			return &os.PathError{Op: "fork/exec", Path: path, Err: syscall.Errno(n)}
		}
	case strings.HasPrefix(msg, "error "):
		return errors.New(strings.TrimPrefix(msg, "error "))
	}
	return fmt.Errorf("the command could not be started: %q", msg)
}
