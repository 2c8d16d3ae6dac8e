// Package prefault maps a tool's own program image in a few system calls
// before the Go runtime starts, instead of one page fault at a time.
//
// A Go program's start touches its image all over: the runtime walks the
// function table and the type links, every package's init runs code and
// writes variables spread across the text, the read-only data and the
// data and bss. Each first touch of a page is a page fault, and on a
// virtual machine a fault is an exit to the host: measured here, about
// 11 µs for a fresh anonymous page and 16–37 µs for a fault on the file's
// text (which maps 16 pages at once), against 0.14 µs a page for the
// kernel to map the same text in one MADV_POPULATE_READ, and 0.8 µs a page
// for MADV_POPULATE_WRITE. A tool such as nono-run took about 130 faults
// in its image before main; several of them start on every `nono run`.
//
// So the tools built by the Makefile on linux/amd64 start at this
// package's assembly entry (go build -ldflags=-E=EntrySymbol; see
// entry_linux_amd64.s), which asks the kernel to populate the read-only
// segments and the data and bss, then jumps to the runtime's usual entry
// with the stack as the kernel left it. The calls are advice: a kernel
// without MADV_POPULATE_* (before Linux 5.14) fails them and nothing
// changes. Built without the flag (go install) the package does nothing;
// a tool imports it for its symbol:
//
//	import _ "github.com/nono-audit/nono/lib/prefault"
package prefault

// EntrySymbol is the program entry point that populates the image before
// the runtime starts, for go build -ldflags=-E=EntrySymbol on linux/amd64.
const EntrySymbol = "github.com/nono-audit/nono/lib/prefault.entry"
