package mainstack

import (
	"testing"
	"unsafe"
)

// deep calls itself n times, each call holding about 256 bytes of stack.
//
//go:noinline
func deep(n int) byte {
	var pad [240]byte
	pad[n%len(pad)] = byte(n)
	if n == 0 {
		return pad[0]
	}
	return deep(n-1) + pad[n%len(pad)]
}

// moves reports whether the stack of a fresh goroutine moved (was copied
// to a larger one) while it went about 12 KiB deep, after grow when
// grown is set.
func moves(grown bool) bool {
	done := make(chan bool)
	go func() {
		if grown {
			grow()
		}
		var base byte
		before := uintptr(unsafe.Pointer(&base))
		deep(12 << 10 / 256)
		done <- uintptr(unsafe.Pointer(&base)) != before
	}()
	return <-done
}

// After grow, the calls a tool's start makes fit without another copy.
func TestGrowMakesRoomAtOnce(t *testing.T) {
	if !moves(false) {
		t.Skip("a fresh goroutine's stack held 12 KiB without growing")
	}
	if moves(true) {
		t.Error("the stack was copied again after grow: it did not make room for 12 KiB of calls")
	}
}
