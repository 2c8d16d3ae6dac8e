package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// forwarded are the signals the supervisor passes on to the child's
// process group. Ctrl-C and friends from the terminal go to the child's
// group directly (it is the foreground group), never to the supervisor,
// so the child sees each exactly once.
var forwarded = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGWINCH}

// Signals starts catching the signals the supervisor forwards, plus
// SIGCONT for job control. Call it before anything else can take time, so
// a signal that arrives while the session is being set up is forwarded to
// the child once it runs rather than killing the supervisor. A signal the
// supervisor was started with ignored stays ignored, for the child too.
func Signals() (sigs <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 32)
	var set []os.Signal
	for _, s := range forwarded {
		if !signal.Ignored(s) {
			set = append(set, s)
		}
	}
	signal.Notify(ch, append(set, unix.SIGCONT)...)
	return ch, func() { signal.Stop(ch) }
}

// Stdio are the child's standard input, output and error.
type Stdio struct{ In, Out, Err *os.File }

// Child is a running command in its own process group.
type Child struct {
	Pid int // also its process group ID

	term       *terminal // nil without a controlling terminal
	status     chan unix.WaitStatus
	stopped    bool           // the child is stopped and the supervisor knows it
	childModes *unix.Termios  // the child's terminal modes when it stopped
	watchdog   chan *watchdog // delivers the watchdog (nil if it could not start)
}

// Start runs e in a new process group with argv and env. With a
// controlling terminal whose foreground is the supervisor's group, the
// child's group becomes the foreground. The child gets SIGKILL if the
// supervisor dies, and a watchdog kills its whole group then.
func Start(e *Executable, argv, env []string, stdio Stdio) (*Child, error) {
	path, extra := e.target()
	files := []*os.File{stdio.In, stdio.Out, stdio.Err}
	if extra != nil {
		files = append(files, extra)
	} else {
		// Keep the descriptor named by path clear of every number the
		// fork's descriptor shuffle may write to (Go dups onto the
		// numbers just above the highest one it passes).
		high, err := unix.FcntlInt(e.file.Fd(), unix.F_DUPFD_CLOEXEC, maxFD(files)+len(files)+8)
		if err != nil {
			return nil, &LaunchError{Name: argv[0], Code: StatusCannotExecute, Err: err}
		}
		defer unix.Close(high)
		path = fmt.Sprintf("/proc/self/fd/%d", high)
	}
	sys := &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	c := &Child{term: openTerminal(), status: make(chan unix.WaitStatus, 4)}
	if c.term != nil && c.term.ours() {
		sys.Foreground = true
		sys.Ctty = c.term.fd
	}

	started := make(chan error, 1)
	go c.run(path, argv, env, files, sys, started)
	if err := <-started; err != nil {
		if c.term != nil {
			c.term.close()
		}
		if interp := e.interpreter(); interp != "" && errors.Is(err, unix.ENOENT) {
			// The script exists; its #! line names what does not.
			return nil, &LaunchError{Name: argv[0], Code: StatusCannotExecute, Err: fmt.Errorf("%s: bad interpreter: %w", interp, unix.ENOENT)}
		}
		return nil, launchError(argv[0], err)
	}
	if c.term != nil {
		// Taking the terminal back from the background raises SIGTTOU.
		// Ignored only now: the child must not inherit the disposition.
		signal.Ignore(unix.SIGTTOU)
	}
	// The watchdog starts while the child already runs: nothing waits
	// for it but finish.
	c.watchdog = make(chan *watchdog, 1)
	go func() {
		w, _ := startWatchdog(c.Pid)
		c.watchdog <- w
	}()
	return c, nil
}

func maxFD(files []*os.File) int {
	m := 0
	for _, f := range files {
		if fd := int(f.Fd()); fd > m {
			m = fd
		}
	}
	return m
}

