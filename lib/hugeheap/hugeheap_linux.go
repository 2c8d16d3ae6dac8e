//go:build linux && (amd64 || arm64)

package hugeheap

import "unsafe"

// rawSyscall and rawSyscallPtr are in assembly (syscall_linux_*.s).
func rawSyscall(trap, a1, a2, a3 uintptr) (r1, errno uintptr)

//go:noescape
func rawSyscallPtr(trap, a1 uintptr, a2 unsafe.Pointer, a3 uintptr) (r1, errno uintptr)

const (
	// arenaBytes is the runtime's heapArenaBytes on 64-bit Linux: arenas
	// are that large and aligned to it.
	arenaBytes = 64 << 20
	// hugeBytes is a PMD-sized huge page with 4 KiB base pages.
	hugeBytes = 2 << 20

	madvHugepage = 14 // MADV_HUGEPAGE
	madvCollapse = 25 // MADV_COLLAPSE, Linux 6.1

	atFDCWD  = ^uintptr(99) // AT_FDCWD, -100
	oCloexec = 0o2000000    // O_CLOEXEC (O_RDONLY is 0)
	eintr    = 4
)

// confineArg0 is lib/confine's Arg0, the argv[0] of nono-run's confining
// copy (a test checks they agree): the copy execs the command from
// lib/confine's init, which now runs after this one, and must not pay for
// a collapse first.
const confineArg0 = "nono-run: sandbox"

// escape keeps the probe allocation on the heap.
var escape *[64]byte

func init() {
	if pageSize() != 4096 || confiningCopy() || disabledAtStart() {
		return
	}
	escape = new([64]byte)
	p := uintptr(unsafe.Pointer(escape))
	escape = nil
	Advise(p&^(arenaBytes-1), arenaBytes, p&^(hugeBytes-1))
}

// Advise asks for huge pages over [arena, arena+size) and collapses the
// 2 MiB region at region into one. Errors are ignored: the range may hold
// unmapped parts (the advice still applies to the mapped ones), and a
// kernel may lack either call or have no huge page free.
func Advise(arena, size, region uintptr) {
	rawSyscall(sysMadvise, arena, size, madvHugepage)
	rawSyscall(sysMadvise, region, hugeBytes, madvCollapse)
}

// confiningCopy reports whether this process is nono-run's confining
// copy: its argv[0], the first string of /proc/self/cmdline, says so.
func confiningCopy() bool {
	var buf [len(confineArg0) + 1]byte
	n := readFile("/proc/self/cmdline\x00", buf[:])
	return n == len(buf) && string(buf[:len(confineArg0)]) == confineArg0 && buf[len(confineArg0)] == 0
}

// disabledAtStart reports whether the environment the process started
// with sets GODEBUG=disablethp=1 (the runtime's switch against huge pages
// for its heap), as /proc/self/environ holds it.
func disabledAtStart() bool {
	fd := openFile("/proc/self/environ\x00")
	if fd < 0 {
		return false
	}
	defer closeFile(fd)
	var s envScan
	var buf [256]byte
	for {
		n := readSome(fd, buf[:])
		if n == 0 || !s.feed(buf[:n]) {
			return s.disabled()
		}
	}
}

// The package reads the few files it needs with its own system calls
// (it has no os import), into its callers' buffers: it allocates nothing
// before its collapse.

// openFile opens path (NUL-terminated) for reading; -1 if it cannot.
func openFile(path string) int {
	fd, errno := rawSyscallPtr(sysOpenat, atFDCWD, unsafe.Pointer(unsafe.StringData(path)), oCloexec)
	if errno != 0 {
		return -1
	}
	return int(fd)
}

// readSome reads into buf, returning the bytes read: 0 at the end of the
// file or on an error.
func readSome(fd int, buf []byte) int {
	for {
		n, errno := rawSyscallPtr(sysRead, uintptr(fd), unsafe.Pointer(&buf[0]), uintptr(len(buf)))
		if errno != eintr {
			if errno != 0 {
				return 0
			}
			return int(n)
		}
	}
}

func closeFile(fd int) { rawSyscall(sysClose, uintptr(fd), 0, 0) }

// readFile fills buf from the start of the file at path (NUL-terminated)
// and returns the bytes read.
func readFile(path string, buf []byte) int {
	fd := openFile(path)
	if fd < 0 {
		return 0
	}
	defer closeFile(fd)
	n := 0
	for n < len(buf) {
		r := readSome(fd, buf[n:])
		if r == 0 {
			break
		}
		n += r
	}
	return n
}

// envScan reads an environment block (each entry NUL-terminated) as it
// comes, for the first GODEBUG entry, as the runtime reads it, and in it
// the last disablethp setting, without allocating.
type envScan struct {
	matched int  // bytes of "GODEBUG=" matched at the entry's start; -1: another variable
	inValue bool // in the GODEBUG entry's value
	done    bool // past it
	token   [len(disableOn)]byte
	tokLen  int // the current setting's length so far
	off     bool
}

const (
	godebugKey = "GODEBUG="
	disableOn  = "disablethp=1"
	disableOff = "disablethp=0"
)

// feed scans the next piece of the block; false once the answer is known.
func (s *envScan) feed(b []byte) bool {
	for _, c := range b {
		switch {
		case s.done:
			return false
		case s.inValue:
			if c == ',' || c == 0 {
				s.endSetting()
				s.done = c == 0
				continue
			}
			if s.tokLen < len(s.token) {
				s.token[s.tokLen] = c
			}
			s.tokLen++
		case c == 0:
			s.matched = 0
		case s.matched >= 0:
			if c != godebugKey[s.matched] {
				s.matched = -1
			} else if s.matched++; s.matched == len(godebugKey) {
				s.inValue = true
			}
		}
	}
	return !s.done
}

func (s *envScan) endSetting() {
	if s.tokLen == len(s.token) {
		switch string(s.token[:]) {
		case disableOn:
			s.off = true
		case disableOff:
			s.off = false
		}
	}
	s.tokLen = 0
}

// disabled is the answer once the block has ended.
func (s *envScan) disabled() bool {
	if s.inValue && !s.done {
		s.endSetting() // the last entry, without its NUL
		s.done = true
	}
	return s.off
}
