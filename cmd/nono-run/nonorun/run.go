package nonorun

import (
	"fmt"
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/redact"
	"github.com/nono-audit/nono/lib/supervise"
)

type runCLI struct {
	grantFlags
	Rollback       bool     `help:"Track writable grants only, as a rollback session does (nono-run itself takes no snapshots)."`
	AuditIntegrity bool     `help:"Track writable grants only, as --audit-integrity does."`
	NoAudit        bool     `help:"Record nothing: no events, no session.json."`
	EventFD        int      `default:"3" placeholder:"N" help:"Write raw audit events (NDJSON) to this descriptor."`
	SessionDir     string   `type:"existingdir" placeholder:"DIR" help:"Keep the supervisor's fields of DIR/session.json."`
	Command        []string `arg:"" passthrough:"" help:"The command and its arguments."`
}

func (c *runCLI) Run() error {
	// Catch forwarded signals before anything can take time.
	sigs, stop := supervise.Signals()
	defer stop()
	if err := supervise.CloseOnExec(); err != nil {
		return err
	}
	argv := command(c.Command)
	if len(argv) == 0 {
		return cli.Usage("missing command: nono-run [FLAGS] -- COMMAND [ARG...]")
	}
	if c.NoAudit && c.SessionDir != "" {
		return cli.Usage("--no-audit and --session-dir cannot be used together")
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	grants := supervise.Grants(c.Allow, c.Read, c.AllowCwd, os.Getenv, cwd)
	tracked, err := supervise.TrackedPaths(grants, cwd, c.Rollback || c.AuditIntegrity)
	if err != nil {
		return err
	}
	policy, rules, err := redact.LoadConfig(redact.ConfigPath(os.Getenv))
	if err != nil {
		return err
	}
	hooks, err := supervise.HooksFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	eventFD := c.EventFD
	if c.NoAudit {
		eventFD = -1
	}
	out, err := supervise.Run(supervise.Config{
		Argv:         argv,
		Env:          os.Environ(),
		Dir:          cwd,
		TrackedPaths: tracked,
		EventFD:      eventFD,
		SessionDir:   c.SessionDir,
		Policy:       policy,
		Rules:        rules,
		Stdio:        supervise.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr},
		Signals:      sigs,
		Hooks:        hooks,
	})
	if err != nil {
		return err
	}
	if out.Launch != nil {
		fmt.Fprintf(os.Stderr, "nono-run: %v\n", out.Launch)
	}
	if out.Record != nil {
		fmt.Fprintf(os.Stderr, "nono-run: the command ran, but recording it failed: %v\n", out.Record)
	}
	return cli.Exit(out.Status(), nil)
}
