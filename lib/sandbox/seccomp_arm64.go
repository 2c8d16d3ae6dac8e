package sandbox

import "golang.org/x/sys/unix"

var native = sysnums{
	arch: unix.AUDIT_ARCH_AARCH64, tkill: unix.SYS_TKILL, tgkill: unix.SYS_TGKILL,
	rtTgsigqueueinfo: unix.SYS_RT_TGSIGQUEUEINFO, pidfdOpen: unix.SYS_PIDFD_OPEN,
	fcntl: unix.SYS_FCNTL, fcntl64: noSys, prlimit64: unix.SYS_PRLIMIT64,
	socket: unix.SYS_SOCKET, socketpair: unix.SYS_SOCKETPAIR, socketcall: noSys,
	ioUring: unix.SYS_IO_URING_SETUP,
}

// compat: 32-bit ARM processes get ENOSYS from every filtered call.
var compat *sysnums
