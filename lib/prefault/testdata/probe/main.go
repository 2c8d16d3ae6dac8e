// Command probe reports which pages of its own image the kernel had
// mapped when main began: for the code, the read-only data and the data
// and bss (the ranges lib/prefault's entry populates), how many pages are
// present out of how many, read from /proc/self/pagemap:
//
//	text 160/160
//	rodata 214/214
//	data 40/40
package main

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	_ "github.com/nono-audit/nono/lib/prefault"
)

const page = 4096

func main() {
	// The page table first, before this program's own work maps more.
	pagemap, err := os.Open("/proc/self/pagemap")
	if err != nil {
		fail(err)
	}
	const image = 0x400000 // where a static, non-PIE linux/amd64 binary starts
	entries := make([]byte, 8*(64<<20)/page)
	n, err := pagemap.ReadAt(entries, image/page*8)
	if err != nil && err != io.EOF {
		fail(err)
	}
	entries = entries[:n]

	exe, err := os.Executable()
	if err != nil {
		fail(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		fail(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		fail(err)
	}
	addr := map[string]uint64{}
	for _, s := range syms {
		addr[s.Name] = s.Value
	}
	for _, r := range []struct{ name, start, end string }{
		{"text", "runtime.text", "runtime.etext"},
		{"rodata", "runtime.rodata", "runtime.noptrdata"},
		{"data", "runtime.noptrdata", "runtime.ebss"},
	} {
		start, end := addr[r.start]&^(page-1), addr[r.end]
		if r.end == "runtime.noptrdata" {
			end &^= page - 1
		}
		if start < image || end <= start {
			fail(fmt.Errorf("%s: no range [%#x, %#x)", r.name, start, end))
		}
		present, total := 0, 0
		for a := start; a < end; a += page {
			i := (a - image) / page * 8
			if i+8 <= uint64(len(entries)) && binary.LittleEndian.Uint64(entries[i:])&(1<<63) != 0 {
				present++
			}
			total++
		}
		fmt.Printf("%s %d/%d\n", r.name, present, total)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "probe:", err)
	os.Exit(1)
}
