package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// A sandboxed command enforces its Landlock ruleset itself, between fork
// and exec, so that the ruleset can grant it its own /proc/PID: its PID
// is not known before the fork, and Go runs no code of ours in a forked
// child. So the launch thread forks a copy, nono-run-confine or this
// very program (confineProgram), with lib/confine's argv, which adds the
// rule, enforces the ruleset, asks to be traced and execs the command, in
// the same process, before the rest of the program initialises.

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
