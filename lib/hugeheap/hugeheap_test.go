//go:build linux && (amd64 || arm64)

package hugeheap

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/nono-audit/nono/lib/confine"
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
	if environ, _ := os.ReadFile("/proc/self/environ"); plainDisabled(environ) {
		t.Skip("GODEBUG=disablethp=1")
	}
	p := uintptr(unsafe.Pointer(early))
	kb := anonHugeKB(t, p)
	if kb < hugeBytes>>10 {
		t.Fatalf("the heap mapping holding %#x has %d kB of huge pages; want at least %d", p, kb, hugeBytes>>10)
	}
}

// plainDisabled is what the scan must find, the plain way: the first
// GODEBUG entry, and in it the last disablethp setting.
func plainDisabled(environ []byte) bool {
	off := false
	for _, entry := range strings.Split(strings.TrimSuffix(string(environ), "\x00"), "\x00") {
		if v, ok := strings.CutPrefix(entry, "GODEBUG="); ok {
			for _, kv := range strings.Split(v, ",") {
				switch kv {
				case "disablethp=1":
					off = true
				case "disablethp=0":
					off = false
				}
			}
			break
		}
	}
	return off
}

// scan feeds environ to an envScan in pieces of chunk bytes.
func scan(environ []byte, chunk int) bool {
	var s envScan
	for len(environ) > 0 {
		n := min(chunk, len(environ))
		if !s.feed(environ[:n]) {
			break
		}
		environ = environ[n:]
	}
	return s.disabled()
}

func TestEnvScan(t *testing.T) {
	for _, c := range []struct {
		environ string
		want    bool
	}{
		{"", false},
		{"HOME=/h\x00GODEBUG=disablethp=1\x00", true},
		{"GODEBUG=madvdontneed=1,disablethp=1", true}, // the last entry, without its NUL
		{"GODEBUG=disablethp=1,disablethp=0\x00", false},
		{"GODEBUG=disablethp=0,disablethp=1,x=y\x00", true},
		{"GODEBUG=disablethp=10\x00", false},
		{"GODEBUG=xdisablethp=1\x00", false},
		{"GODEBUG=,disablethp=1,\x00", true},
		{"GODEBUG=a=b\x00GODEBUG=disablethp=1\x00", false}, // the first GODEBUG counts
		{"XGODEBUG=disablethp=1\x00GODEBUGX=disablethp=1\x00", false},
		{"A=GODEBUG=disablethp=1\x00", false},
		{"\x00\x00GODEBUG=disablethp=1", true},
	} {
		for _, chunk := range []int{1, 3, 256} {
			if got := scan([]byte(c.environ), chunk); got != c.want {
				t.Errorf("%q in pieces of %d: disabled %v, want %v", c.environ, chunk, got, c.want)
			}
		}
	}
}

// FuzzEnvScan holds the scan, in pieces of any size, to the plain way.
func FuzzEnvScan(f *testing.F) {
	f.Add([]byte("HOME=/h\x00GODEBUG=disablethp=1\x00"), uint8(3))
	f.Add([]byte("GODEBUG=a\x00GODEBUG=disablethp=1"), uint8(1))
	f.Add([]byte("GODEBUG=disablethp=1,disablethp=0"), uint8(7))
	f.Fuzz(func(t *testing.T, environ []byte, chunk uint8) {
		if got, want := scan(environ, int(chunk)+1), plainDisabled(environ); got != want {
			t.Fatalf("%q in pieces of %d: disabled %v, want %v", environ, int(chunk)+1, got, want)
		}
	})
}

// TestReadsItsProcess: what the init reads is this process's own.
func TestReadsItsProcess(t *testing.T) {
	var buf [64 << 10]byte
	if got, want := string(buf[:readFile("/proc/self/cmdline\x00", buf[:])]), strings.Join(os.Args, "\x00")+"\x00"; got != want {
		t.Errorf("cmdline %q, want %q", got, want)
	}
	var small [3]byte
	if n := readFile("/proc/self/cmdline\x00", small[:]); n != 3 {
		t.Errorf("a 3-byte buffer took %d bytes", n)
	}
	var pieces []byte
	fd := openFile("/proc/self/environ\x00")
	for n := readSome(fd, small[:]); n > 0; n = readSome(fd, small[:]) {
		pieces = append(pieces, small[:n]...)
	}
	closeFile(fd)
	if want, _ := os.ReadFile("/proc/self/environ"); string(pieces) != string(want) {
		t.Errorf("environ read in pieces: %q, want %q", pieces, want)
	}
	if readFile("/no/such/file\x00", buf[:]) != 0 {
		t.Error("a missing file read as something")
	}
	environ, _ := os.ReadFile("/proc/self/environ")
	if got, want := disabledAtStart(), plainDisabled(environ); got != want {
		t.Errorf("disabledAtStart() = %v, want %v", got, want)
	}
	if confiningCopy() {
		t.Error("the test binary taken for the confining copy")
	}
	if pageSize() != os.Getpagesize() {
		t.Errorf("pageSize() = %d, want %d", pageSize(), os.Getpagesize())
	}
}

// TestConfineArg0: the copy this package stands aside for is lib/confine's.
func TestConfineArg0(t *testing.T) {
	if confineArg0 != confine.Arg0 {
		t.Errorf("confineArg0 = %q, lib/confine's Arg0 = %q", confineArg0, confine.Arg0)
	}
}

// TestImportsNothing: the init runs before the packages that allocate
// at start only while the package imports nothing that they import.
func TestImportsNothing(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if imp.Path.Value != `"unsafe"` {
				t.Errorf("%s imports %s", name, imp.Path.Value)
			}
		}
	}
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
