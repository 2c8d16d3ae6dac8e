package capability

import (
	"errors"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel's user-notification structures (linux/seccomp.h).
type seccompData struct {
	nr   int32
	arch uint32
	ip   uint64
	args [6]uint64
}

type notif struct {
	id    uint64
	pid   uint32
	flags uint32
	data  seccompData
}

type notifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

type addfd struct {
	id         uint64
	flags      uint32
	srcfd      uint32
	newfd      uint32
	newfdFlags uint32
}

// ioctl requests: _IOWR('!', 0, struct seccomp_notif) and the rest.
const (
	iocRecv     = 0xc0502100
	iocSend     = 0xc0182101
	iocIDValid  = 0x40082102
	iocAddfd    = 0x40182103
	iocSetFlags = 0x40082104

	userNotifFlagContinue = 1
	addfdFlagSend         = 1 << 1
	userNotifFDSyncWakeUp = 1
)

// setSyncWakeUp asks that a caller hand the CPU straight to the thread
// waiting on listener fd and back (Linux 6.6 and later), saving two
// scheduler wake-ups per call. The kernel takes the flags by value,
// whatever the request's _IOW encoding says: a pointer is EINVAL.
func setSyncWakeUp(fd int) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), iocSetFlags, userNotifFDSyncWakeUp)
	if errno != 0 {
		return errno
	}
	return nil
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

// addfdSend places a descriptor in the caller and answers its call with
// it (SECCOMP_ADDFD_FLAG_SEND), with every signal blocked on this thread:
// the kernel marks the notification answered before it waits for the
// caller to take the descriptor, so an ioctl interrupted by a signal
// (Go's preemption, SIGCHLD) and restarted finds it answered
// (EINPROGRESS), and the caller's call returns 0, its standard input.
func addfdSend(fd int, add *addfd) unix.Errno {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^all.Val[i]
	}
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old); err != nil {
		return unix.EINVAL
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	add.flags |= addfdFlagSend
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), iocAddfd, uintptr(unsafe.Pointer(add)))
	return errno
}

// respondContinue lets the call run as the kernel would without the
// notifier: every other filter and Landlock still apply.
func respondContinue(fd int, id uint64) {
	r := notifResp{id: id, flags: userNotifFlagContinue}
	ioctl(fd, iocSend, unsafe.Pointer(&r))
}

// respondError fails the call with errno.
func respondError(fd int, id uint64, errno unix.Errno) {
	r := notifResp{id: id, error: -int32(errno)}
	ioctl(fd, iocSend, unsafe.Pointer(&r))
}

// readMem reads len(buf) bytes at addr of process tid.
func readMem(tid int, addr uintptr, buf []byte) error {
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: addr, Len: len(buf)}}
	n, err := unix.ProcessVMReadv(tid, local, remote, 0)
	if err != nil {
		return err
	}
	if n != len(buf) {
		return errors.New("short read")
	}
	return nil
}

// maxPath is PATH_MAX: the kernel refuses longer names.
const maxPath = 4096

// readString reads the NUL-terminated string at addr of process tid, a
// page at a time (a name may end just before an unmapped page).
func readString(tid int, addr uintptr) (string, error) {
	var out []byte
	var page [4096]byte
	for len(out) < maxPath {
		// Most names are short: try 256 bytes before the page's rest.
		chunk := page[:4096-int(addr%4096)]
		if len(out) == 0 && len(chunk) > 256 {
			chunk = chunk[:256]
		}
		if err := readMem(tid, addr, chunk); err != nil {
			return "", err
		}
		for i, c := range chunk {
			if c == 0 {
				return string(append(out, chunk[:i]...)), nil
			}
		}
		out = append(out, chunk...)
		addr += uintptr(len(chunk))
	}
	return "", unix.ENAMETOOLONG
}
