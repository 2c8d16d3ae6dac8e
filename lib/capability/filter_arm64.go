package capability

import "golang.org/x/sys/unix"

var native = opens{arch: unix.AUDIT_ARCH_AARCH64, open: noSys, openat: unix.SYS_OPENAT, openat2: unix.SYS_OPENAT2}

var compat *opens
