#include "textflag.h"

// func rawSyscall(trap, a1, a2, a3 uintptr) (r1, errno uintptr)
//
// A system call that does not tell the scheduler (as syscall.RawSyscall):
// only for calls that return at once. The package has no syscall import,
// so that its init can run before the packages that import it.
TEXT ·rawSyscall(SB),NOSPLIT,$0-48
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	trap+0(FP), AX
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, r1+32(FP)
	NEGQ	AX
	MOVQ	AX, errno+40(FP)
	RET
ok:
	MOVQ	AX, r1+32(FP)
	MOVQ	$0, errno+40(FP)
	RET

// func rawSyscallPtr(trap, a1 uintptr, a2 unsafe.Pointer, a3 uintptr) (r1, errno uintptr)
//
// rawSyscall with a pointer for its second argument, which the Go
// declaration marks as not escaping: the buffers stay on the stack.
TEXT ·rawSyscallPtr(SB),NOSPLIT,$0-48
	JMP	·rawSyscall(SB)
