#include "textflag.h"

// func rawSyscall(trap, a1, a2, a3 uintptr) (r1, errno uintptr)
//
// A system call that does not tell the scheduler (as syscall.RawSyscall):
// only for calls that return at once. The package has no syscall import,
// so that its init can run before the packages that import it.
TEXT ·rawSyscall(SB),NOSPLIT,$0-48
	MOVD	a1+8(FP), R0
	MOVD	a2+16(FP), R1
	MOVD	a3+24(FP), R2
	MOVD	$0, R3
	MOVD	$0, R4
	MOVD	$0, R5
	MOVD	trap+0(FP), R8
	SVC
	CMN	$4095, R0
	BCC	ok
	MOVD	$-1, R4
	MOVD	R4, r1+32(FP)
	NEG	R0, R0
	MOVD	R0, errno+40(FP)
	RET
ok:
	MOVD	R0, r1+32(FP)
	MOVD	ZR, errno+40(FP)
	RET

// func rawSyscallPtr(trap, a1 uintptr, a2 unsafe.Pointer, a3 uintptr) (r1, errno uintptr)
//
// rawSyscall with a pointer for its second argument, which the Go
// declaration marks as not escaping: the buffers stay on the stack.
TEXT ·rawSyscallPtr(SB),NOSPLIT,$0-48
	JMP	·rawSyscall(SB)
