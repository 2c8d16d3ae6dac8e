package nonorun

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/redact"
	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/stores"
	"github.com/nono-audit/nono/lib/supervise"
)

type runCLI struct {
	grantFlags
	networkFlags
	approveFlags
	urlFlags
	Rollback       bool     `help:"Track writable grants only, as a rollback session does (nono-run itself takes no snapshots)."`
	AuditIntegrity bool     `help:"Track writable grants only, as --audit-integrity does."`
	NoAudit        bool     `help:"Record nothing: confine this process and exec the command in its place (no supervisor, no events, no session.json)."`
	EventFD        int      `default:"3" placeholder:"N" help:"Write raw audit events (NDJSON) to this descriptor."`
	SessionDir     string   `type:"existingdir" placeholder:"DIR" help:"Keep the supervisor's fields of DIR/session.json, and write DIR/policy.json. The command may never reach DIR."`
	Protect        []string `sep:"none" placeholder:"PATH" help:"Refuse any grant that is, contains or lies inside PATH (repeatable; the audit and rollback roots and nono's configuration always are)."`
	ScrubEnv       []string `sep:"none" placeholder:"NAME" help:"Keep the variable NAME out of the command's environment (repeatable)."`
	Silent         bool     `short:"s" help:"No hints after a failed command."`
	WithParent     bool     `hidden:"" help:"Die with the process that started this one (the nono wrapper), so that killing it leaves the session incomplete rather than silently finished."`
	CatchSignal    []string `hidden:"" enum:"INT,QUIT" help:"Forward this signal though it was ignored at start (the nono wrapper starts this process as a background job, which the shell makes ignore INT and QUIT)."`
	Command        []string `arg:"" passthrough:"partial" help:"The command and its arguments."`

	// stageFinishes: nono run's last recorder stage rewrites
	// session.json durably when the stream ends (supervise.Config).
	stageFinishes bool
	// planned: nono-run planned this run itself (recordCLI), whose plan
	// has checked the same grants against the same stores already; the
	// launch checks them again as it builds the policy.
	planned bool
}

func (c *runCLI) Run() error {
	if c.WithParent {
		withParent()
	}
	var catch []os.Signal
	for _, name := range c.CatchSignal {
		catch = append(catch, unix.SignalNum("SIG"+name))
	}
	sigs, stop, err := prologue(c.NoAudit, catch...)
	if err != nil {
		return err
	}
	defer stop()
	argv := command(c.Command)
	if len(argv) == 0 {
		return cli.Usage("missing command: nono-run [FLAGS] -- COMMAND [ARG...]")
	}
	out, err := c.supervise(argv, sigs)
	if err != nil {
		return err
	}
	return cli.Exit(out.Status(), nil)
}

// prologue is what the supervisor does first. Non-dumpable: a command
// running as this user cannot open /proc/<this>/fd, mem or environ, and
// so not the event descriptor. Forwarded signals are caught before
// anything can take time, and no descriptor is inherited by the command.
// In place (--no-audit) there is no supervisor to forward signals to the
// command, which replaces this process: none is caught, so a Ctrl-C
// before the exec ends it, where a caught one would be lost at the exec
// and the command would start regardless.
func prologue(inPlace bool, catch ...os.Signal) (sigs <-chan os.Signal, stop func(), err error) {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	stop = func() {}
	if !inPlace {
		sigs, stop = supervise.Signals(catch...)
	}
	if err := launch.CloseOnExec(); err != nil {
		stop()
		return nil, nil, err
	}
	return sigs, stop, nil
}

