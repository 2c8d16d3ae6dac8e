package capability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/sandbox"
)

// Server answers the command's open calls on one seccomp listener.
type Server struct {
	Listener *os.File
	Policy   *sandbox.Policy // the static grants: let through unchanged
	// Unreachable names the protected stores and deny paths a request
	// may never be granted (sandbox.Spec.Unreachable).
	Unreachable func(path string) (string, bool)
	Approver    Approver
	Timeout     time.Duration // per request; 0: DefaultTimeout
	Emit        func(event []byte)
	Session     string // session_id of the requests
	Now         func() time.Time

	next    atomic.Uint64
	pending sync.WaitGroup
}

// Start serves on a goroutine of its own until the returned function is
// called; that function waits for the requests in progress (their
// backends are cancelled), so no event is emitted after it returns, and
// closes the listener (the command's open calls fail with ENOSYS from
// then on).
func (s *Server) Start() (stop func()) {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	tid := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// One thread waits in SECCOMP_IOCTL_NOTIF_RECV for the command's
		// opens, so each wakes it directly; stop interrupts the wait
		// with a signal.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		s.serve(ctx)
	}()
	serving := <-tid
	return func() {
		cancel()
		for stopped := false; !stopped; {
			// SIGURG (Go's preemption signal, harmless) ends the wait
			// with EINTR; again, in case it arrived just before.
			unix.Tgkill(unix.Getpid(), serving, unix.SIGURG)
			select {
			case <-done:
				stopped = true
			case <-time.After(10 * time.Millisecond):
			}
		}
		s.pending.Wait()
		s.Listener.Close()
	}
}

func (s *Server) serve(ctx context.Context) {
	fd := int(s.Listener.Fd())
	setSyncWakeUp(fd) // before Linux 6.6 the same happens, only slower
	n := new(notif)   // reused: handle keeps nothing of it
	for ctx.Err() == nil {
		*n = notif{} // the kernel wants it zeroed
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), iocRecv, uintptr(unsafe.Pointer(n)))
		switch errno {
		case 0:
			s.handle(ctx, fd, n)
		case unix.EINTR, unix.ENOENT:
			// Interrupted (stop, or Go's preemption), or the caller
			// died before its notification was read.
		default:
			return // the listener is unusable
		}
	}
}

// handle answers one open call: at once when the path is inside the
// grants (or is none of the supervisor's business), else on a goroutine
// of its own, since the backend may take long.
func (s *Server) handle(ctx context.Context, fd int, n *notif) {
	call, ok := decode(n)
	if !ok || call.flags&unix.O_PATH != 0 || call.resolve != 0 {
		// O_PATH gives no access; openat2's RESOLVE_ flags only narrow.
		respondContinue(fd, n.id)
		return
	}
	name, err := readString(int(n.pid), call.path)
	if err != nil || name == "" {
		respondContinue(fd, n.id) // the kernel gives the caller EFAULT or ENOENT
		return
	}
	abs, ok := absolute(int(n.pid), call.dirfd, name)
	if !ok || kernelJudges(abs) {
		respondContinue(fd, n.id)
		return
	}
	access := accessOf(call.flags, false)
	if s.Policy.Covers(abs, access) {
		respondContinue(fd, n.id)
		return
	}
	target, exists, ok := canonicalTarget(abs, call.flags)
	if !ok || !exists && call.flags&unix.O_CREAT == 0 {
		// Nothing there: the kernel says ENOENT, as without expansion.
		respondContinue(fd, n.id)
		return
	}
	access = accessOf(call.flags, !exists)
	if s.Policy.Covers(target, access) {
		respondContinue(fd, n.id)
		return
	}
	// The path was read from the caller's memory: it is only the
	// caller's if the call is still waiting on it.
	if ioctl(fd, iocIDValid, unsafe.Pointer(&n.id)) != nil {
		return
	}
	req := &Request{
		ID:      "cap-" + strconv.FormatUint(s.next.Add(1), 10),
		Path:    target,
		Access:  access,
		Pid:     n.pid,
		Session: s.Session,
	}
	id := n.id
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		s.decide(ctx, fd, id, call, req)
	}()
}

