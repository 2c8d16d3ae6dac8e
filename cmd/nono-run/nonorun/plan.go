package nonorun

import (
	"os"
	"time"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/supervise/plan"
)

type planCLI struct {
	grantFlags
	networkFlags
	approveFlags
	urlFlags

	NoAudit          bool    `help:"Record nothing for this session (no session directory, log or ledger entry): the command runs sandboxed in place of nono."`
	NoAuditIntegrity bool    `help:"Write the event log without an integrity summary (audit_integrity null)."`
	AuditIntegrity   bool    `help:"Also hash the writable tracked directories before and after (merkle_roots)."`
	AuditSignKey     *string `placeholder:"REF" help:"Sign the session at the end with this key (file:///PATH or env://VAR); blank means no signing."`

	Rollback         bool     `help:"Snapshot the writable tracked directories so the session can be rolled back."`
	NoRollback       bool     `help:"Disable rollback (it is off by default)."`
	NoRollbackPrompt bool     `help:"Do not offer to restore after the session."`
	RollbackDest     *string  `placeholder:"DIR" help:"Keep the rollback store under DIR instead of the default root (requires --rollback; never inside a grant)."`
	RollbackExclude  []string `sep:"none" placeholder:"PATTERN" help:"Leave matching paths out of snapshots (repeatable; a glob if it has * ? or [)."`
	RollbackInclude  []string `sep:"none" placeholder:"NAME" help:"Snapshot NAME even where it would be excluded (repeatable)."`
	RollbackAll      bool     `help:"Exclude only version-control directories."`
	SkipDir          []string `sep:"none" placeholder:"NAME" help:"Treat directories named NAME as heavy and leave them out (repeatable)."`

	DryRun  bool     `help:"Print the sandbox policy the command would get (every rule and where it comes from), and run and create nothing."`
	Silent  bool     `short:"s" help:"No banner or warnings."`
	NoSync  bool     `name:"no-sync" help:"Do not ship this session to the audit receiver after the run (when enrolled; nono audit sync ships it later)."`
	Command []string `arg:"" passthrough:"partial" help:"The command and its arguments."`
}

func (c *planCLI) Run() error {
	p, err := c.plan()
	if err != nil || p.DryRun {
		return err
	}
	if _, err := os.Stdout.Write(p.Shell()); err != nil {
		return err
	}
	return nil
}

// plan checks the flags and makes the plan; with --dry-run it prints
// the policy instead (and the plan says DryRun).
func (c *planCLI) plan() (*plan.Plan, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	expansion, err := requests(&c.approveFlags, &c.urlFlags, c.NoAudit)
	if err != nil {
		return nil, err
	}
	opts := &plan.Options{
		SupervisorArgs:   append(c.approveFlags.args(expansion), c.urlFlags.args()...),
		Grants:           c.flags(),
		BlockNet:         c.BlockNet,
		AllowUnsandboxed: c.AllowUnsandboxed,
		DryRun:           c.DryRun,
		NoAudit:          c.NoAudit,
		NoAuditIntegrity: c.NoAuditIntegrity,
		AuditIntegrity:   c.AuditIntegrity,
		AuditSignKey:     c.AuditSignKey,
		Rollback:         c.Rollback,
		NoRollback:       c.NoRollback,
		NoRollbackPrompt: c.NoRollbackPrompt,
		RollbackDest:     c.RollbackDest,
		RollbackExclude:  c.RollbackExclude,
		RollbackInclude:  c.RollbackInclude,
		RollbackAll:      c.RollbackAll,
		SkipDir:          c.SkipDir,
		Network:          c.networkFlags.options(),
		Silent:           c.Silent,
		NoSync:           c.NoSync,
		Command:          command(c.Command),
	}
	p, err := plan.Make(opts, plan.Env{Getenv: os.Getenv, Cwd: cwd, Now: time.Now(), Warn: os.Stderr})
	if err != nil {
		return nil, cli.Exit(plan.ExitStatus(err), err)
	}
	if p.DryRun {
		if err := p.Sandbox.Describe(os.Stdout, p.ABI); err != nil {
			return nil, err
		}
		if err := opts.Network.Describe(os.Stdout); err != nil {
			return nil, err
		}
		return p, describeRequests(os.Stdout, expansion, c.AllowOpenURL, c.NoAudit)
	}
	return p, nil
}

// printPolicy is `nono wrap --dry-run`.
func printPolicy(g *grantFlags, argv []string, cwd string) error {
	o := &plan.Options{Grants: g.flags(), BlockNet: g.BlockNet, AllowUnsandboxed: g.AllowUnsandboxed, DryRun: true, Command: argv}
	p, err := plan.DryRun(o, plan.Env{Getenv: os.Getenv, Cwd: cwd, Now: time.Now()})
	if err != nil {
		return cli.Exit(plan.ExitStatus(err), err)
	}
	return p.Sandbox.Describe(os.Stdout, p.ABI)
}
