package capability

import (
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestSyncWakeUp: the listener accepts the flag by value (the fast path
// is on), and refuses it by pointer, as its _IOW encoding would suggest.
func TestSyncWakeUp(t *testing.T) {
	if reason := Available(func(string) string { return "" }); reason != "" {
		t.Skip(reason)
	}
	fd := testListener(t)
	defer unix.Close(fd)
	if err := setSyncWakeUp(fd); err != nil {
		t.Fatalf("set SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: %v", err)
	}
	flags := uint64(userNotifFDSyncWakeUp)
	if err := ioctl(fd, iocSetFlags, unsafe.Pointer(&flags)); err != unix.EINVAL {
		t.Errorf("the flags by pointer: got %v, want EINVAL", err)
	}
}

// testListener installs Filter on a thread of its own, which then ends
// without opening anything, and returns the filter's listener.
func testListener(t *testing.T) int {
	f, err := Filter()
	if err != nil {
		t.Skip(err)
	}
	type result struct {
		fd  int
		err error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: Go ends the filtered thread
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			done <- result{err: err}
			return
		}
		prog := unix.SockFprog{Len: uint16(len(f.Program)), Filter: &f.Program[0]}
		fd, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&prog)))
		if errno != 0 {
			done <- result{err: errno}
			return
		}
		done <- result{fd: int(fd)}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("install the filter: %v", r.err)
	}
	return r.fd
}
