package launch

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// StartError explains why the command exe (as resolved for name) could
// not be started: exec's error err, made an *Error with the status a
// shell gives it.
func StartError(name string, exe *Executable, err error) error {
	var le *Error
	if errors.As(err, &le) {
		return err
	}
	if interp := exe.ScriptInterpreter(); interp != "" && errors.Is(err, unix.ENOENT) {
		// The script exists; its #! line names what does not.
		return &Error{Name: name, Code: StatusCannotExecute, Err: fmt.Errorf("%s: bad interpreter: %w", interp, unix.ENOENT)}
	}
	if strings.HasPrefix(err.Error(), "sandbox: ") {
		return &Error{Name: name, Code: StatusCannotExecute, Err: err}
	}
	return errorFor(name, err)
}

// SetEnv returns env with name set to value (replacing every earlier
// setting), leaving env itself alone.
func SetEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

// ScrubEnv returns env without the variables named, leaving env itself
// alone.
func ScrubEnv(env, names []string) []string {
	if len(names) == 0 {
		return env
	}
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, n := range names {
			if name == n {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// LookupEnv is the value of the last setting of name in env ("" when
// none), as getenv in the program that gets env would see it.
func LookupEnv(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

// CloseOnExec marks every descriptor above 2 close-on-exec, so nothing the
// supervisor inherited (the event descriptor, a shell's stray fds) or opens
// reaches the child. Call it first thing in main.
func CloseOnExec() error {
	if err := unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return nil
	}
	// Kernels before 5.11: walk the descriptor table instead.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("mark descriptors close-on-exec: %w", err)
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < 3 {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return fmt.Errorf("mark descriptor %d close-on-exec: %w", fd, err)
		}
	}
	return nil
}