// supervise runs argv as the flags say: confined in place of this
// process with --no-audit (it returns only on failure), else under the
// supervisor, reporting what went wrong on stderr.
func (c *runCLI) supervise(argv []string, sigs <-chan os.Signal) (*supervise.Outcome, error) {
	if c.NoAudit && c.SessionDir != "" {
		return nil, cli.Usage("--no-audit and --session-dir cannot be used together")
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var extra []sandbox.Store
	for _, p := range c.Protect {
		extra = append(extra, sandbox.Store{Path: absolutePath(p, cwd), Name: "protected path (--protect)"})
	}
	if c.SessionDir != "" {
		extra = append(extra, sandbox.Store{Path: absolutePath(c.SessionDir, cwd), Name: "session directory"})
	}
	sb, grants, err := c.sandbox(cwd, extra, !c.planned)
	if err != nil {
		return nil, err
	}
	network, err := c.networkFlags.apply(sb, c.BlockNet, c.NoAudit)
	if err != nil {
		return nil, err
	}
	expansion, err := requests(&c.approveFlags, &c.urlFlags, c.NoAudit)
	if err != nil {
		return nil, err
	}
	// The wrapper's name for this process is not the command's.
	env := launch.ScrubEnv(os.Environ(), append(c.ScrubEnv, cli.ProgramEnv))
	if c.NoAudit {
		return nil, launchFailed(self, launch.ExecInPlace(argv, env, cwd, sb.Spec, sb.ABI, sb.TmpBase))
	}
	tracked, err := supervise.TrackedPaths(grants, cwd, c.Rollback || c.AuditIntegrity)
	if err != nil {
		return nil, err
	}
	policy, rules, err := redact.LoadConfig(stores.ConfigPath(os.Getenv))
	if err != nil {
		return nil, err
	}
	hooks, err := supervise.HooksFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	cfg := supervise.Config{
		Argv:          argv,
		Env:           env,
		Dir:           cwd,
		TrackedPaths:  tracked,
		EventFD:       c.EventFD,
		SessionDir:    c.SessionDir,
		StageFinishes: c.stageFinishes,
		Policy:        policy,
		Rules:         rules,
		Stdio:         supervise.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr},
		Signals:       sigs,
		Hooks:         hooks,
		Sandbox:       sb,
		Network:       network,
	}
	var helpers []func(*supervise.Running) func()
	if expansion != nil {
		expansion.Apply(sb)
		helpers = append(helpers, expansion.WhileRunning(c.SessionDir))
	}
	urls, env, err := c.urlOpens(sb, cfg.Env)
	if err != nil {
		return nil, err
	}
	defer urls.Close()
	cfg.Env = env
	urls.Session = sessionID(c.SessionDir)
	helpers = append(helpers, func(r *supervise.Running) func() {
		urls.Emit = r.Emitter.Emit
		return urls.Start()
	})
	cfg.WhileRunning = whileRunning(helpers...)
	out, err := supervise.Run(cfg)
	if err != nil {
		return nil, err
	}
	if out.Launch != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", self, out.Launch)
	}
	if out.Record != nil {
		fmt.Fprintf(os.Stderr, "%s: the command ran, but recording it failed: %v\n", self, out.Record)
	}
	if !c.Silent && sb.Spec != nil {
		if hint := deniedHint(out); hint != "" {
			fmt.Fprintln(os.Stderr, hint)
		}
	}
	return out, nil
}

// deniedHint is the one line that helps after a command failed inside the
// sandbox: the kernel does not say which path it refused (Landlock's audit
// records need the audit subsystem), so it says how to find out.
func deniedHint(out *supervise.Outcome) string {
	switch code := out.ExitCode; {
	case out.Launch != nil && strings.Contains(out.Launch.Error(), "permission denied"):
		return self + ": hint: the sandbox may not let it execute that file; grant its directory with --read DIR (--dry-run shows the policy)"
	case out.Launch != nil:
		return ""
	case code == 0 || code > 128:
		return ""
	case code == 126:
		return self + ": hint: a program it ran could not be executed; if that program lies outside the grants, add its directory with --read DIR (--dry-run shows the policy)"
	default:
		return fmt.Sprintf("%s: hint: the command exited with status %d in the sandbox; if it was refused a path, grant it with --read, --write or --allow (or the -file forms); --dry-run shows the policy", self, code)
	}
}

func absolutePath(p, cwd string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return cwd + "/" + p
}

// withParent makes this process die with its parent: the nono wrapper
// finishes the session after the supervisor, so a killed wrapper must
// not leave a session that looks finished but never was.
func withParent() {
	parent := os.Getppid()
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	if os.Getppid() != parent {
		os.Exit(1)
	}
}
