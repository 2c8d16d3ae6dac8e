package sandbox

import "golang.org/x/sys/unix"

var native = sysnums{
	arch: unix.AUDIT_ARCH_X86_64, tkill: unix.SYS_TKILL, tgkill: unix.SYS_TGKILL,
	rtTgsigqueueinfo: unix.SYS_RT_TGSIGQUEUEINFO, pidfdOpen: unix.SYS_PIDFD_OPEN,
	fcntl: unix.SYS_FCNTL, fcntl64: noSys, prlimit64: unix.SYS_PRLIMIT64,
	socket: unix.SYS_SOCKET, socketpair: unix.SYS_SOCKETPAIR, socketcall: noSys,
	ioUring: unix.SYS_IO_URING_SETUP, x32: true,
}

// compat is i386, which an amd64 kernel also runs (numbers from
// arch/x86/entry/syscalls/syscall_32.tbl).
var compat = &sysnums{
	arch: unix.AUDIT_ARCH_I386, tkill: 238, tgkill: 270, rtTgsigqueueinfo: 335,
	pidfdOpen: 434, fcntl: 55, fcntl64: 221, prlimit64: 340,
	socket: 359, socketpair: 360, socketcall: 102, ioUring: 425,
}
