package supervise

import (
	"errors"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The watchdog is a second copy of the supervisor's binary, started in its
// own session so that killing the supervisor's process group does not
// reach it. It holds the read end of a pipe whose only write end the
// supervisor holds: end of file without the release byte means the
// supervisor died, and the watchdog kills the child's whole process group.
// PR_SET_PDEATHSIG alone would kill only the direct child and leave its
// own children (a shell's pipeline, a build's compilers) running with no
// one recording them.
const (
	watchdogArg = "--nono-run-watchdog"
	watchdogEnv = "NONO_RUN_WATCHDOG"
)

// watchdogFD is the pipe's read end in the watchdog.
const watchdogFD = 3

// IsWatchdog reports whether this process was started as a watchdog: the
// marker argument, the marker variable and a pipe on fd 3 must all be
// there, so no one starts one by accident.
func IsWatchdog(args []string, getenv func(string) string) bool {
	if len(args) != 3 || args[1] != watchdogArg || getenv(watchdogEnv) != "1" {
		return false
	}
	var st unix.Stat_t
	return unix.Fstat(watchdogFD, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
}

// RunWatchdog is the watchdog's whole life; args are as IsWatchdog checked
// them. It returns the exit status.
func RunWatchdog(args []string) int {
	pgid, err := strconv.Atoi(args[2])
	if err != nil || pgid <= 1 {
		return 2
	}
	// Nothing but the pipe may end it early.
	signal.Ignore(syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP,
		syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE)
	var b [1]byte
	for {
		n, err := unix.Read(watchdogFD, b[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if n == 0 && err == nil {
			unix.Kill(-pgid, unix.SIGKILL) // the supervisor died first
		}
		return 0
	}
}

// watchdog is the supervisor's handle on its watchdog process.
type watchdog struct {
	release *os.File // the pipe's write end
	proc    *os.Process
}

// startWatchdog starts a watchdog for process group pgid.
func startWatchdog(pgid int) (*watchdog, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return nil, err
	}
	defer null.Close()
	p, err := os.StartProcess("/proc/self/exe", []string{"nono-run", watchdogArg, strconv.Itoa(pgid)}, &os.ProcAttr{
		Env:   []string{watchdogEnv + "=1"},
		Files: []*os.File{null, null, null, r},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		w.Close()
		return nil, err
	}
	return &watchdog{release: w, proc: p}, nil
}

// stop tells the watchdog that the supervisor finished normally and reaps
// it.
func (w *watchdog) stop() {
	w.release.Write([]byte{1})
	w.release.Close()
	w.proc.Wait()
}
