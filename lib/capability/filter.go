package capability

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/sandbox"
)

// opens are the open-family system call numbers of one architecture
// (noSys where it has none).
type opens struct {
	arch                  uint32
	open, openat, openat2 uint32
}

const noSys = ^uint32(0)

// Filter is the seccomp program that sends every open, openat and openat2
// of the command to the supervisor (SECCOMP_RET_USER_NOTIF). Other calls,
// and other architectures, are left to the other filters.
func Filter() (sandbox.Filter, error) {
	if native.arch == 0 {
		return sandbox.Filter{}, errors.New("capability requests are not available on this architecture")
	}
	p := []unix.SockFilter{stmt(ldW, offArch)}
	nb := block(native)
	if compat != nil {
		cb := block(*compat)
		p = append(p,
			jump(jeqK, native.arch, 2, 0),
			jump(jeqK, compat.arch, uint8(len(nb)+1), 0),
			stmt(retK, unix.SECCOMP_RET_ALLOW))
		p = append(append(p, nb...), cb...)
	} else {
		p = append(p, jump(jeqK, native.arch, 1, 0), stmt(retK, unix.SECCOMP_RET_ALLOW))
		p = append(p, nb...)
	}
	return sandbox.Filter{Program: p, NewListener: true}, nil
}

// block: load the number; each open-family number jumps to the
// notification, anything else is allowed.
func block(o opens) []unix.SockFilter {
	var nrs []uint32
	for _, nr := range []uint32{o.open, o.openat, o.openat2} {
		if nr != noSys {
			nrs = append(nrs, nr)
		}
	}
	b := []unix.SockFilter{stmt(ldW, offNr)}
	for i, nr := range nrs {
		b = append(b, jump(jeqK, nr, uint8(len(nrs)-i), 0))
	}
	return append(b, stmt(retK, unix.SECCOMP_RET_ALLOW), stmt(retK, unix.SECCOMP_RET_USER_NOTIF))
}

const (
	offNr   = 0
	offArch = 4
	ldW     = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	jeqK    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	retK    = unix.BPF_RET | unix.BPF_K
)

func stmt(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }

func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

// Available reports why seccomp user notification cannot be used here,
// or "" when it can. NONO_TEST_NO_SECCOMP_NOTIFY=1 (through getenv)
// pretends it cannot, for tests.
func Available(getenv func(string) string) string {
	if getenv("NONO_TEST_NO_SECCOMP_NOTIFY") == "1" {
		return "seccomp user notification is not available (NONO_TEST_NO_SECCOMP_NOTIFY=1)"
	}
	if native.arch == 0 {
		return "seccomp user notification is not supported on this architecture"
	}
	action := uint32(unix.SECCOMP_RET_USER_NOTIF)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, seccompGetActionAvail, 0, uintptr(unsafe.Pointer(&action)))
	if errno != 0 {
		return "seccomp user notification is not available on this kernel: " + errno.Error()
	}
	return ""
}

const seccompGetActionAvail = 2 // SECCOMP_GET_ACTION_AVAIL
