// Package hugeheap backs the Go heap with transparent huge pages from the
// moment its init runs, for the tools that start on every `nono run`.
//
// On a virtual machine every page a process touches for the first time
// can cost a fault of 10–30 µs, while a 2 MiB huge page costs one fault of
// about 150 µs for 512 pages' worth. A tool's heap is dense (the runtime
// hands out spans in address order), so a short-lived tool touches one or
// two 2 MiB regions page by page: 100–350 faults that one or two huge
// pages replace. The runtime asks for no huge pages itself, and where the
// system's policy is "madvise" (the common default) it gets none.
//
// So the init asks for them: MADV_HUGEPAGE over the heap arena that holds
// the first allocation, so that every region of the heap's first mapping
// touched later faults in whole, and MADV_COLLAPSE of the region the
// runtime has already started to use (its page table exists, so only a
// collapse turns it into one huge page). The runtime maps the heap 4 MiB
// at a time, each with a fresh mmap that starts without the advice, so a
// heap that outgrows its first mapping gets small pages beyond it: enough
// for the short-lived tools, whose heap is smaller. Both are advice: on a kernel without them, or a system whose
// policy is "never", nothing changes. GODEBUG=disablethp=1, the runtime's
// own switch against huge pages for its heap, turns this off too.
//
// The package imports nothing (its system calls are a few lines of
// assembly; it reads GODEBUG and argv[0] from /proc/self into buffers on
// its stack), so its init runs first of all the program's, before the
// packages that allocate at start (internal/godebug, a TOML decoder's
// time zones...) touch the heap's first pages one fault at a time. In
// nono-run's confining copy, which execs the command from lib/confine's
// init (when nono-run-confine is not installed), argv[0] says so and it
// does nothing. Import it for its side effect.
package hugeheap
