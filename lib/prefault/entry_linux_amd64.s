// The program entry point that maps the image before the runtime starts
// (linux/amd64; see prefault.go for why).
//
//	madvise(text, etext-text, MADV_POPULATE_READ)             the code
//	madvise(rodata, noptrdata-rodata, MADV_POPULATE_READ)     read-only data, function table
//	madvise(noptrdata, ebss-noptrdata, MADV_POPULATE_WRITE)   data and bss, copied on write
//	madvise(SP-64K, 64K, MADV_POPULATE_WRITE)                 the runtime's first stack
//	goto _rt0_amd64_linux
//
// The bounds are the linker's own symbols, rounded to pages: the segment
// of the read-only data ends where the data begins. .noptrbss, after the
// bss, is left alone: it can hold large buffers a tool never touches. The
// runtime runs its first goroutine on the stack the kernel gave the
// process, with a 64 KiB bound, which the kernel's stack mapping always
// covers (it grows the initial mapping by 128 KiB below the arguments).
//
// Errors are ignored: each call is advice. SYSCALL clobbers AX, CX and
// R11, and the arguments use DI, SI and DX; the stack pointer is never
// moved, so the runtime's entry finds argc, argv and the environment
// where the kernel put them.

#include "textflag.h"

#define SYS_madvise 28
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#define PAGE_MASK $-4096

// populate(start, end, advice): madvise over [start&^4095, end).
#define POPULATE(start, end, advice) \
	LEAQ	start, DI; \
	ANDQ	PAGE_MASK, DI; \
	LEAQ	end, SI; \
	SUBQ	DI, SI; \
	MOVL	$advice, DX; \
	MOVL	$SYS_madvise, AX; \
	SYSCALL

TEXT ·entry(SB),NOSPLIT|NOFRAME,$0
	POPULATE(runtime·text(SB), runtime·etext(SB), MADV_POPULATE_READ)
	LEAQ	runtime·noptrdata(SB), R8
	ANDQ	PAGE_MASK, R8
	POPULATE(runtime·rodata(SB), (R8), MADV_POPULATE_READ)
	POPULATE(runtime·noptrdata(SB), runtime·ebss(SB), MADV_POPULATE_WRITE)
	POPULATE(-65536(SP), (SP), MADV_POPULATE_WRITE)
	JMP	_rt0_amd64_linux(SB)