// run starts the child and reaps it, on one locked OS thread: the kernel
// sends PR_SET_PDEATHSIG when the thread that forked the child ends, not
// the process, and Go may end an idle thread; a locked thread lives until
// it is unlocked, after the child is reaped.
func (c *Child) run(path string, argv, env []string, files []*os.File, sys *syscall.SysProcAttr, started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := os.StartProcess(path, argv, &os.ProcAttr{Env: env, Files: files, Sys: sys})
	if err != nil {
		started <- err
		return
	}
	c.Pid = p.Pid
	started <- nil
	defer p.Release()
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(c.Pid, &ws, unix.WUNTRACED|unix.WCONTINUED, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			// Cannot happen for our own child; report it as killed.
			ws = unix.WaitStatus(unix.SIGKILL)
		}
		c.status <- ws
		if ws.Exited() || ws.Signaled() {
			return
		}
	}
}

// Wait supervises the child until it ends: it forwards the signals from
// sigs to the child's group and follows the child's stops and continues
// with job control. It returns how the child ended.
func (c *Child) Wait(sigs <-chan os.Signal) unix.WaitStatus {
	for {
		select {
		case ws := <-c.status:
			switch {
			case ws.Exited() || ws.Signaled():
				c.finish(ws)
				return ws
			case ws.Stopped():
				c.onStop(ws.StopSignal())
			case ws.Continued():
				c.stopped = false
			}
		case s := <-sigs:
			sig := s.(syscall.Signal)
			if sig == unix.SIGCONT {
				c.resume()
				continue
			}
			unix.Kill(-c.Pid, sig)
		}
	}
}

// onStop follows a stopped child like a job-control shell would: take the
// terminal back and stop the supervisor's own group with the same signal,
// so the user's shell sees the whole job stopped.
func (c *Child) onStop(sig syscall.Signal) {
	c.stopped = true
	t := c.term
	if t == nil {
		return // no job control: whoever stopped it will continue it
	}
	if (sig == unix.SIGTTIN || sig == unix.SIGTTOU) && t.ours() {
		// The child touched the terminal while the supervisor had it (it
		// was started in the background and brought to the foreground):
		// hand it over and carry on.
		c.resume()
		return
	}
	if t.foreground() == c.Pid {
		c.childModes = t.getModes()
		t.give(t.pgrp)
		t.setModes(t.modes)
	}
	sid, _ := unix.Getsid(0)
	if orphaned(t.pgrp, sid) {
		// No shell would ever continue us, and the kernel would drop the
		// stop anyway: ignore it, as it does for orphaned groups.
		c.resume()
		return
	}
	if sig == unix.SIGTTOU {
		sig = unix.SIGTSTP // the supervisor ignores SIGTTOU, which would not stop it
	}
	unix.Kill(-t.pgrp, sig)
	// Execution resumes here after SIGCONT; resume runs when it arrives.
}

// resume continues the child, first giving it the terminal back if the
// supervisor's group is now the foreground (the user typed fg).
func (c *Child) resume() {
	if t := c.term; t != nil && t.ours() {
		if c.stopped {
			t.setModes(c.childModes)
		}
		t.give(c.Pid)
	}
	c.stopped = false
	unix.Kill(-c.Pid, unix.SIGCONT)
}

// finish takes the terminal back after the child ended and, when a signal
// killed it (leaving, say, a raw-mode terminal), restores the modes the
// supervisor started with. It also releases the watchdog.
func (c *Child) finish(ws unix.WaitStatus) {
	if t := c.term; t != nil {
		if t.foreground() == c.Pid {
			t.give(t.pgrp)
			if ws.Signaled() {
				t.setModes(t.modes)
			}
		}
		t.close()
	}
	if w := <-c.watchdog; w != nil {
		w.stop()
	}
}

// ExitStatus maps how a process ended to an exit status: its exit code, or
// 128+N when signal N killed it (the shell convention, and what upstream
// records as exit_code).
func ExitStatus(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 128 + int(unix.SIGKILL)
}
