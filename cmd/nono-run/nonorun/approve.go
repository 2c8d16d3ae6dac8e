package nonorun

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/capability"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/supervise"
	"github.com/nono-audit/nono/lib/urlopen"
)

// approveFlags are capability requests: what the command may ask for
// beyond its grants, and who answers (docs/CAPABILITY.md).
type approveFlags struct {
	Approve             string        `placeholder:"BACKEND" help:"Let the command ask for files outside its grants, each answered by BACKEND: deny, terminal, policy:FILE or exec:PROGRAM (see docs/CAPABILITY.md). Every request is recorded."`
	CapabilityElevation bool          `help:"Let the command ask for files outside its grants, answered at the terminal, or denied when there is none (upstream's flag: --approve terminal or --approve deny; --approve names another backend)."`
	ApproveTimeout      time.Duration `placeholder:"DURATION" help:"How long BACKEND may take to answer a request (default 60s); no answer in time is Timeout (denied)."`
}

// expansion checks the flags: nil when no --approve was given.
func (f *approveFlags) expansion(noAudit bool) (*capability.Expansion, error) {
	flag := "--approve"
	if f.Approve == "" && f.CapabilityElevation {
		flag, f.Approve = "--capability-elevation", capability.DefaultBackend()
	}
	if f.Approve == "" {
		if f.ApproveTimeout != 0 {
			return nil, cli.Usage("--approve-timeout needs --approve")
		}
		return nil, nil
	}
	if noAudit {
		return nil, cli.Usage("%s needs the supervisor: it cannot be used with --no-audit", flag)
	}
	if f.ApproveTimeout < 0 {
		return nil, cli.Usage("--approve-timeout %s: must be positive", f.ApproveTimeout)
	}
	e, err := capability.New(f.Approve, f.ApproveTimeout, os.Getenv)
	if err != nil {
		return nil, cli.Usage("%v", err)
	}
	return e, nil
}

// args are the flags for nono-run's supervise mode: a policy file or a
// program by its absolute path, so the supervisor loads what plan
// checked whatever its working directory.
func (f *approveFlags) args(e *capability.Expansion) []string {
	if e == nil {
		return nil
	}
	backend := f.Approve
	switch a := e.Approver.(type) {
	case *capability.PolicyFile:
		if abs, err := filepath.Abs(a.Path); err == nil {
			backend = "policy:" + abs
		}
	case *capability.Exec:
		backend = "exec:" + a.Program
	}
	args := []string{"--approve=" + backend}
	if f.ApproveTimeout != 0 {
		args = append(args, "--approve-timeout="+f.ApproveTimeout.String())
	}
	return args
}

// urlFlags are URL opens: what the command may ask the supervisor to
// open (docs/CAPABILITY.md).
type urlFlags struct {
	AllowOpenURL []string `sep:"none" placeholder:"SCHEME:|HOST" help:"What the command may ask nono to open through $BROWSER: a scheme besides http and https (\"mailto:\"), or a host (\"example.com\", \"*.example.com\"), which limits URLs to the hosts so named (repeatable)."`
}

// requests checks what the command may ask the supervisor for: files
// beyond its grants (nil when not asked for) and URL opens.
func requests(a *approveFlags, u *urlFlags, noAudit bool) (*capability.Expansion, error) {
	e, err := a.expansion(noAudit)
	if err != nil {
		return nil, err
	}
	return e, u.check(noAudit)
}

// check refuses --allow-open-url where nobody would serve the requests.
func (f *urlFlags) check(noAudit bool) error {
	if noAudit && len(f.AllowOpenURL) > 0 {
		return cli.Usage("--allow-open-url needs the supervisor: it cannot be used with --no-audit")
	}
	_, err := f.policy()
	return err
}

func (f *urlFlags) policy() (*urlopen.Policy, error) {
	p, err := urlopen.ParsePolicy(f.AllowOpenURL)
	if err != nil {
		return nil, cli.Usage("%v", err)
	}
	return p, nil
}

func (f *urlFlags) args() []string {
	var args []string
	for _, v := range f.AllowOpenURL {
		args = append(args, "--allow-open-url="+v)
	}
	return args
}

// urlOpens listens for the command's URL-open requests: its BROWSER is
// this program's open-url client, which the sandbox lets it run.
func (f *urlFlags) urlOpens(sb *supervise.Sandbox, env []string) (*urlopen.Server, []string, error) {
	policy, err := f.policy()
	if err != nil {
		return nil, nil, err
	}
	client, err := selfPath()
	if err != nil {
		return nil, nil, err
	}
	srv, err := urlopen.Listen(sb.TmpBase)
	if err != nil {
		return nil, nil, err
	}
	srv.Policy = policy
	if sb.Spec != nil {
		sb.Spec.Grants = append(sb.Spec.Grants, sandbox.Grant{Path: client, Access: sandbox.Read, File: true, Source: "open-url client"})
	}
	env = launch.SetEnv(env, urlopen.SocketEnv, srv.Path())
	env = launch.SetEnv(env, "BROWSER", client+" open-url")
	return srv, env, nil
}

// selfPath is this program's path as it was run (not resolved: the
// name it was run by may matter to it).
func selfPath() (string, error) {
	p := os.Args[0]
	if !strings.Contains(p, "/") {
		lp, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("cannot find %s for the open-url client: %w", p, err)
		}
		p = lp
	}
	return filepath.Abs(p)
}

// openURLCLI is `nono-run open-url URL`, the command's $BROWSER.
type openURLCLI struct {
	URL string `arg:"" help:"The URL to open."`
}

func (c *openURLCLI) Run() error {
	socket := os.Getenv(urlopen.SocketEnv)
	if socket == "" {
		return cli.Usage("open-url works inside nono run only (%s is not set)", urlopen.SocketEnv)
	}
	if err := urlopen.Request(socket, c.URL); err != nil {
		return cli.Verdict(err)
	}
	return nil
}

// whileRunning runs every helper's WhileRunning; the stops run in
// reverse order.
func whileRunning(fs ...func(*supervise.Running) func()) func(*supervise.Running) func() {
	return func(r *supervise.Running) func() {
		var stops []func()
		for _, f := range fs {
			if f != nil {
				stops = append(stops, f(r))
			}
		}
		return func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		}
	}
}

// sessionID is the session_id requests carry: the session directory's
// name ("" without one).
func sessionID(dir string) string {
	if dir == "" {
		return ""
	}
	return filepath.Base(dir)
}

// describeRequests is --dry-run's account of what the command may ask
// the supervisor for while it runs.
func describeRequests(w io.Writer, e *capability.Expansion, allowURL []string, noAudit bool) error {
	var b strings.Builder
	switch {
	case noAudit:
		b.WriteString("Requests: none (--no-audit: no supervisor to ask)\n")
		_, err := io.WriteString(w, b.String())
		return err
	case e == nil:
		b.WriteString("Capability requests: off (--approve turns them on)\n")
	case e.Unavailable != "":
		fmt.Fprintf(&b, "Capability requests: off: %s\n", e.Unavailable)
	default:
		fmt.Fprintf(&b, "Capability requests: opens outside the grants go to %s (timeout %v); protected stores and deny groups are never granted\n", e.Backend, e.Timeout)
	}
	p, err := urlopen.ParsePolicy(allowURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(&b, "URL opens ($BROWSER): schemes %s", strings.Join(p.Schemes, ", "))
	if len(p.Hosts) > 0 {
		fmt.Fprintf(&b, "; hosts %s", strings.Join(p.Hosts, ", "))
	}
	b.WriteString("\n")
	_, err = io.WriteString(w, b.String())
	return err
}
