//go:build nonorun_testhooks

package supervise

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

// TestHooks reports whether this binary honours the test hooks.
const TestHooks = true

// HooksFromEnv reads the test hooks from the environment:
//
//	NONO_RUN_TEST_BEFORE_EXEC=CMD run `sh -c CMD` after each resolution of
//	                              the executable (and hash of a script),
//	                              before it is executed, with
//	                              NONO_RUN_TEST_EXE set to its canonical
//	                              path; a failure aborts
//	NONO_RUN_TEST_EVENTS=N        emit N synthetic events while the command runs
func HooksFromEnv(getenv func(string) string) (Hooks, error) {
	var h Hooks
	if script := getenv("NONO_RUN_TEST_BEFORE_EXEC"); script != "" {
		h.BeforeExec = func(path string) error {
			c := exec.Command("/bin/sh", "-c", script)
			c.Env = append(os.Environ(), "NONO_RUN_TEST_EXE="+path)
			c.Stdout, c.Stderr = os.Stderr, os.Stderr
			return c.Run()
		}
	}
	if s := getenv("NONO_RUN_TEST_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return Hooks{}, fmt.Errorf("NONO_RUN_TEST_EVENTS=%q: want a count", s)
		}
		h.Events = n
	}
	return h, nil
}
