package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"syscall"

	"github.com/nono-audit/nono/lib/beside"
	"github.com/nono-audit/nono/lib/confine"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/sandbox"
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
// supervisor was started with ignored stays ignored, for the child too,
// except those in catch: a shell that starts the supervisor as a
// background job ignores SIGINT and SIGQUIT for it, though its own
// caller did not.
func Signals(catch ...os.Signal) (sigs <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 32)
	var set []os.Signal
	for _, s := range forwarded {
		if !signal.Ignored(s) || slices.Contains(catch, s) {
			set = append(set, s)
		}
	}
	signal.Notify(ch, append(set, unix.SIGCONT)...)
	return ch, func() { signal.Stop(ch) }
}

// Stdio are the child's standard input, output and error.
type Stdio struct{ In, Out, Err *os.File }

// Child is a command in its own process group: stopped at its exec
// until Release (or Abort), then running.
type Child struct {
	Pid       int        // also its process group ID
	Listeners []*os.File // seccomp user-notification descriptors, if the confinement made any

	term       *terminal // nil without a controlling terminal
	status     chan unix.WaitStatus
	release    chan bool     // true: detach and supervise; false: kill
	stopped    bool          // the child is stopped and the supervisor knows it
	childModes *unix.Termios // the child's terminal modes when it stopped
	watchdog   *watchdog     // armed once released (nil if it could not be)
}

// Launch is what Start needs to start a command.
type Launch struct {
	Path  string // given to execve: what a shell would pass (the command then sees its own name)
	Dir   string // the working directory a relative Path is taken from ("": this process's)
	Argv  []string
	Env   []string
	Stdio Stdio
	// Confine, when set, runs on the thread that forks the command, just
	// before the fork (sandbox.Policy.GuardThread or ConfineThread, whose
	// filters and rules that thread then keeps); it returns
	// user-notification descriptors.
	Confine func() (listeners []int, err error)
	// Ruleset, when set, is the Landlock ruleset the command enforces
	// itself before its exec, with the rule for its own /proc/PID added
	// (see confine.go); Confine then only guards the thread
	// (sandbox.Policy.GuardThread).
	Ruleset *sandbox.Ruleset
}

// Start starts the command in a new process group and leaves it stopped at
// its exec, traced, before it runs a single instruction of its own: the
// caller identifies what it runs (Executable.Identify), then calls Release
// to let it run, or Abort. With a controlling terminal whose foreground is
// the supervisor's group, the child's group becomes the foreground. The
// child gets SIGKILL if the supervisor dies, and once released a watchdog
// kills its whole group then.
func Start(l Launch) (*Child, error) {
	sys := &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
		Ptrace:    true,
	}
	c := &Child{term: openTerminal(), status: make(chan unix.WaitStatus, 4), release: make(chan bool, 1)}
	if c.term != nil && c.term.ours() {
		sys.Foreground = true
		sys.Ctty = c.term.fd
	}
	started := make(chan error, 1)
	go c.run(l, sys, started)
	if err := <-started; err != nil {
		c.giveBack()
		return nil, err
	}
	return c, nil
}

// Release lets the stopped child run, and starts supervising it.
func (c *Child) Release() {
	// Armed before the child runs: a few system calls, and nothing the
	// child starts can be missed.
	c.watchdog, _ = startWatchdog(c.Pid)
	c.release <- true
	if c.term != nil {
		// Taking the terminal back from the background raises SIGTTOU.
		// Ignored only now: the child must not inherit the disposition.
		signal.Ignore(unix.SIGTTOU)
	}
}

// Abort kills the stopped child (it ran nothing of its own) and reaps it.
func (c *Child) Abort() {
	c.release <- false
	<-c.status
	for _, f := range c.Listeners {
		f.Close()
	}
	c.giveBack()
}

// giveBack takes the terminal back if the child's group had it, and
// closes it.
func (c *Child) giveBack() {
	if t := c.term; t != nil {
		if c.Pid != 0 && t.foreground() == c.Pid {
			t.give(t.pgrp)
		}
		t.close()
	}
}

// run starts the child, holds it at its exec until the verdict, and reaps
// it, on one locked OS thread that is never unlocked: the kernel sends
// PR_SET_PDEATHSIG when the thread that forked the child ends, not the
// process (Go may end an idle thread, but not a locked one); ptrace
// requests must come from the tracing thread; and Confine may leave the
// thread inside the child's sandbox, where no other goroutine may run.
// Go ends the thread when run returns.
func (c *Child) run(l Launch, sys *syscall.SysProcAttr, started chan<- error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// Never the main thread (see sandbox.Policy.ConfineThread): keep
		// it locked until a fresh goroutine has locked another one.
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			c.launch(l, sys, started)
		}()
		<-locked
		runtime.UnlockOSThread()
		return
	}
	c.launch(l, sys, started)
}

