//go:build linux && (amd64 || arm64)

package hugeheap

import (
	"syscall"
	"unsafe"

	// The confining copy of nono-run execs the command from lib/confine's
	// init; importing it makes that init run before this one, so that a
	// copy never pays for the collapse.
	_ "github.com/nono-audit/nono/lib/confine"
)

const (
	// arenaBytes is the runtime's heapArenaBytes on 64-bit Linux: arenas
	// are that large and aligned to it.
	arenaBytes = 64 << 20
	// hugeBytes is a PMD-sized huge page with 4 KiB base pages.
	hugeBytes = 2 << 20

	madvHugepage = 14 // MADV_HUGEPAGE
	madvCollapse = 25 // MADV_COLLAPSE, Linux 6.1
)

// escape keeps the probe allocation on the heap.
var escape *[64]byte

func init() {
	if syscall.Getpagesize() != 4096 || disabled() {
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
	syscall.Syscall(syscall.SYS_MADVISE, arena, size, madvHugepage)
	syscall.Syscall(syscall.SYS_MADVISE, region, hugeBytes, madvCollapse)
}

// disabled reports whether GODEBUG sets disablethp=1 (the last setting
// wins, as in the runtime). It parses by hand to keep this package's
// imports few: it initialises as early as they allow.
func disabled() bool {
	v, _ := syscall.Getenv("GODEBUG")
	off := false
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] != ',' {
			continue
		}
		switch v[start:i] {
		case "disablethp=1":
			off = true
		case "disablethp=0":
			off = false
		}
		start = i + 1
	}
	return off
}
