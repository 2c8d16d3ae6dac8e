//go:build linux && (amd64 || arm64)

package hugeheap

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// early is allocated as the package's variables are initialised, just
// before its init runs: a heap allocation (a global's, so it cannot live
// on a stack) from the region the init advises and collapses. Later ones
// may come from a part of the heap the runtime maps afresh after the
// advice.
var early = new([8]byte)

// The test binary imports this package, so its init has run: the heap
// region of an early allocation must be one huge page wherever the kernel
// can give one.
func TestHeapRegionIsHuge(t *testing.T) {
	if !thpAvailable(t) {
		t.Skip("transparent huge pages are off on this system")
	}
	if disabled() {
		t.Skip("GODEBUG=disablethp=1")
	}
	p := uintptr(unsafe.Pointer(early))
	kb := anonHugeKB(t, p)
	if kb < hugeBytes>>10 {
		t.Fatalf("the heap mapping holding %#x has %d kB of huge pages; want at least %d", p, kb, hugeBytes>>10)
	}
}

func TestDisabled(t *testing.T) {
	for _, c := range []struct {
		godebug string
		want    bool
	}{
		{"", false},
		{"disablethp=1", true},
		{"madvdontneed=1,disablethp=1", true},
		{"disablethp=1,disablethp=0", false},
		{"disablethp=0,disablethp=1,x=y", true},
		{"disablethp=10", false},
		{",disablethp=1,", true},
	} {
		t.Setenv("GODEBUG", c.godebug)
		if got := disabled(); got != c.want {
			t.Errorf("GODEBUG=%q: disabled() = %v, want %v", c.godebug, got, c.want)
		}
	}
}

// FuzzDisabled holds the hand-written GODEBUG parse to a plain one.
func FuzzDisabled(f *testing.F) {
	for _, s := range []string{"", "disablethp=1", "a=b,disablethp=1", "disablethp=1,disablethp=0", ",,disablethp=1,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, godebug string) {
		if strings.IndexByte(godebug, 0) >= 0 {
			t.Skip("an environment variable cannot hold NUL")
		}
		want := false
		for _, kv := range strings.Split(godebug, ",") {
			switch kv {
			case "disablethp=1":
				want = true
			case "disablethp=0":
				want = false
			}
		}
		t.Setenv("GODEBUG", godebug)
		if got := disabled(); got != want {
			t.Fatalf("GODEBUG=%q: disabled() = %v, want %v", godebug, got, want)
		}
	})
}

func thpAvailable(t *testing.T) bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return false
	}
	return !strings.Contains(string(b), "[never]")
}

// anonHugeKB is the AnonHugePages of the mapping of /proc/self/smaps that
// holds addr.
func anonHugeKB(t *testing.T, addr uintptr) int {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	in := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if lo, hi, ok := mappingRange(line); ok {
			in = lo <= uint64(addr) && uint64(addr) < hi
			continue
		}
		if in && strings.HasPrefix(line, "AnonHugePages:") {
			n, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				t.Fatalf("smaps: %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no mapping of /proc/self/smaps holds %#x", addr)
	return 0
}

func mappingRange(line string) (lo, hi uint64, ok bool) {
	r, _, found := strings.Cut(line, " ")
	a, b, found2 := strings.Cut(r, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	lo, err1 := strconv.ParseUint(a, 16, 64)
	hi, err2 := strconv.ParseUint(b, 16, 64)
	return lo, hi, err1 == nil && err2 == nil
}
