// Package nonorun is the nono-run command: its flags and what each
// subcommand wires together. cmd/nono-run runs Main; the end-to-end tests
// run it in-process.
package nonorun

import (
	"errors"
	"fmt"
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/stores"
	"github.com/nono-audit/nono/lib/supervise"
	"github.com/nono-audit/nono/lib/supervise/plan"
)

// self is the name nono-run's messages give it: "nono run" when the nono
// wrapper runs it for that command (cli.ProgramEnv).
var self = "nono-run"

// Main runs nono-run with os.Args and exits.
func Main() {
	// `plan` and `wrap` are only ever the first word: `nono-run -- plan`
	// runs a program called plan.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "plan":
			os.Args = append(os.Args[:1:1], os.Args[2:]...)
			cli.Main("nono run", "Run COMMAND in the sandbox under the trusted supervisor and record the session: nono run [FLAGS] -- COMMAND [ARG...]. See docs/RUN.md.", &planCLI{})
		case "open-url":
			os.Args = append(os.Args[:1:1], os.Args[2:]...)
			cli.Main("nono-run open-url", "Ask the supervisor of this sandboxed session to open URL (the command's $BROWSER). See docs/CAPABILITY.md.", &openURLCLI{})
		case "record":
			os.Args = append(os.Args[:1:1], os.Args[2:]...)
			if os.Getenv(cli.ProgramEnv) == "nono run" {
				self = "nono run"
			}
			cli.Main("nono run", "Run COMMAND in the sandbox under the trusted supervisor and record the session: nono run [FLAGS] -- COMMAND [ARG...]. See docs/RUN.md.", &recordCLI{})
		case "wrap":
			os.Args = append(os.Args[:1:1], os.Args[2:]...)
			cli.Main("nono wrap", "Run COMMAND in the sandbox in place of this process, with no supervisor and no record: nono wrap [FLAGS] -- COMMAND [ARG...]. See docs/SANDBOX.md.", &wrapCLI{})
		}
	}
	if os.Getenv(cli.ProgramEnv) == "nono run" {
		self = "nono run"
	}
	cli.Main(self, "Run a command in the sandbox under the trusted supervisor and emit its raw audit events on --event-fd: nono-run [FLAGS] -- COMMAND [ARG...]. The flags of nono run are checked by `nono-run plan` (see docs/RUN.md).", &runCLI{})
}

// grantFlags are what the command may reach: the grants (which also
// decide the session's tracked paths) and the network.
type grantFlags struct {
	Allow            []string `short:"a" sep:"none" placeholder:"DIR" help:"Grant DIR read-write, recursively (repeatable). NONO_ALLOW (comma-separated) applies when no --allow is given."`
	Read             []string `short:"r" sep:"none" placeholder:"DIR" help:"Grant DIR read-only, recursively (repeatable)."`
	Write            []string `short:"w" sep:"none" placeholder:"DIR" help:"Grant DIR write-only, recursively, without removing directories (repeatable)."`
	AllowFile        []string `sep:"none" placeholder:"FILE" help:"Grant one file read-write (repeatable)."`
	ReadFile         []string `sep:"none" placeholder:"FILE" help:"Grant one file read-only (repeatable)."`
	WriteFile        []string `sep:"none" placeholder:"FILE" help:"Grant one file write-only (repeatable)."`
	AllowCwd         bool     `help:"Grant the working directory (read-only)."`
	BlockNet         bool     `help:"No network: no TCP connect or bind, and no socket of any family but AF_UNIX."`
	AllowUnsandboxed bool     `help:"When the kernel has no Landlock, run the command unconfined (and record that) instead of refusing."`
}

func (g *grantFlags) flags() sandbox.GrantFlags {
	return sandbox.GrantFlags{
		Allow: g.Allow, Read: g.Read, Write: g.Write,
		AllowFile: g.AllowFile, ReadFile: g.ReadFile, WriteFile: g.WriteFile,
		AllowCwd: g.AllowCwd,
	}
}

// sandbox checks the grants against the deny groups and the protected
// stores (a usage error), unless check is false because a plan has just
// done so, and returns how to confine the command: without Landlock,
// unconfined if --allow-unsandboxed says so, else an error. The launch
// checks the grants again whatever check says, as it builds the policy.
func (g *grantFlags) sandbox(cwd string, extra []sandbox.Store, check bool) (*supervise.Sandbox, []sandbox.Grant, error) {
	grants := g.flags().Grants(os.Getenv, cwd)
	spec := &sandbox.Spec{
		Grants:    grants,
		Cwd:       cwd,
		Home:      os.Getenv("HOME"),
		Protected: append(stores.Protected(os.Getenv), extra...),
	}
	if g.BlockNet {
		spec.Network = sandbox.BlockNet()
	}
	if check {
		if _, err := spec.Check(); err != nil {
			var re *sandbox.RefusedError
			if errors.As(err, &re) {
				return nil, nil, cli.Usage("%v", err)
			}
			return nil, nil, err
		}
	}
	sb := &supervise.Sandbox{ABI: sandbox.ABI(os.Getenv), TmpBase: sandbox.TmpBase(os.Getenv)}
	switch {
	case sb.ABI > 0:
		sb.Spec = spec
	case g.AllowUnsandboxed:
		sb.Reason = "landlock is not available on this kernel; --allow-unsandboxed"
	default:
		return nil, nil, plan.ErrNoLandlock
	}
	return sb, grants, nil
}

// command returns the command from a passthrough argument list as it
// was given: the same words taken from os.Args, since kong turns bytes
// that are not UTF-8 into U+FFFD and the child must get the exact bytes.
// The "--" kong keeps in front is dropped.
func command(parsed []string) []string {
	args := os.Args[len(os.Args)-len(parsed):]
	if len(args) > 0 && args[0] == "--" {
		return args[1:]
	}
	return args
}

// launchFailed reports a command that could not be started, with the
// shell's status for it.
func launchFailed(tool string, err error) error {
	var le *launch.Error
	if errors.As(err, &le) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
		return cli.Exit(le.Code, nil)
	}
	return err
}
