// Package confine is the confining copy of nono-run: the process a
// supervised launch forks to enforce the command's Landlock ruleset, with
// a rule for the copy's own /proc/PID, and exec the command in its place
// (lib/sandbox explains why a copy is needed). The copy is Program, a
// small program that is nothing but this package, or nono-run itself
// where Program is not installed beside it. This package also holds the
// two Landlock system calls that lib/sandbox shares with it.
//
// The copy is on the critical path of every sandboxed session, and on a
// machine where each page a process touches costs a page fault, starting
// nono-run costs more the more of it initialises. So the copy does its
// work from this package's init, before the rest of nono-run initialises,
// and execs. The Go specification orders initialisation: of the packages
// whose imports are all initialised, the one first by import path goes
// first. This package imports only packages that every other package of
// nono-run's also depends on (os, strconv, syscall, runtime), and its path
// sorts before the heavy ones (lib/event, lib/redact, the net and crypto
// stacks of lib/proxy), so it initialises as soon as os does, and they
// never do in the copy. tests/testdata/confine-early.txtar checks it. Do
// not import anything else here.
//
// Cheaper still, on linux/amd64 Program is linked with its entry point at
// this package's assembly (entry_linux_amd64.s, EntrySymbol), which does the
// same with bare system calls before the Go runtime starts: a few page
// faults where a Go program's start takes a hundred and more. It starts
// the runtime, and so this init, whenever anything fails before the exec,
// so that failures are worded in one place. nono-run as its own copy, and
// Program built without the flag (go install), take the init's path.
package confine

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

// Arg0 is the copy's argv[0]: it is what tells the copy from nono-run.
const Arg0 = "nono-run: sandbox"

// Program is the file name of the small program that is nothing but this
// package (cmd/nono-run/nono-run-confine), installed beside nono-run:
// the copy runs it when it is there, else nono-run itself.
const Program = "nono-run-confine"

// EntrySymbol is the assembly entry point of the copy on linux/amd64
// (entry_linux_amd64.s): Program linked with -ldflags=-E=EntrySymbol, as the
// Makefile builds it, confines the command and execs it before the Go
// runtime starts.
const EntrySymbol = "github.com/nono-audit/nono/lib/confine.entry"

// The copy's descriptors: the ruleset to enforce, and a close-on-exec
// pipe on which a failure is reported (a successful exec closes it
// without a word; see Report).
const (
	RulesetFD = 3
	ReportFD  = 4
)

// Exit statuses of a copy that could not run the command, the shell's.
const (
	statusCannotExecute = 126
	statusNotFound      = 127
)

func init() {
	if len(os.Args) >= 4 && os.Args[0] == Arg0 {
		os.Exit(execConfined(os.Args[1:]))
	}
}

// Main is Program's main. The copy's work is done in init, so reaching
// Main means the program was not started as the copy: by hand, or by a
// nono-run whose request it does not understand (from another version),
// which it then tells why on ReportFD.
func Main() {
	msg := Program + " confines a command for nono-run, which starts it; it is not a command of its own"
	if len(os.Args) > 0 && os.Args[0] == Arg0 {
		report("error sandbox: " + msg + " (and cannot read this request: is it from another version of nono-run?)")
	}
	os.Stderr.WriteString(msg + "\n")
	os.Exit(2)
}

// Argv is the copy's argv: the rights of the rule for its own /proc/PID,
// the path to execute and the command's argv.
func Argv(ownProcRights uint64, path string, argv []string) []string {
	return append([]string{Arg0, strconv.FormatUint(ownProcRights, 10), path}, argv...)
}

// execConfined runs in the copy; it returns only on failure, with the
// exit status of a command that could not be run, after writing to
// ReportFD why: "errno N" for a failed exec, "error MESSAGE" otherwise.
func execConfined(args []string) int {
	syscall.CloseOnExec(ReportFD)
	rights, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return report("error sandbox: the confining copy's rights: " + err.Error())
	}
	runtime.LockOSThread() // never unlocked: the thread is confined below
	if msg := confineSelf(rights); msg != "" {
		return report("error sandbox: " + msg)
	}
	// Stop at the exec, for the supervisor to identify what runs there.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PTRACE, syscall.PTRACE_TRACEME, 0, 0); errno != 0 {
		return report("error sandbox: ptrace: " + errno.Error())
	}
	err = syscall.Exec(args[1], args[2:], os.Environ())
	errno, _ := err.(syscall.Errno)
	report("errno " + strconv.Itoa(int(errno)))
	if errno == syscall.ENOENT || errno == syscall.ENOTDIR {
		return statusNotFound
	}
	return statusCannotExecute
}

// confineSelf adds the rule for this process's /proc/PID to the ruleset
// at RulesetFD and enforces it on the calling thread; it returns what
// failed, or "".
func confineSelf(rights uint64) string {
	own := "/proc/" + strconv.Itoa(syscall.Getpid())
	fd, err := syscall.Open(own, oPath|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "landlock rule for " + own + " (own /proc/PID): " + err.Error()
	}
	err = AddPathRule(RulesetFD, fd, rights)
	syscall.Close(fd)
	if err != nil {
		return "landlock rule for " + own + " (own /proc/PID): " + err.Error()
	}
	if err := RestrictSelf(RulesetFD); err != nil {
		return "landlock_restrict_self: " + err.Error()
	}
	syscall.Close(RulesetFD)
	return ""
}

func report(msg string) int {
	syscall.Write(ReportFD, []byte(msg))
	return statusCannotExecute
}

// pathBeneathAttr is the packed struct landlock_path_beneath_attr.
type pathBeneathAttr struct {
	allowed uint64
	fd      int32
	_       [4]byte // not read: the kernel copies the packed 12 bytes
}

// Landlock's system calls and rule type, which the syscall package lacks.
const (
	sysLandlockAddRule      = 445
	sysLandlockRestrictSelf = 446
	rulePathBeneath         = 1
	oPath                   = 0o10000000 // O_PATH on amd64 and arm64
)

// AddPathRule adds to ruleset a rule granting rights beneath the file or
// directory open at fd (an O_PATH descriptor will do).
func AddPathRule(ruleset, fd int, rights uint64) error {
	attr := pathBeneathAttr{allowed: rights, fd: int32(fd)}
	_, _, errno := syscall.Syscall6(sysLandlockAddRule, uintptr(ruleset), rulePathBeneath, uintptr(unsafe.Pointer(&attr)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// RestrictSelf enforces ruleset on the calling thread (no_new_privs must
// already be set), which the programs it execs inherit.
func RestrictSelf(ruleset int) error {
	_, _, errno := syscall.Syscall(sysLandlockRestrictSelf, uintptr(ruleset), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
