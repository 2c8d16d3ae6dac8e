// The confining copy without the Go runtime (linux/amd64).
//
// Linked as the program's entry point (go build -ldflags=-E=...confine.entry),
// this runs before the Go runtime starts: a Go program's start costs a
// hundred page faults and more before any init runs, and the copy sits
// between nono-run's launch and the command on every session. It does what
// execConfined does, in the same order of effects, with bare system calls,
// and starts the runtime (whose init in confine.go then does it all again,
// saying why in words) whenever anything fails before the point of no
// return:
//
//	argv[0] == Arg0, argc >= 4, argv[1] a decimal number (the rights)
//	fcntl(ReportFD, F_SETFD, FD_CLOEXEC)
//	fd = open("/proc/self", O_PATH|O_DIRECTORY|O_CLOEXEC)   its own /proc/PID
//	landlock_add_rule(RulesetFD, PATH_BENEATH, {rights, fd}, 0); close(fd)
//	ptrace(PTRACE_TRACEME)
//	landlock_restrict_self(RulesetFD, 0); close(RulesetFD)
//	execve(argv[2], &argv[3], envp)
//
// Repeating a step is harmless up to the restriction (the same rule added
// twice is one rule), and the runtime's path enforces before it asks to be
// traced, so a failed restriction is reported as such, not as a second
// PTRACE_TRACEME. Only the exec can fail after the point of no return: it
// is reported here, as execConfined would ("errno N" on ReportFD, exit 127
// for ENOENT and ENOTDIR, 126 otherwise).
//
// SYSCALL clobbers AX, CX and R11. Kept throughout: R12 argc, R13 argv,
// R14 the rights, BX the /proc/self descriptor. The stack pointer is never
// moved, so the runtime's entry finds argc and argv where the kernel put
// them.

#include "go_asm.h"
#include "textflag.h"

#define SYS_write 1
#define SYS_close 3
#define SYS_execve 59
#define SYS_exit_group 231
#define SYS_fcntl 72
#define SYS_openat 257
#define SYS_ptrace 101
#define AT_FDCWD $-100
#define F_SETFD $2
#define FD_CLOEXEC $1
#define PTRACE_TRACEME $0
// O_PATH|O_DIRECTORY|O_CLOEXEC
#define OPEN_FLAGS $0x290000
#define ENOENT $2
#define ENOTDIR $20

TEXT ·entry(SB), NOSPLIT|NOFRAME, $0
	MOVQ 0(SP), R12
	LEAQ 8(SP), R13
	CMPQ R12, $4
	JLT  runtime

	// argv[0] must be Arg0, byte for byte with its NUL.
	MOVQ 0(R13), SI
	LEAQ arg0<>(SB), DI

arg0:
	MOVBLZX (SI), AX
	CMPB    AX, (DI)
	JNE     runtime
	TESTB   AX, AX
	JZ      rights
	INCQ    SI
	INCQ    DI
	JMP     arg0

	// The rights: 1 to 19 decimal digits (no overflow).
rights:
	MOVQ 8(R13), SI
	XORQ R14, R14
	XORQ CX, CX

digit:
	MOVBLZX (SI), AX
	TESTQ   AX, AX
	JZ      digits
	SUBQ    $'0', AX
	CMPQ    AX, $9
	JHI     runtime
	IMULQ   $10, R14
	ADDQ    AX, R14
	INCQ    SI
	INCQ    CX
	CMPQ    CX, $19
	JHI     runtime
	JMP     digit

digits:
	TESTQ CX, CX
	JZ    runtime

	MOVQ $SYS_fcntl, AX
	MOVQ $const_ReportFD, DI
	MOVQ F_SETFD, SI
	MOVQ FD_CLOEXEC, DX
	SYSCALL

	MOVQ $SYS_openat, AX
	MOVQ AT_FDCWD, DI
	LEAQ procself<>(SB), SI
	MOVQ OPEN_FLAGS, DX
	XORQ R10, R10
	SYSCALL
	CMPQ AX, $0
	JLT  runtime
	MOVQ AX, BX

	MOVQ R14, attr<>+0(SB)
	MOVL BX, attr<>+8(SB)
	MOVQ $const_sysLandlockAddRule, AX
	MOVQ $const_RulesetFD, DI
	MOVQ $const_rulePathBeneath, SI
	LEAQ attr<>(SB), DX
	XORQ R10, R10
	SYSCALL
	MOVQ AX, R15
	MOVQ $SYS_close, AX
	MOVQ BX, DI
	SYSCALL
	CMPQ R15, $0
	JLT  runtime

	MOVQ $SYS_ptrace, AX
	MOVQ PTRACE_TRACEME, DI
	XORQ SI, SI
	XORQ DX, DX
	XORQ R10, R10
	SYSCALL
	CMPQ AX, $0
	JLT  runtime

	MOVQ $const_sysLandlockRestrictSelf, AX
	MOVQ $const_RulesetFD, DI
	XORQ SI, SI
	SYSCALL
	CMPQ AX, $0
	JLT  runtime

	// The point of no return: the thread is confined.
	MOVQ $SYS_close, AX
	MOVQ $const_RulesetFD, DI
	SYSCALL

	MOVQ $SYS_execve, AX
	MOVQ 16(R13), DI
	LEAQ 24(R13), SI
	LEAQ 8(R13)(R12*8), DX
	SYSCALL

	// The exec failed: "errno N" on ReportFD, N written backwards into
	// the end of errbuf.
	NEGQ AX
	MOVQ AX, R15
	LEAQ errbuf<>+16(SB), DI
	MOVQ $10, CX

decimal:
	XORQ DX, DX
	DIVQ CX
	ADDQ $'0', DX
	DECQ DI
	MOVB DX, (DI)
	TESTQ AX, AX
	JNZ  decimal

	MOVQ DI, BX
	MOVQ $SYS_write, AX
	MOVQ $const_ReportFD, DI
	LEAQ errno<>(SB), SI
	MOVQ $6, DX
	SYSCALL
	MOVQ $SYS_write, AX
	MOVQ $const_ReportFD, DI
	MOVQ BX, SI
	LEAQ errbuf<>+16(SB), DX
	SUBQ BX, DX
	SYSCALL

	MOVQ $const_statusCannotExecute, DI
	MOVQ $const_statusNotFound, SI
	CMPQ R15, ENOENT
	CMOVQEQ SI, DI
	CMPQ R15, ENOTDIR
	CMOVQEQ SI, DI
	MOVQ $SYS_exit_group, AX
	SYSCALL

runtime:
	JMP _rt0_amd64_linux(SB)

DATA arg0<>+0(SB)/8, $"nono-run"
DATA arg0<>+8(SB)/8, $": sandbo"
DATA arg0<>+16(SB)/2, $"x\x00"
GLOBL arg0<>(SB), RODATA, $18

DATA procself<>+0(SB)/8, $"/proc/se"
DATA procself<>+8(SB)/3, $"lf\x00"
GLOBL procself<>(SB), RODATA, $11

DATA errno<>+0(SB)/6, $"errno "
GLOBL errno<>(SB), RODATA, $6

// struct landlock_path_beneath_attr (packed: u64 allowed_access, s32 parent_fd)
GLOBL attr<>(SB), NOPTR, $16

GLOBL errbuf<>(SB), NOPTR, $16
