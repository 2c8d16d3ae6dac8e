package supervise

import (
	"os"
	"strconv"
	"syscall"
)

// The watchdog is a tiny shell started in its own session, so that killing
// the supervisor's process group does not reach it. Its standard input is
// a pipe whose only write end the supervisor holds: a line means the
// supervisor finished normally; end of file without one means it died,
// and the watchdog kills the child's whole process group. PR_SET_PDEATHSIG
// alone kills only the direct child and leaves its own children (a shell's
// pipeline, a build's compilers) running with no one recording them.
//
// A shell, not a second copy of the supervisor: it starts in a fraction of
// the time, and it only ever needs read and kill.
const watchdogScript = `trap '' INT QUIT TERM HUP TSTP TTIN TTOU; read -r _ || kill -s KILL -- "-$1"`

// watchdogShell runs the script; without it the child still has
// PR_SET_PDEATHSIG.
const watchdogShell = "/bin/sh"

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
	p, err := os.StartProcess(watchdogShell, []string{"nono-run-watchdog", "-c", watchdogScript, "nono-run-watchdog", strconv.Itoa(pgid)}, &os.ProcAttr{
		Env:   []string{},
		Files: []*os.File{r, null, null},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		w.Close()
		return nil, err
	}
	return &watchdog{release: w, proc: p}, nil
}

// stop tells the watchdog that the supervisor finished normally. It is
// reaped in the background: the supervisor need not wait for it.
func (w *watchdog) stop() {
	w.release.Write([]byte{'\n'})
	w.release.Close()
	go w.proc.Wait()
}