// decide asks the backend (unless the path is unreachable), records the
// decision, and acts on it.
func (s *Server) decide(ctx context.Context, fd int, id uint64, call openCall, req *Request) {
	at := s.Now()
	var d Decision
	backend := s.Approver.Name()
	if what, ok := s.Unreachable(req.Path); ok {
		d = deny("%s is never granted", what)
	} else {
		raw := AppendRequest(nil, req)
		actx, cancel := context.WithTimeout(ctx, s.Timeout)
		d = s.Approver.Decide(actx, req, raw)
		cancel()
	}
	s.Emit(Event(at, req, d, backend, s.Now().Sub(at)))
	if d.Verdict != Granted {
		respondError(fd, id, unix.EACCES)
		return
	}
	// Open exactly what was decided: the canonical path, no symbolic
	// link followed on the way (one planted since would fail with
	// ELOOP), with the caller's flags and mode.
	flags := call.flags&^unix.O_CLOEXEC | unix.O_CLOEXEC | unix.O_NOCTTY
	how := unix.OpenHow{Flags: uint64(flags), Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	if flags&(unix.O_CREAT|unix.O_TMPFILE) != 0 {
		how.Mode = uint64(call.mode &^ umask(int(req.Pid)) & 0o7777)
	}
	file, err := unix.Openat2(unix.AT_FDCWD, req.Path, &how)
	if err != nil {
		var errno unix.Errno
		if !errors.As(err, &errno) {
			errno = unix.EACCES
		}
		respondError(fd, id, errno)
		return
	}
	defer unix.Close(file)
	add := addfd{id: id, flags: addfdFlagSend, srcfd: uint32(file)}
	if call.flags&unix.O_CLOEXEC != 0 {
		add.newfdFlags = unix.O_CLOEXEC
	}
	errno := addfdSend(fd, &add)
	if errno != 0 {
		respondError(fd, id, unix.EACCES) // gone already, or out of descriptors
	}
}

// openCall is what an open-family call asks.
type openCall struct {
	dirfd   int32
	path    uintptr
	flags   int
	mode    uint32
	resolve uint64
}

// decode reads the arguments of an open, openat or openat2 call (for
// openat2, the caller's struct open_how).
func decode(n *notif) (openCall, bool) {
	a := n.data.args
	arch := native
	ptr := func(v uint64) uintptr { return uintptr(v) }
	if compat != nil && n.data.arch == compat.arch {
		arch = *compat
		ptr = func(v uint64) uintptr { return uintptr(uint32(v)) }
	} else if n.data.arch != native.arch {
		return openCall{}, false
	}
	switch uint32(n.data.nr) {
	case arch.open:
		return openCall{dirfd: unix.AT_FDCWD, path: ptr(a[0]), flags: int(int32(a[1])), mode: uint32(a[2])}, true
	case arch.openat:
		return openCall{dirfd: int32(a[0]), path: ptr(a[1]), flags: int(int32(a[2])), mode: uint32(a[3])}, true
	case arch.openat2:
		var how unix.OpenHow
		if a[3] < uint64(unsafe.Sizeof(how)) {
			return openCall{}, false
		}
		buf := unsafe.Slice((*byte)(unsafe.Pointer(&how)), unsafe.Sizeof(how))
		if readMem(int(n.pid), ptr(a[2]), buf) != nil {
			return openCall{}, false
		}
		if how.Flags>>32 != 0 {
			return openCall{}, false // the kernel refuses those with EINVAL
		}
		return openCall{dirfd: int32(a[0]), path: ptr(a[1]), flags: int(how.Flags), mode: uint32(how.Mode), resolve: how.Resolve}, true
	}
	return openCall{}, false
}

// accessOf is what the flags ask: the access mode, and writing for a
// truncation, a new file or an unnamed temporary one.
func accessOf(flags int, creating bool) sandbox.Access {
	var a sandbox.Access
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		a = sandbox.Read
	case unix.O_WRONLY:
		a = sandbox.Write
	default:
		a = sandbox.ReadWrite
	}
	if flags&unix.O_TRUNC != 0 || creating || flags&unix.O_TMPFILE == unix.O_TMPFILE {
		a |= sandbox.Write
	}
	return a
}

// absolute resolves name against the caller's working directory or the
// directory descriptor, as the caller's kernel view has them.
func absolute(tid int, dirfd int32, name string) (string, bool) {
	if filepath.IsAbs(name) {
		return filepath.Clean(name), true
	}
	link := fmt.Sprintf("/proc/%d/cwd", tid)
	if dirfd != unix.AT_FDCWD {
		link = fmt.Sprintf("/proc/%d/fd/%d", tid, dirfd)
	}
	base, err := os.Readlink(link)
	if err != nil || !filepath.IsAbs(base) || strings.HasSuffix(base, " (deleted)") {
		return "", false
	}
	return filepath.Join(base, name), true
}

// kernelJudges: paths through /proc (the caller's own descriptors,
// /dev/stdin and the like) are left to Landlock, which checks them
// against the file they name; the supervisor never opens them for the
// caller.
func kernelJudges(p string) bool {
	return sandbox.Within(p, "/proc") || sandbox.Within(p, "/dev/fd") ||
		p == "/dev/stdin" || p == "/dev/stdout" || p == "/dev/stderr"
}

// canonicalTarget resolves every symbolic link of p; for a file about to
// be created, of its directory.
func canonicalTarget(p string, flags int) (target string, exists, ok bool) {
	if cp, err := filepath.EvalSymlinks(p); err == nil {
		return cp, true, true
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, false
	}
	if flags&unix.O_CREAT == 0 {
		return "", false, true
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		return "", false, false
	}
	if _, err := os.Lstat(p); err == nil {
		return "", false, false // a dangling link: never created through
	}
	return filepath.Join(dir, filepath.Base(p)), false, true
}

// umask is the caller's, from /proc/PID/status (0o022 if unreadable).
func umask(tid int) uint32 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return uint32(m)
				}
			}
		}
	}
	return 0o022
}
