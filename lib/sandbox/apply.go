package sandbox

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// ConfineThread confines the calling OS thread to p before it forks the
// command, which inherits all of it: no_new_privs; then, because the
// command will share this thread's Landlock domain, the guards that keep
// the command away from the thread (CAP_SYS_PTRACE dropped, so a command
// running as root cannot read the supervisor's /proc entries past
// PR_SET_DUMPABLE, and nono's seccomp filter, see filterSpec); p's own
// filters; and finally the Landlock ruleset rs. It returns the
// user-notification descriptors of the filters that asked for one.
//
// The thread belongs to the sandbox from then on. The caller must have
// locked its goroutine to it (runtime.LockOSThread) and must never unlock
// it, so that Go never runs another goroutine there; returning from the
// goroutine while locked makes Go end the thread. It must not be the
// main thread: the kernel checks signals sent to the process, and access
// to /proc/PID, against the thread-group leader, which must stay outside
// the domain. The thread may wait for, ptrace and signal the command;
// anything that opens files must run on another thread.
func (p *Policy) ConfineThread(rs *Ruleset) (listeners []int, err error) {
	return p.guardThread(rs)
}

// GuardThread is ConfineThread without the Landlock ruleset, for a launch
// whose command enforces the ruleset itself before its exec
// (lib/confine), so that its rules can name its own /proc/PID: the
// thread gets no_new_privs (which the command inherits, and needs to
// enforce a ruleset), the guards and p's filters.
func (p *Policy) GuardThread() (listeners []int, err error) {
	return p.guardThread(nil)
}

func (p *Policy) guardThread(rs *Ruleset) ([]int, error) {
	tid := unix.Gettid()
	if tid == unix.Getpid() {
		return nil, errors.New("refusing to confine the main thread")
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("set no_new_privs: %w", err)
	}
	if err := dropPtrace(); err != nil {
		return nil, err
	}
	return p.confine(rs, filterSpec{thread: tid, unixOnly: p.Network.UnixOnly, tcpOnly: p.Network.RestrictTCP}, true)
}

// confine installs nono's filter, p's filters and the ruleset.
func (p *Policy) confine(rs *Ruleset, own filterSpec, listen bool) ([]int, error) {
	if !own.empty() {
		prog, err := own.program()
		if err != nil {
			return nil, err
		}
		if _, err := installFilter(prog, 0); err != nil {
			return nil, err
		}
	}
	var listeners []int
	for _, f := range p.Filters {
		var flags uintptr
		if f.NewListener {
			if !listen {
				return nil, errors.New("a seccomp user-notification filter needs a supervisor to answer it")
			}
			flags = unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
		}
		fd, err := installFilter(f.Program, flags)
		if err != nil {
			return nil, err
		}
		if f.NewListener {
			listeners = append(listeners, fd)
		}
	}
	if rs != nil {
		if err := rs.restrictSelf(); err != nil {
			return nil, err
		}
	}
	return listeners, nil
}

// dropPtrace removes CAP_SYS_PTRACE from this thread's capability sets
// and bounding set. Without it a command running as root could open the
// /proc/PID/task/TID entries of the launch thread, which shares its
// domain, whatever PR_SET_DUMPABLE says. With no_new_privs set, an exec
// (even root's) never gains a capability the thread's permitted set
// lacks, so the bounding set is only a second lock: a process without
// CAP_SETPCAP cannot change it and is left as it is.
func dropPtrace() error {
	if err := unix.Prctl(unix.PR_CAPBSET_DROP, unix.CAP_SYS_PTRACE, 0, 0, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("drop CAP_SYS_PTRACE from the bounding set: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	const bit = 1 << unix.CAP_SYS_PTRACE
	if (data[0].Effective|data[0].Permitted|data[0].Inheritable)&bit == 0 {
		return nil
	}
	data[0].Effective &^= bit
	data[0].Permitted &^= bit
	data[0].Inheritable &^= bit
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("drop CAP_SYS_PTRACE: %w", err)
	}
	return nil
}

// Exec replaces the process with the program at path, confined to p: the
// calling goroutine is locked to its thread, that thread is confined (no
// supervisor guard: there is no supervisor) and execve runs from it, so
// the program starts inside the domain; the process's other threads end
// with the exec. It returns only on failure, with the thread confined:
// the caller should exit.
func (p *Policy) Exec(rs *Ruleset, path string, argv, env []string) error {
	runtime.LockOSThread() // never unlocked: the thread is confined below
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	if err := rs.addOwnProc(); err != nil {
		return err
	}
	if _, err := p.confine(rs, filterSpec{unixOnly: p.Network.UnixOnly, tcpOnly: p.Network.RestrictTCP}, false); err != nil {
		return err
	}
	return syscall.Exec(path, argv, env)
}
