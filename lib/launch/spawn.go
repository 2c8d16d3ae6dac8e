package launch

import (
	"errors"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// Spawn starts the program at path as os.StartProcess does (the same
// vfork and exec, the same *os.PathError), but returns a bare PID: no
// process handle. os.StartProcess makes a pidfd for each child, and the
// first one a process makes costs a test fork of its own (is clone's
// CLONE_PIDFD working?), on nono-run's way to the command; nono-run
// waits for its children by PID. files become the child's descriptors 0,
// 1, 2, … (a nil one closed); a nil env is this process's environment.
func Spawn(path string, argv, env []string, dir string, files []*os.File, sys *syscall.SysProcAttr) (int, error) {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd() // also makes the descriptor blocking again, as os does
	}
	if env == nil {
		env = os.Environ()
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Dir: dir, Env: env, Files: fds, Sys: sys})
	for _, f := range files {
		// Keep each file (and its descriptor) open until the child has its
		// copy: Fd alone does not.
		runtime.KeepAlive(f)
	}
	if err != nil {
		return 0, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	return pid, nil
}

// Wait waits for the child pid to end, through interruptions.
func Wait(pid int) (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if !errors.Is(err, unix.EINTR) {
			return ws, err
		}
	}
}
