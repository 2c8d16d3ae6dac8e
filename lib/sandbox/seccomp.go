package sandbox

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Filter is an extra seccomp program for the command, installed after
// nono's own filter (seccomp runs every installed filter and the strictest
// answer wins). Program is a complete classic BPF program over struct
// seccomp_data and must check the architecture itself. With NewListener
// the filter is installed with SECCOMP_FILTER_FLAG_NEW_LISTENER and its
// user-notification descriptor is returned to the supervisor (see
// ConfineThread), which must answer every SECCOMP_RET_USER_NOTIF the
// program returns.
type Filter struct {
	Program     []unix.SockFilter
	NewListener bool
}

// sysnums are the numbers of the system calls nono's filter looks at, for
// one architecture; absent ones are noSys.
type sysnums struct {
	arch                                    uint32
	tkill, tgkill, rtTgsigqueueinfo         uint32
	pidfdOpen, fcntl, fcntl64, prlimit64    uint32
	socket, socketpair, socketcall, ioUring uint32
	x32                                     bool // refuse the x32 ABI's numbers (amd64)
}

const noSys = ^uint32(0)

// socketcall's call numbers (linux/net.h).
const (
	sysSocketcallSocket     = 1
	sysSocketcallSocketpair = 8
)

// filterSpec is what nono's own filter enforces.
type filterSpec struct {
	// thread, when not 0, is the supervisor's launch thread: the command
	// may not signal it (tkill, tgkill, rt_tgsigqueueinfo), open a pidfd
	// on it, direct SIGIO to a thread (F_SETOWN_EX), or change another
	// process's resource limits (prlimit64 with a pid). Landlock's signal
	// scope covers the rest of the supervisor, which lies outside the
	// command's domain; the launch thread shares it.
	thread int
	// unixOnly: --block-net's socket families.
	unixOnly bool
	// tcpOnly: TCP is restricted by Landlock, which does not see
	// multipath TCP (IPPROTO_MPTCP), a stream that falls back to plain
	// TCP and so would reach any port. Such sockets are refused, and
	// io_uring, which could create them behind seccomp's back; so is
	// i386's socketcall(SOCKET), whose arguments seccomp cannot read.
	tcpOnly bool
}

func (s filterSpec) empty() bool { return s.thread == 0 && !s.unixOnly && !s.tcpOnly }

// rule is one check: when the call is nr (and, with arg >= 0, the low 32
// bits of that argument equal val, or differ from it with ne), return ret.
// Only the low 32 bits are compared because the kernel truncates these
// arguments (pid_t, int) to 32 bits: comparing all 64 would let a caller
// pass the same value with garbage above.
type rule struct {
	nr  uint32
	arg int
	ne  bool
	val uint32
	ret uint32
}

func (s filterSpec) rules(n sysnums) []rule {
	eperm := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	eacces := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EACCES))
	var rs []rule
	add := func(r rule) {
		if r.nr != noSys {
			rs = append(rs, r)
		}
	}
	if t := uint32(s.thread); s.thread != 0 {
		add(rule{nr: n.tkill, arg: 0, val: t, ret: eperm})
		add(rule{nr: n.tgkill, arg: 1, val: t, ret: eperm})
		add(rule{nr: n.rtTgsigqueueinfo, arg: 1, val: t, ret: eperm})
		add(rule{nr: n.pidfdOpen, arg: 0, val: t, ret: eperm})
		add(rule{nr: n.fcntl, arg: 1, val: unix.F_SETOWN_EX, ret: eperm})
		add(rule{nr: n.fcntl64, arg: 1, val: unix.F_SETOWN_EX, ret: eperm})
		add(rule{nr: n.prlimit64, arg: 0, ne: true, val: 0, ret: eperm})
	}
	if s.unixOnly {
		add(rule{nr: n.socket, arg: 0, ne: true, val: unix.AF_UNIX, ret: eacces})
		add(rule{nr: n.socketpair, arg: 0, ne: true, val: unix.AF_UNIX, ret: eacces})
		add(rule{nr: n.socketcall, arg: 0, val: sysSocketcallSocket, ret: eacces})
		add(rule{nr: n.socketcall, arg: 0, val: sysSocketcallSocketpair, ret: eacces})
		add(rule{nr: n.ioUring, arg: -1, ret: eacces})
	} else if s.tcpOnly {
		add(rule{nr: n.socket, arg: 2, val: unix.IPPROTO_MPTCP, ret: eacces})
		add(rule{nr: n.socketcall, arg: 0, val: sysSocketcallSocket, ret: eacces})
		add(rule{nr: n.ioUring, arg: -1, ret: eacces})
	}
	return rs
}

// Offsets in struct seccomp_data: nr, arch, instruction_pointer, args[6]
// (the low word of a 64-bit argument comes first on little-endian).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

func stmt(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }

func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

const (
	ldW  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	jeqK = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	jgeK = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	retK = unix.BPF_RET | unix.BPF_K
)

// block is the program for one architecture: each rule in turn, then allow.
func block(n sysnums, rs []rule) []unix.SockFilter {
	var p []unix.SockFilter
	if n.x32 {
		p = append(p, stmt(ldW, offNr),
			jump(jgeK, 0x40000000, 0, 1),
			stmt(retK, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS)))
	}
	for _, r := range rs {
		if r.arg < 0 {
			p = append(p, stmt(ldW, offNr), jump(jeqK, r.nr, 0, 1), stmt(retK, r.ret))
			continue
		}
		match, miss := uint8(0), uint8(1) // from the compare: to ret, or past it
		if r.ne {
			match, miss = 1, 0
		}
		p = append(p,
			stmt(ldW, offNr),
			jump(jeqK, r.nr, 0, 3),
			stmt(ldW, offArgs+8*uint32(r.arg)),
			jump(jeqK, r.val, match, miss),
			stmt(retK, r.ret))
	}
	return append(p, stmt(retK, unix.SECCOMP_RET_ALLOW))
}

// program assembles nono's filter: dispatch on the architecture (the
// native one and, on amd64, i386), each with its own numbers; any other
// architecture gets ENOSYS.
func (s filterSpec) program() ([]unix.SockFilter, error) {
	if native.arch == 0 {
		return nil, errors.New("seccomp filters are not available on this architecture")
	}
	nb := block(native, s.rules(native))
	var cb []unix.SockFilter
	if compat != nil {
		cb = block(*compat, s.rules(*compat))
	}
	if len(nb)+len(cb) > 250 {
		return nil, errors.New("seccomp filter too long")
	}
	p := []unix.SockFilter{stmt(ldW, offArch)}
	if compat != nil {
		// native: fall through; compat: skip the native block.
		p = append(p, jump(jeqK, native.arch, 2, 0), jump(jeqK, compat.arch, uint8(len(nb)+1), 0))
	} else {
		p = append(p, jump(jeqK, native.arch, 1, 0))
	}
	p = append(p, stmt(retK, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS)))
	p = append(p, nb...)
	return append(p, cb...), nil
}

// installFilter installs prog on the calling thread (no_new_privs must be
// set) and returns the listener descriptor when flags ask for one.
func installFilter(prog []unix.SockFilter, flags uintptr) (int, error) {
	if len(prog) == 0 || len(prog) > 4096 {
		return -1, fmt.Errorf("seccomp program of %d instructions", len(prog))
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return -1, fmt.Errorf("install seccomp filter: %w", errno)
	}
	return int(r), nil
}
