package supervise

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/netrule"
	"github.com/nono-audit/nono/lib/proxyproc"
	"github.com/nono-audit/nono/lib/redact"
	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/session"
)

// Config is one supervised session: what to run and where to record it.
type Config struct {
	Argv         []string // the command; Argv[0] is looked up in Env's PATH
	Env          []string // the child's environment (Sandbox adds TMPDIR)
	Dir          string   // the working directory relative names resolve against
	TrackedPaths []string // from TrackedPaths
	EventFD      int      // raw audit events go here; negative: no events
	SessionDir   string   // the session whose session.json to keep; "" for none
	// StageFinishes says that a stage reading the event stream rewrites
	// session.json durably when the stream ends (nono run's last
	// recorder stage), taking ended and exit_code from the session_ended
	// event: the supervisor does not write session.json after the
	// command.
	StageFinishes bool
	Policy        *redact.Policy
	Rules         redact.Rules
	Stdio         Stdio
	Signals       <-chan os.Signal // from Signals, set up as early as possible
	Hooks         Hooks
	Now           func() time.Time // nil: time.Now

	// Sandbox confines the command and is recorded (sandbox_runtime, and
	// policy.json with a session directory). nil runs the command
	// unconfined and records neither: only for library use and tests,
	// nono-run always sets it.
	Sandbox *Sandbox

	// WhileRunning, when set, is called once the command runs, with what
	// a helper needs to record events while it does (a proxy, a seccomp
	// listener's server); the function it returns is called after the
	// command is reaped and before session_ended, and must stop
	// emitting.
	WhileRunning func(r *Running) (stop func())

	// Network, when set, is proxy mode: the command's HTTP(S) traffic
	// goes through a filtering proxy on 127.0.0.1 that decides each
	// request by these rules and records it as a network event, live;
	// with a sandbox, Landlock lets the command connect to the proxy's
	// port only (and to Sandbox.Spec.Network's own ports).
	Network *netrule.Policy
}

// Sandbox is how the command is confined.
type Sandbox struct {
	// Spec is the checked grants, protected stores and network; nil runs
	// the command unsandboxed (--allow-unsandboxed, when the kernel has
	// no Landlock), which is recorded with Reason.
	Spec    *sandbox.Spec
	ABI     int    // the Landlock ABI to use (sandbox.ABI)
	Reason  string // why the command is unsandboxed
	TmpBase string // where its private TMPDIR is made (sandbox.TmpBase)
	// Record is what policy.json adds at its end (what a helper serving
	// the command, such as capability requests, enforces).
	Record []canon.Member
}

// Running is the command while it runs, for Config.WhileRunning.
type Running struct {
	Pid       int
	Emitter   *Emitter        // safe to use from any goroutine
	Listeners []*os.File      // seccomp user-notification descriptors of sandbox.Spec.Filters
	Policy    *sandbox.Policy // the rules the command got; nil when unsandboxed
}

// Outcome is how a session ended.
type Outcome struct {
	ExitCode int   // the command's status: 128+N for signal N; 126 or 127 if it could not start
	Launch   error // why the command could not start (nil when it ran)
	Record   error // recording failed: events lost or session.json not finished
}

// Status is the supervisor's exit status: the command's, except that a
// recording failure turns success into 1.
func (o *Outcome) Status() int {
	if o.Record != nil && o.ExitCode == 0 {
		return 1
	}
	return o.ExitCode
}

