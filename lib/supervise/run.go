package supervise

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/redact"
	"github.com/nono-audit/nono/lib/session"
)

// Config is one supervised session: what to run and where to record it.
type Config struct {
	Argv         []string // the command; Argv[0] is looked up in Env's PATH
	Env          []string // the child's environment
	Dir          string   // the working directory relative names resolve against
	TrackedPaths []string // from TrackedPaths
	EventFD      int      // raw audit events go here; negative: no events
	SessionDir   string   // the session whose session.json to keep; "" for none
	Policy       *redact.Policy
	Rules        redact.Rules
	Stdio        Stdio
	Signals      <-chan os.Signal // from Signals, set up as early as possible
	Hooks        Hooks
	Now          func() time.Time // nil: time.Now
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

// Run runs one session. session_started is the first event and
// session_ended the last, whatever happens in between; with a session
// directory, session.json holds started, command, executable_identity and
// tracked_paths before the child runs (ended and exit_code null) and gets
// ended and exit_code after it is reaped, and the session is marked running
// in between. The command is redacted before anything is written. An error
// means nothing ran and nothing was recorded.
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

	var identity *session.ExecutableIdentity
	exe, err := OpenExecutable(cfg.Argv[0], lookupEnv(cfg.Env, "PATH"), cfg.Dir, cfg.Hooks.AfterHash)
	if err != nil {
		out.Launch = err
	} else {
		defer exe.Close()
		identity = &session.ExecutableIdentity{ResolvedPath: exe.Path, SHA256: exe.SHA256}
		if cfg.SessionDir != "" && !utf8.ValidString(exe.Path) {
			out.Launch = &LaunchError{Name: cfg.Argv[0], Code: StatusCannotExecute,
				Err: fmt.Errorf("resolves to %q, which is not valid UTF-8, so its identity cannot be recorded", exe.Path)}
			identity = nil
		}
	}

	if dir := cfg.SessionDir; dir != "" {
		release, err := session.HoldRunning(dir)
		if err != nil {
			return nil, err
		}
		defer release()
		err = updateSession(dir, func(s *session.Session) {
			s.Started = started
			s.Command = command
			s.ExecutableIdentity = identity
			s.TrackedPaths = cfg.TrackedPaths
			s.Ended, s.ExitCode = nil, nil
		})
		if err != nil {
			return nil, err
		}
	}
	emitter.Emit(event.SessionStarted(started, command, cfg.Policy.Diff()))

	var child *Child
	if out.Launch == nil {
		out.Launch = settle(exe, cfg.SessionDir)
	}
	if out.Launch == nil {
		child, err = Start(exe, cfg.Argv, cfg.Env, cfg.Stdio)
		if err != nil {
			out.Launch = err
		}
	}
	if child != nil {
		if n := cfg.Hooks.Events; n > 0 {
			g := NewSynthetic(filepath.Base(cfg.SessionDir), uint32(child.Pid), now())
			for i := range n {
				emitter.Emit(g.Event(i))
			}
		}
		out.ExitCode = ExitStatus(child.Wait(cfg.Signals))
	} else {
		var le *LaunchError
		out.ExitCode = StatusCannotExecute
		if errors.As(out.Launch, &le) {
			out.ExitCode = le.Code
		}
	}

	ended := event.FormatTime(now())
	emitter.Emit(event.SessionEnded(ended, int32(out.ExitCode)))
	out.Record = emitter.Err()
	if dir := cfg.SessionDir; dir != "" {
		code := int32(out.ExitCode)
		err := updateSession(dir, func(s *session.Session) {
			s.Ended, s.ExitCode = &ended, &code
		})
		if err != nil {
			out.Record = errors.Join(out.Record, err)
		}
	}
	return out, nil
}

// settle makes sure the recorded hash is of the file about to run: the
// file's state must not have changed since it was hashed. If it has (a
// write to the same inode), hash again and record the new identity.
func settle(exe *Executable, dir string) error {
	for attempt := 0; ; attempt++ {
		changed, err := exe.Changed()
		if err != nil {
			return &LaunchError{Name: exe.Path, Code: StatusCannotExecute, Err: err}
		}
		if !changed {
			return nil
		}
		if attempt == maxAttempts {
			return &LaunchError{Name: exe.Path, Code: StatusCannotExecute, Err: errors.New("the file kept changing between hashing and execution")}
		}
		if err := exe.Rehash(); err != nil {
			return &LaunchError{Name: exe.Path, Code: StatusCannotExecute, Err: err}
		}
		if dir != "" {
			err := updateSession(dir, func(s *session.Session) {
				s.ExecutableIdentity = &session.ExecutableIdentity{ResolvedPath: exe.Path, SHA256: exe.SHA256}
			})
			if err != nil {
				return &LaunchError{Name: exe.Path, Code: StatusCannotExecute, Err: err}
			}
		}
	}
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

// updateSession changes the supervisor's fields of dir/session.json,
// creating the record (named after the directory) if there is none yet.
func updateSession(dir string, change func(*session.Session)) error {
	err := session.Update(dir, func(s *session.Session) error { change(s); return nil })
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

func lookupEnv(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}
