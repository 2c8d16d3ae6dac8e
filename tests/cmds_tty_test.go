package tests

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

func init() {
	commands["ttyexec"] = cmdTTYExec
}

// ttyexec PROG [ARG...]: run PROG with its stderr on a pseudo-terminal
// (stdin and stdout as exec's), to see what a user at a terminal sees:
// what the terminal received goes to stderr, carriage returns and the
// erase-line sequence included.
func cmdTTYExec(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: ttyexec PROG [ARG...]")
	}
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		ts.Fatalf("no pseudo-terminals: %v", err)
	}
	defer master.Close()
	ts.Check(unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	ts.Check(err)
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	ts.Check(err)
	var screen strings.Builder
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			k, err := master.Read(buf)
			mu.Lock()
			screen.Write(buf[:k])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	path, err := exec.LookPath(args[0])
	ts.Check(err)
	cmd := exec.Command(path, args[1:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = os.Environ()
	for _, kv := range []string{"PATH", "HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "NONO_AUDIT_DIR", "NONO_ROLLBACK_DIR", "NONO_SILENT", "NONO_PROGRESS_DELAY"} {
		cmd.Env = append(cmd.Env, kv+"="+ts.Getenv(kv))
	}
	var stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, slave
	runErr := cmd.Run()
	slave.Close()
	<-done // EIO once the last writer of the terminal is gone
	mu.Lock()
	ts.Stdout().Write([]byte(stdout.String()))
	ts.Stderr().Write([]byte(screen.String()))
	mu.Unlock()
	if runErr != nil && !neg {
		ts.Fatalf("%s: %v", args[0], runErr)
	}
	if runErr == nil && neg {
		ts.Fatalf("%s succeeded unexpectedly", args[0])
	}
}
