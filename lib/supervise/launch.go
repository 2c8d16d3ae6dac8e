package supervise

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/session"
)

// launcher starts one session's command: it resolves the executable,
// makes the sandbox for it, starts it stopped at its exec, and identifies
// what it runs, starting again (at most maxAttempts times) if that is not
// the file it resolved.
type launcher struct {
	cfg     *Config
	exe     *launch.Executable
	policy  *sandbox.Policy
	tmpDir  string           // the command's private TMPDIR, removed by close
	ruleset *sandbox.Ruleset // the attempt's, until its Start returns
	env     []string
}

// launch returns the child stopped at its exec, identified.
func (l *launcher) launch() (*Child, error) {
	cfg := l.cfg
	l.env = cfg.Env
	for range launch.MaxAttempts {
		if l.exe != nil {
			l.exe.Close()
		}
		exe, err := launch.Open(cfg.Argv[0], launch.LookupEnv(cfg.Env, "PATH"), cfg.Dir, cfg.Hooks.BeforeExec)
		l.exe = exe
		if err != nil {
			return nil, err
		}
		if cfg.SessionDir != "" && !utf8.ValidString(exe.Path) {
			return nil, &launch.Error{Name: cfg.Argv[0], Code: launch.StatusCannotExecute,
				Err: fmt.Errorf("resolves to %q, which is not valid UTF-8, so its identity cannot be recorded", exe.Path)}
		}
		confine, err := l.confinement()
		if err != nil {
			return nil, &launch.Error{Name: cfg.Argv[0], Code: launch.StatusCannotExecute, Err: err}
		}
		child, err := Start(Launch{Path: exe.ExecPath, Dir: cfg.Dir, Argv: cfg.Argv, Env: l.env, Stdio: cfg.Stdio, Confine: confine, Ruleset: l.ruleset})
		l.closeRuleset()
		if err != nil {
			return nil, launch.StartError(cfg.Argv[0], exe, err)
		}
		same, err := exe.Identify(child.Pid)
		if err != nil {
			child.Abort()
			return nil, &launch.Error{Name: cfg.Argv[0], Code: launch.StatusCannotExecute, Err: err}
		}
		if same {
			return child, nil
		}
		child.Abort()
	}
	return nil, &launch.Error{Name: cfg.Argv[0], Code: launch.StatusCannotExecute, Err: errors.New("the file kept changing between hashing and execution")}
}

// confinement builds the sandbox for the resolved executable and returns
// what the launch thread must run, or nil to run unconfined. The private
// TMPDIR is made once, on the first attempt.
func (l *launcher) confinement() (func() ([]int, error), error) {
	sb := l.cfg.Sandbox
	if sb == nil || sb.Spec == nil {
		return nil, nil
	}
	if l.tmpDir == "" {
		dir, err := sandbox.PrivateTmpDir(sb.TmpBase)
		if err != nil {
			return nil, err
		}
		l.tmpDir = dir
		l.env = launch.SetEnv(l.cfg.Env, "TMPDIR", dir)
	}
	p, err := sb.Spec.Policy(sandbox.Executable{Path: l.exe.Path, Interpreter: l.exe.ScriptInterpreter()}, l.tmpDir)
	if err != nil {
		return nil, err
	}
	rs, err := p.Ruleset(sb.ABI)
	if err != nil {
		return nil, err
	}
	l.policy = p
	l.closeRuleset()
	for _, f := range p.Filters {
		if f.NewListener {
			// The supervisor answers the filter's notifications only once
			// the command runs, so the confining copy, whose own opens
			// the filter would hold, cannot run before it: the launch
			// thread enforces the ruleset, without the command's own
			// /proc/PID.
			return func() ([]int, error) {
				defer rs.Close()
				return p.ConfineThread(rs)
			}, nil
		}
	}
	l.ruleset = rs // the command enforces it, with its own /proc/PID
	return p.GuardThread, nil
}

func (l *launcher) closeRuleset() {
	if l.ruleset != nil {
		l.ruleset.Close()
		l.ruleset = nil
	}
}

// identity is what session.json records: the executable's canonical path
// and hash (for a script, of the script), nil if it did not start.
func (l *launcher) identity() *session.ExecutableIdentity {
	if l.exe == nil || l.exe.SHA256 == "" {
		return nil
	}
	return &session.ExecutableIdentity{ResolvedPath: l.exe.Path, SHA256: l.exe.SHA256}
}

// writePolicy writes the session's policy.json in the background (the
// command need not wait for it); the channel delivers the outcome.
func (l *launcher) writePolicy(launchErr error) <-chan error {
	done := make(chan error, 1)
	sb, dir := l.cfg.Sandbox, l.cfg.SessionDir
	if sb == nil || dir == "" {
		done <- nil
		return done
	}
	abi := sb.ABI
	if sb.Spec == nil {
		abi = 0
	}
	extra := append([]canon.Member{{Key: "executable", Value: l.executableValue()}}, sb.Record...)
	if launchErr != nil {
		// Why the command never ran (the log says only exit 126 or 127).
		msg := strings.ToValidUTF8(launchErr.Error(), "\uFFFD")
		extra = append(extra, canon.Member{Key: "launch_error", Value: canon.StringValue(msg)})
	}
	v := sandbox.Value(l.policy, abi, sb.Reason, extra...)
	go func() {
		err := atomicfile.Replace(filepath.Join(dir, sandbox.PolicyFileName), canon.Pretty(v), 0o600)
		if err != nil {
			err = fmt.Errorf("write %s: %w", sandbox.PolicyFileName, err)
		}
		done <- err
	}()
	return done
}

// executableValue is what policy.json says of the executable beyond
// session.json's executable_identity: how it was run and identified, and
// a script's interpreter.
func (l *launcher) executableValue() canon.Value {
	e := l.exe
	if e == nil || e.SHA256 == "" {
		return canon.NullValue()
	}
	kind, hashed := "binary", "at exec: the file the kernel mapped"
	interp := canon.NullValue()
	if e.Script {
		kind, hashed = "script", "before exec: the script as its path named it then"
		if i := e.Interpreter; i != nil {
			interp = canon.ObjectValue(
				canon.Member{Key: "path", Value: canon.StringValue(strings.ToValidUTF8(i.Path, "\uFFFD"))},
				canon.Member{Key: "sha256", Value: canon.StringValue(i.SHA256)},
				canon.Member{Key: "hashed", Value: canon.StringValue("at exec: the file the kernel mapped")})
		}
	}
	return canon.ObjectValue(
		canon.Member{Key: "exec_path", Value: canon.StringValue(strings.ToValidUTF8(e.ExecPath, "\uFFFD"))},
		canon.Member{Key: "kind", Value: canon.StringValue(kind)},
		canon.Member{Key: "hashed", Value: canon.StringValue(hashed)},
		canon.Member{Key: "interpreter", Value: interp})
}

// close releases the executable and removes the private TMPDIR.
func (l *launcher) close() {
	l.closeRuleset()
	if l.exe != nil {
		l.exe.Close()
	}
	if l.tmpDir != "" {
		os.RemoveAll(l.tmpDir)
	}
}
