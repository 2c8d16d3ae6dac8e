package capability

import "golang.org/x/sys/unix"

var native = opens{arch: unix.AUDIT_ARCH_X86_64, open: unix.SYS_OPEN, openat: unix.SYS_OPENAT, openat2: unix.SYS_OPENAT2}

// compat is i386 (arch/x86/entry/syscalls/syscall_32.tbl).
var compat = &opens{arch: unix.AUDIT_ARCH_I386, open: 5, openat: 295, openat2: 437}