func (c *Child) launch(l Launch, sys *syscall.SysProcAttr, started chan<- error) {
	if l.Confine != nil {
		fds, err := l.Confine()
		if err != nil {
			started <- fmt.Errorf("sandbox: %w", err)
			return
		}
		for _, fd := range fds {
			c.Listeners = append(c.Listeners, os.NewFile(uintptr(fd), "seccomp-listener"))
		}
	}
	status, err := c.fork(l, sys)
	if err != nil {
		started <- err
		return
	}
	pending, ws, ok := c.toExec()
	if status != nil {
		// Read only now: the confining copy may stop for a signal once
		// traced, and only toExec lets it go on. It has executed the
		// command (the pipe closed) or exited having said why not.
		err := launchStatus(status, l.Path)
		status.Close()
		if err != nil {
			started <- err
			return
		}
	}
	if !ok {
		started <- &launch.Error{Name: l.Argv[0], Code: ExitStatus(ws), Err: errors.New("killed before it started")}
		return
	}
	started <- nil
	if !<-c.release {
		unix.Kill(c.Pid, unix.SIGKILL)
		c.status <- c.reap(0)
		return
	}
	if err := unix.PtraceDetach(c.Pid); err != nil {
		unix.Kill(c.Pid, unix.SIGKILL) // cannot happen: the child is ours and stopped
	}
	for _, sig := range pending {
		unix.Kill(c.Pid, sig)
	}
	for {
		ws := c.reap(unix.WUNTRACED | unix.WCONTINUED)
		c.status <- ws
		if ws.Exited() || ws.Signaled() {
			return
		}
	}
}

// fork starts the command: directly, or through the confining copy of
// this program when it enforces its ruleset itself; status is then the
// read end of the copy's report (see launchStatus), for the caller to
// read once the child stopped at its exec or ended.
func (c *Child) fork(l Launch, sys *syscall.SysProcAttr) (status *os.File, err error) {
	files := []*os.File{l.Stdio.In, l.Stdio.Out, l.Stdio.Err}
	if l.Ruleset == nil {
		c.Pid, err = launch.Spawn(l.Path, l.Argv, l.Env, l.Dir, files, sys)
		return nil, err
	}
	rs, err := l.Ruleset.File()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	defer rs.Close()
	status, report, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	sys.Ptrace = false // the copy asks for it just before the command's exec
	c.Pid, err = launch.Spawn(confineProgram(), confine.Argv(l.Ruleset.OwnProcRights(), l.Path, l.Argv), l.Env, l.Dir, append(files, rs, report), sys)
	report.Close()
	if err != nil {
		status.Close()
		return nil, err
	}
	return status, nil
}

// confineProgram is what the confining copy runs: nono-run-confine from
// beside this program, which holds nothing but lib/confine and so starts
// in about two thirds of the time (each page of a binary's runtime and
// initialisation a process touches is a page fault), else this program
// itself, whose lib/confine does the same from its init.
var confineProgram = sync.OnceValue(func() string {
	if p, ok := beside.Program(confine.Program); ok {
		return p
	}
	return "/proc/self/exe"
})

// toExec waits for the traced child's stop at its exec (the SIGTRAP the
// kernel sends a PTRACE_TRACEME process after execve). A signal that
// reaches it first is held back and sent again once it is released, so
// the child's own handlers, not the supervisor's ptrace, see it. It
// returns false, with how it ended, if the child died first.
func (c *Child) toExec() (pending []syscall.Signal, ws unix.WaitStatus, ok bool) {
	for {
		ws = c.reap(0)
		switch {
		case ws.Exited() || ws.Signaled():
			return nil, ws, false
		case ws.Stopped() && ws.StopSignal() == unix.SIGTRAP:
			return pending, ws, true
		case ws.Stopped():
			pending = append(pending, ws.StopSignal())
			unix.PtraceCont(c.Pid, 0)
		}
	}
}

// reap waits for a change of the child's state.
func (c *Child) reap(options int) unix.WaitStatus {
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(c.Pid, &ws, options, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			// Cannot happen for our own child; report it as killed.
			ws = unix.WaitStatus(unix.SIGKILL)
		}
		return ws
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
	if c.watchdog != nil {
		c.watchdog.stop()
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