// Run runs one session. The command is started and held at its exec
// while what it runs is identified; then session.json gets started,
// command, executable_identity and tracked_paths (ended and exit_code
// null) and the session is marked running, session_started (and
// sandbox_runtime) are emitted, and only then does the command run.
// session_ended is the last event whatever happens; session.json gets
// ended and exit_code after the command is reaped. The command is
// redacted before anything is written. An error means nothing ran and
// nothing was recorded.
func Run(cfg Config) (*Outcome, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if len(cfg.Argv) == 0 {
		return nil, errors.New("no command to run")
	}
	if cfg.Policy == nil {
		cfg.Policy, cfg.Rules = redact.DefaultPolicy(), redact.Default
	}
	started := event.FormatTime(now())
	command := RecordedCommand(cfg.Policy, cfg.Rules, cfg.Argv)
	emitter := NewEmitter(cfg.EventFD)
	out := &Outcome{}

	// The proxy listens before the command is started (its port goes into
	// the command's environment and sandbox); it records nothing until
	// the command, released after session_started, connects to it.
	var prox *proxyproc.Process
	if cfg.Network != nil {
		p, err := startProxy(cfg.Network, os.Environ(), emitter.Emit)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		prox = p
		cfg.Env = ProxyEnv(cfg.Env, p.URL())
		cfg.Sandbox = proxySandbox(cfg.Sandbox, p.Port())
	}

	l := &launcher{cfg: &cfg}
	defer l.close()
	child, err := l.launch()
	if err != nil {
		out.Launch = err
	}
	if dir := cfg.SessionDir; dir != "" {
		release, err := session.HoldRunning(dir)
		if err == nil {
			defer release()
			err = updateSession(dir, session.Update, func(s *session.Session) {
				s.Started = started
				s.Command = command
				s.ExecutableIdentity = l.identity()
				s.TrackedPaths = cfg.TrackedPaths
				s.Ended, s.ExitCode = nil, nil
			})
		}
		if err != nil {
			if child != nil {
				child.Abort()
			}
			return nil, err
		}
	}
	emitter.Emit(event.SessionStarted(started, command, cfg.Policy.Diff()))
	if sb := cfg.Sandbox; sb != nil {
		abi := ""
		if sb.Spec != nil {
			abi = sandbox.ABIName(sb.ABI)
		}
		emitter.Emit(event.SandboxRuntime(event.FormatTime(now().UTC()), abi, false))
	}
	policyDone := l.writePolicy(out.Launch)

	if child != nil {
		child.Release()
		stop := func() {}
		if cfg.WhileRunning != nil {
			stop = cfg.WhileRunning(&Running{Pid: child.Pid, Emitter: emitter, Listeners: child.Listeners, Policy: l.policy})
		}
		if n := cfg.Hooks.Events; n > 0 {
			g := NewSynthetic(filepath.Base(cfg.SessionDir), uint32(child.Pid), now())
			for i := range n {
				emitter.Emit(g.Event(i))
			}
		}
		out.ExitCode = ExitStatus(child.Wait(cfg.Signals))
		stop()
	} else {
		var le *launch.Error
		out.ExitCode = launch.StatusCannotExecute
		if errors.As(out.Launch, &le) {
			out.ExitCode = le.Code
		}
	}

	var proxyErr error
	if prox != nil {
		// Requests still open (a child's orphan) end here: no network
		// event comes after session_ended.
		proxyErr = prox.Close()
	}
	ended := event.FormatTime(now())
	emitter.Emit(event.SessionEnded(ended, int32(out.ExitCode)))
	out.Record = errors.Join(emitter.Err(), <-policyDone, proxyErr)
	// With StageFinishes, the last stage takes ended and exit_code from
	// session_ended, as it writes session.json at the stream's end.
	if dir := cfg.SessionDir; dir != "" && !cfg.StageFinishes {
		code := int32(out.ExitCode)
		err := updateSession(dir, session.Update, func(s *session.Session) {
			s.Ended, s.ExitCode = &ended, &code
		})
		if err != nil {
			out.Record = errors.Join(out.Record, err)
		}
	}
	return out, nil
}

// RecordedCommand is the command as the record holds it: redacted by the
// policy, with bytes that are not UTF-8 (which JSON cannot carry) replaced
// by U+FFFD. The child still gets the exact bytes.
func RecordedCommand(p *redact.Policy, rules redact.Rules, argv []string) []string {
	valid := make([]string, len(argv))
	for i, a := range argv {
		valid[i] = strings.ToValidUTF8(a, "\uFFFD")
	}
	return p.ScrubArgv(rules, valid)
}

// updateSession changes the supervisor's fields of dir/session.json with
// update, creating the record (named after the directory) if there is
// none yet.
func updateSession(dir string, update func(string, func(*session.Session) error) error, change func(*session.Session)) error {
	err := update(dir, func(s *session.Session) error { change(s); return nil })
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	id := filepath.Base(dir)
	if err := session.ValidateID(id); err != nil {
		return fmt.Errorf("session directory %s: %w", dir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("session directory: %w", err)
	}
	s := &session.Session{SessionID: id, Command: []string{}, TrackedPaths: []string{}, MerkleRoots: []string{}}
	change(s)
	return session.Write(dir, s)
}
