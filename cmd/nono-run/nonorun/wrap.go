package nonorun

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/launch"
)

type wrapCLI struct {
	grantFlags
	DryRun  bool     `help:"Print the sandbox policy the command would get, and run nothing."`
	Silent  bool     `short:"s" help:"No messages from nono itself."`
	Command []string `arg:"" passthrough:"partial" help:"The command and its arguments."`
}

// Run confines this process and execs the command in its place: no
// supervisor, no session, no ledger entry (upstream's direct mode).
func (c *wrapCLI) Run() error {
	argv := command(c.Command)
	if len(argv) == 0 {
		return cli.Usage("missing command: nono wrap [FLAGS] -- COMMAND [ARG...]")
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	if c.DryRun {
		return printPolicy(&c.grantFlags, argv, cwd)
	}
	if err := launch.CloseOnExec(); err != nil {
		return err
	}
	sb, _, err := c.sandbox(cwd, nil, true)
	if err != nil {
		return err
	}
	return launchFailed("nono wrap", launch.ExecInPlace(argv, os.Environ(), cwd, sb.Spec, sb.ABI, sb.TmpBase))
}
