// Package inplace is `nono run --no-audit` as a program of its own,
// nono-run-inplace: with nothing to record, nono should be one exec away
// from the command, and nono-run's start (its flag parser, the session
// store, the redaction rules, the supervisor; about 11 MB) costs about
// as much again as the command's own. This package links only the sandbox
// and lib/launch.
//
// It takes the common case only, and is exactly nono-run there: the
// grant flags, --block-net, --allow-unsandboxed and -s/--silent, spelled
// as nono-run's parser reads them, a command after "--", a kernel with
// Landlock and no configuration file to check. For anything else, and
// whenever a check fails (so that the message is nono-run's own), it
// execs `nono-run record` with the same arguments, which gives the same
// result a step later. Once everything has passed it prints the same
// warning, confines itself and execs the command, as nono-run would.
package inplace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/beside"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/stores"
)

// Program is the program's name, installed beside nono-run.
const Program = "nono-run-inplace"

// Warning is upstream's warning for --no-audit, printed unless --silent.
const Warning = "  [nono] Warning: --no-audit disables session and command-policy audit events."

// ProgramEnv is lib/cli's ProgramEnv (a test there checks they agree),
// which this package does not link: the command the user typed, set by
// the nono wrapper; it names this program in its messages and is kept
// from the command.
const ProgramEnv = "NONO_PROGRAM"

// Flags are the flags this path takes, as nono-run's parser reads them.
type Flags struct {
	Grants           sandbox.GrantFlags
	BlockNet         bool
	AllowUnsandboxed bool
	Silent           bool
	NoAudit          bool
	Command          []string
}

// valueFlag is where the values of the flag name go: the grants.
func (f *Flags) valueFlag(name string) *[]string {
	switch name {
	case "--allow", "-a":
		return &f.Grants.Allow
	case "--read", "-r":
		return &f.Grants.Read
	case "--write", "-w":
		return &f.Grants.Write
	case "--allow-file":
		return &f.Grants.AllowFile
	case "--read-file":
		return &f.Grants.ReadFile
	case "--write-file":
		return &f.Grants.WriteFile
	}
	return nil
}

// boolFlag is the switch the flag name sets.
func (f *Flags) boolFlag(name string) *bool {
	switch name {
	case "--allow-cwd":
		return &f.Grants.AllowCwd
	case "--block-net":
		return &f.BlockNet
	case "--allow-unsandboxed":
		return &f.AllowUnsandboxed
	case "--silent", "-s":
		return &f.Silent
	case "--no-audit":
		return &f.NoAudit
	}
	return nil
}

// Parse reads the arguments of `nono run`. It reports false for any
// argument it does not take exactly as nono-run's parser would: another
// flag, a bool flag with a value, a value that is empty, looks like a
// flag or is not UTF-8 (which the parser would alter), a short flag with
// its value attached, a command not after "--", or no command at all.
func Parse(args []string) (*Flags, bool) {
	f := &Flags{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			f.Command = args[i+1:]
			return f, len(f.Command) > 0 && f.NoAudit
		}
		name, value, attached := strings.Cut(arg, "=")
		if attached && !strings.HasPrefix(name, "--") {
			return nil, false // -a=DIR: left to the parser
		}
		if b := f.boolFlag(name); b != nil && !attached {
			*b = true
			continue
		}
		list := f.valueFlag(name)
		if list == nil {
			return nil, false
		}
		if !attached {
			if i+1 == len(args) {
				return nil, false
			}
			i++
			value = args[i]
		}
		if value == "" || strings.HasPrefix(value, "-") || !utf8.ValidString(value) {
			return nil, false
		}
		*list = append(*list, value)
	}
	return nil, false
}

// Env is the world the command is started in.
type Env struct {
	Getenv  func(string) string
	Environ []string
	Cwd     string
}

// Prepare checks everything nono-run checks for this run and gets the
// command ready to exec, confined. It reports false when nono-run must
// take the run: a check failed (nono-run says why), or the case is one
// this path does not take.
func Prepare(f *Flags, env Env) (*launch.InPlace, bool) {
	// nono-run validates the configuration file even when nothing is
	// recorded; without the file there is nothing to validate.
	if cfg := stores.ConfigPath(env.Getenv); cfg != "" {
		if _, err := os.Lstat(cfg); !errors.Is(err, fs.ErrNotExist) {
			return nil, false
		}
	}
	abi := sandbox.ABI(env.Getenv)
	if abi == 0 {
		return nil, false // unconfined or refused: nono-run says which
	}
	spec := &sandbox.Spec{
		Grants:    f.Grants.Grants(env.Getenv, env.Cwd),
		Cwd:       env.Cwd,
		Home:      env.Getenv("HOME"),
		Protected: stores.Protected(env.Getenv),
	}
	if f.BlockNet {
		spec.Network = sandbox.BlockNet()
	}
	// Policy checks the grants against the deny groups and the stores.
	c, err := launch.PrepareInPlace(f.Command, launch.ScrubEnv(env.Environ, []string{ProgramEnv}), env.Cwd, spec, abi, sandbox.TmpBase(env.Getenv))
	if err != nil {
		return nil, false
	}
	return c, true
}

// Main is nono-run-inplace: args are `nono run`'s. It returns only when
// the command could not be started, with the exit status to use.
func Main(args []string) int {
	self := "nono-run"
	if os.Getenv(ProgramEnv) == "nono run" {
		self = "nono run"
	}
	// As nono-run: nothing running as this user may read this process's
	// memory or descriptors while it sets up.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	f, ok := Parse(args)
	var c *launch.InPlace
	if ok {
		cwd, err := os.Getwd()
		if ok = err == nil; ok {
			c, ok = Prepare(f, Env{Getenv: os.Getenv, Environ: os.Environ(), Cwd: cwd})
		}
	}
	if !ok {
		return fallBack(self, args)
	}
	if err := launch.CloseOnExec(); err != nil {
		c.Close()
		return fallBack(self, args) // which fails the same way, in its words
	}
	if !f.Silent {
		fmt.Fprintln(os.Stderr, Warning)
	}
	err := c.Exec()
	fmt.Fprintf(os.Stderr, "%s: %v\n", self, err)
	var le *launch.Error
	if errors.As(err, &le) {
		return le.Code
	}
	return launch.StatusCannotExecute
}

// fallBack execs `nono-run record` with args, from beside this program
// (as the wrapper finds the tools), else from PATH.
func fallBack(self string, args []string) int {
	err := beside.Exec("nono-run", append([]string{"record"}, args...), func(name string) (string, error) {
		cwd, _ := os.Getwd()
		return launch.LookPath(name, os.Getenv("PATH"), cwd)
	})
	fmt.Fprintf(os.Stderr, "%s: %v\n", self, err)
	return 2
}
