// Package plan is the front half of `nono run`: it checks every flag the
// way upstream does (conflicts are usage errors), loads what must load
// before anything runs (the redaction config, the signing key, the
// tracked directories, the command), creates the session directory with
// its initial session.json, and describes the run as bash assignments for
// the wrapper script to eval.
package plan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/inplace"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/platform"
	"github.com/nono-audit/nono/lib/redact"
	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
	"github.com/nono-audit/nono/lib/supervise"
)

// Options are the flags of `nono run`.
type Options struct {
	Grants           sandbox.GrantFlags
	BlockNet         bool // --block-net
	AllowUnsandboxed bool // run unconfined when the kernel has no Landlock
	DryRun           bool // print the policy, run and create nothing

	NoAudit          bool
	NoAuditIntegrity bool
	AuditIntegrity   bool
	AuditSignKey     *string // nil when not given; blank means no signing

	Rollback         bool
	NoRollback       bool
	NoRollbackPrompt bool
	RollbackDest     *string
	RollbackExclude  []string
	RollbackInclude  []string
	RollbackAll      bool
	SkipDir          []string

	Network Network // proxy mode (docs/NETWORK.md)

	// SupervisorArgs are flags for nono-run's supervise mode that the
	// caller has checked (--approve, ...), passed on as they are.
	SupervisorArgs []string

	Silent  bool
	NoSync  bool // --no-sync: do not ship the session after the run
	Command []string
}

// UsageError is a bad combination of flags: exit status 2, and nothing
// has been created or run.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func conflict(a, b string) error {
	return &UsageError{Msg: fmt.Sprintf("the argument '%s' cannot be used with '%s'", a, b)}
}

// Check applies upstream's flag rules: the conflicts of --no-audit,
// --no-audit-integrity and --rollback, --rollback-dest requiring
// --rollback, --rollback-include against --rollback-all, and a command.
func (o *Options) Check() error {
	type flag struct {
		name string
		set  bool
	}
	noAudit := flag{"--no-audit", o.NoAudit}
	noIntegrity := flag{"--no-audit-integrity", o.NoAuditIntegrity}
	integrity := flag{"--audit-integrity", o.AuditIntegrity}
	rollback := flag{"--rollback", o.Rollback}
	signKey := flag{"--audit-sign-key", o.AuditSignKey != nil}
	rules := [][2]flag{
		{noAudit, integrity}, {noAudit, noIntegrity}, {noAudit, rollback}, {noAudit, signKey},
		{noIntegrity, integrity}, {noIntegrity, rollback}, {noIntegrity, signKey},
		{rollback, {"--no-rollback", o.NoRollback}},
		{{"--rollback-include", len(o.RollbackInclude) > 0}, {"--rollback-all", o.RollbackAll}},
	}
	for _, r := range rules {
		if r[0].set && r[1].set {
			return conflict(r[0].name, r[1].name)
		}
	}
	if o.RollbackDest != nil && !o.Rollback {
		return &UsageError{Msg: "the argument '--rollback-dest' requires '--rollback'"}
	}
	if len(o.Command) == 0 {
		return &UsageError{Msg: "missing command: nono run [FLAGS] -- COMMAND [ARG...]"}
	}
	return o.Network.Check(o.BlockNet, o.NoAudit)
}

// Env is the world a plan is made in.
type Env struct {
	Getenv func(string) string
	Cwd    string
	Now    time.Time
	Warn   io.Writer // upstream's warnings (unless --silent)
}

// Plan is a checked run, ready for the wrapper.
type Plan struct {
	SessionID      string
	SessionDir     string
	Audit          bool // record the session at all
	Integrity      bool // nono-merkle writes audit_integrity
	FSIntegrity    bool // --audit-integrity without rollback: hash the writable roots, store nothing
	Rollback       bool
	RollbackDir    string // the session's rollback store (empty without rollback)
	RollbackPrompt bool
	SignKey        string
	Silent         bool
	RedactArgs     []string // for nono-redact
	SnapshotArgs   []string // exclusion flags for nono-snapshot
	RunArgs        []string // flags for nono-run's supervise mode
	// SyncArgs are the arguments of `nono-ship sync` that ships the
	// finished session; empty when the machine is not enrolled with an
	// audit receiver, with --no-sync, or without a session.
	SyncArgs []string
	Command  []string // exactly as given

	// With DryRun, the policy the command would get (nothing is created).
	DryRun  bool
	Sandbox *sandbox.Policy
	ABI     int
}

// Upstream's warnings.
const (
	warnNoAudit     = inplace.Warning // nono-run-inplace prints it too
	warnNoIntegrity = "  [nono] Warning: --no-audit-integrity disables Merkle audit integrity; audit events are written without an integrity summary."
	warnNoRollback  = "  [nono] Warning: --no-rollback is active; rollback customization flags have no effect."
	// warnNothingWritable: --rollback or --audit-integrity without a
	// writable grant has nothing to snapshot.
	warnNothingWritable = "  [nono] Warning: no writable directory is granted; nothing to snapshot or hash, recording an audit-only session."
)

// Make checks o and everything that must work before the command runs,
// then (unless --no-audit) creates the session directory with its initial
// session.json (ended and exit_code null; synced by the time the command
// runs, so a crash during it stays visible). Any
// error leaves nothing behind: a *UsageError for bad flags, a
// *launch.Error when the command cannot be found, other errors
// for configuration, key and path problems.
func Make(o *Options, env Env) (*Plan, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	getenv := env.Getenv
	policy, rules, err := redact.LoadConfig(stores.ConfigPath(getenv))
	if err != nil {
		return nil, err
	}
	var signKey string
	if o.AuditSignKey != nil && strings.TrimSpace(*o.AuditSignKey) != "" {
		signKey = *o.AuditSignKey
		if _, err := dsse.LoadSigningKey(signKey, getenv); err != nil {
			return nil, fmt.Errorf("--audit-sign-key: %w", err)
		}
	}
	grants := o.Grants.Grants(getenv, env.Cwd)
	tracked, err := supervise.TrackedPaths(grants, env.Cwd, o.Rollback || o.AuditIntegrity)
	if err != nil {
		return nil, err
	}
	// Filesystem tracking covers writable grants only. With none there is
	// nothing to snapshot or hash: the session is audit-only, as upstream
	// does, and tracks every granted directory.
	fsTracking := o.Rollback || o.AuditIntegrity
	if fsTracking && len(tracked) == 0 {
		fsTracking = false
		if tracked, err = supervise.TrackedPaths(grants, env.Cwd, false); err != nil {
			return nil, err
		}
	}
	spec, protect, scrub := sandboxSpec(o, grants, env)
	if _, err := spec.Check(); err != nil {
		return nil, refusal(err)
	}
	abi := sandbox.ABI(getenv)
	if o.DryRun {
		return dryRun(o, spec, abi, env)
	}
	if abi == 0 && !o.AllowUnsandboxed {
		return nil, ErrNoLandlock
	}
	// A command that cannot be found is recorded as attempted (the
	// supervisor ends the session with 127 and says why in policy.json);
	// only with nothing to record is it an error here.
	if _, err := launch.LookPath(o.Command[0], getenv("PATH"), env.Cwd); err != nil && o.NoAudit {
		return nil, err
	}

	if !o.Silent && env.Warn != nil {
		if o.NoAudit {
			fmt.Fprintln(env.Warn, warnNoAudit)
		}
		if o.NoAuditIntegrity {
			fmt.Fprintln(env.Warn, warnNoIntegrity)
		}
		if o.NoRollback && (len(o.RollbackExclude) > 0 || len(o.RollbackInclude) > 0 || o.RollbackAll) {
			fmt.Fprintln(env.Warn, warnNoRollback)
		}
		if !o.NoAudit && (o.Rollback || o.AuditIntegrity) && !fsTracking {
			fmt.Fprintln(env.Warn, warnNothingWritable)
		}
	}

	p := &Plan{
		Audit:          !o.NoAudit,
		Integrity:      !o.NoAudit && !o.NoAuditIntegrity,
		FSIntegrity:    fsTracking && o.AuditIntegrity && !o.Rollback,
		Rollback:       fsTracking && o.Rollback,
		RollbackPrompt: !o.NoRollbackPrompt,
		SignKey:        signKey,
		Silent:         o.Silent,
		RedactArgs:     []string{},
		SyncArgs:       []string{},
		SnapshotArgs:   snapshotArgs(o),
		RunArgs:        append(runArgs(o, grants, fsTracking, protect, scrub), o.Network.Args()...),
		Command:        o.Command,
	}
	if !p.Audit {
		return p, nil
	}
	if err := p.create(o, env, policy, rules, tracked); err != nil {
		return nil, err
	}
	p.SyncArgs = syncArgs(o, env, p.SessionDir)
	return p, nil
}

// syncArgs ship the session after the run when this machine is enrolled.
func syncArgs(o *Options, env Env, dir string) []string {
	if o.NoSync || !platform.Enrolled(env.Getenv) {
		return []string{}
	}
	args := []string{"--after-run", dir}
	if o.Silent {
		args = append(args, "--silent")
	}
	return args
}

// create makes the session directory and its initial record, and names
// the rollback store. On failure it removes what it made.
func (p *Plan) create(o *Options, env Env, policy *redact.Policy, rules redact.Rules, tracked []string) error {
	root, err := stores.AuditRoot(env.Getenv)
	if err != nil {
		return err
	}
	var rollbackBase string
	if p.Rollback {
		if o.RollbackDest != nil {
			rollbackBase = absPath(*o.RollbackDest, env.Cwd)
		} else if rollbackBase, err = stores.RollbackRoot(env.Getenv); err != nil {
			return err
		}
		if err := session.CheckRoot(rollbackBase); err != nil {
			return err
		}
	}
	id, dir, err := session.Create(root)
	if err != nil {
		return err
	}
	s := &session.Session{
		SessionID:    id,
		Started:      event.FormatTime(env.Now),
		Command:      supervise.RecordedCommand(policy, rules, o.Command),
		TrackedPaths: tracked,
		MerkleRoots:  []string{},
	}
	// Without snapshots, the supervisor rewrites it, synced, right away
	// and before the command runs: this first version is a draft that
	// need not wait for the disk. A snapshot taken first may take long,
	// and a crash then should find the record whole.
	write := session.WriteDraft
	if p.Rollback || p.FSIntegrity {
		write = session.Write
	}
	if err := write(dir, s); err != nil {
		os.RemoveAll(dir)
		return err
	}
	p.SessionID, p.SessionDir = id, dir
	if p.Rollback {
		p.RollbackDir = filepath.Join(rollbackBase, id)
	}
	return nil
}

// runArgs are the flags nono-run's supervise mode needs: the grants (so
// it records the same tracked paths and applies the same sandbox;
// NONO_ALLOW's become --allow), the flags that select writable-only
// tracking, the sandbox's, the extra places it must protect and the
// variables it must keep from the command, and --no-audit. Values are
// attached with '=' so none can be taken for a flag.
func runArgs(o *Options, grants []sandbox.Grant, fsTracking bool, protect, scrub []string) []string {
	args := append([]string{}, sandbox.Args(grants)...)
	if fsTracking && o.Rollback {
		args = append(args, "--rollback")
	}
	if fsTracking && o.AuditIntegrity {
		args = append(args, "--audit-integrity")
	}
	if o.BlockNet {
		args = append(args, "--block-net")
	}
	if o.AllowUnsandboxed {
		args = append(args, "--allow-unsandboxed")
	}
	for _, p := range protect {
		args = append(args, "--protect="+p)
	}
	for _, v := range scrub {
		args = append(args, "--scrub-env="+v)
	}
	args = append(args, o.SupervisorArgs...)
	if o.Silent {
		args = append(args, "--silent")
	}
	if o.NoAudit {
		args = append(args, "--no-audit")
	}
	return args
}

// snapshotArgs are the exclusion flags, as given, for nono-snapshot.
func snapshotArgs(o *Options) []string {
	args := []string{}
	for _, v := range o.RollbackExclude {
		args = append(args, "--rollback-exclude="+v)
	}
	for _, v := range o.RollbackInclude {
		args = append(args, "--rollback-include="+v)
	}
	if o.RollbackAll {
		args = append(args, "--rollback-all")
	}
	for _, v := range o.SkipDir {
		args = append(args, "--skip-dir="+v)
	}
	return args
}

// ErrNoLandlock: the kernel cannot confine the command, and the user did
// not accept running it unconfined.
var ErrNoLandlock = errors.New("landlock is not available on this kernel (Linux 5.13 or later with Landlock enabled is needed), so the command cannot be sandboxed; refusing to run it. --allow-unsandboxed runs it anyway, unconfined, and says so in the record")

// sandboxSpec is the sandbox the flags ask for. Beyond the stores every
// run protects, a --rollback-dest root and a file:// signing key are
// protected too (their paths are returned for nono-run), and an env://
// signing key's variable is kept from the command.
func sandboxSpec(o *Options, grants []sandbox.Grant, env Env) (spec *sandbox.Spec, protect, scrub []string) {
	stores := stores.Protected(env.Getenv)
	if o.RollbackDest != nil && *o.RollbackDest != "" {
		dest := absPath(*o.RollbackDest, env.Cwd)
		stores = append(stores, sandbox.Store{Path: dest, Name: "rollback store (--rollback-dest)"})
		protect = append(protect, dest)
	}
	if o.AuditSignKey != nil {
		if ref, err := dsse.ParseKeyRef(strings.TrimSpace(*o.AuditSignKey)); err == nil {
			if ref.Path != "" {
				stores = append(stores, sandbox.Store{Path: ref.Path, Name: "signing key (--audit-sign-key)"})
				protect = append(protect, ref.Path)
			}
			if ref.Env != "" {
				scrub = append(scrub, ref.Env)
			}
		}
	}
	spec = &sandbox.Spec{Grants: grants, Cwd: env.Cwd, Home: env.Getenv("HOME"), Protected: stores}
	if o.BlockNet {
		spec.Network = sandbox.BlockNet()
	}
	if o.Network.Proxy() {
		spec.Network = o.Network.Sandbox()
	}
	return spec, protect, scrub
}

// refusal makes a grant that reaches a deny group or a protected store a
// usage error.
func refusal(err error) error {
	var re *sandbox.RefusedError
	if errors.As(err, &re) {
		return &UsageError{Msg: re.Msg}
	}
	return err
}

// DryRun is --dry-run on its own (`nono wrap --dry-run`): the policy the
// grants and the command give, checked, with nothing created.
func DryRun(o *Options, env Env) (*Plan, error) {
	if len(o.Command) == 0 {
		return nil, &UsageError{Msg: "missing command"}
	}
	grants := o.Grants.Grants(env.Getenv, env.Cwd)
	spec, _, _ := sandboxSpec(o, grants, env)
	if _, err := spec.Check(); err != nil {
		return nil, refusal(err)
	}
	return dryRun(o, spec, sandbox.ABI(env.Getenv), env)
}

// dryRun completes the policy for the command as it resolves now (its
// private TMPDIR is not made) and returns it without creating anything.
func dryRun(o *Options, spec *sandbox.Spec, abi int, env Env) (*Plan, error) {
	exe, err := launch.Open(o.Command[0], env.Getenv("PATH"), env.Cwd, nil)
	if err != nil {
		return nil, err
	}
	exe.Close()
	p, err := spec.Policy(sandbox.Executable{Path: exe.Path, Interpreter: exe.ScriptInterpreter()}, "")
	if err != nil {
		return nil, refusal(err)
	}
	return &Plan{DryRun: true, Sandbox: p, ABI: abi, Command: o.Command, Silent: o.Silent}, nil
}

func absPath(p, cwd string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(cwd, p)
}

// Shell returns the plan as bash assignments, one a line, every value
// quoted (AppendQuoted).
func (p *Plan) Shell() []byte {
	var b []byte
	b = appendAssign(b, "session_id", p.SessionID)
	b = appendAssign(b, "session_dir", p.SessionDir)
	b = appendFlag(b, "audit", p.Audit)
	b = appendFlag(b, "integrity", p.Integrity)
	b = appendFlag(b, "fs_integrity", p.FSIntegrity)
	b = appendFlag(b, "rollback", p.Rollback)
	b = appendAssign(b, "rollback_dir", p.RollbackDir)
	b = appendFlag(b, "rollback_prompt", p.RollbackPrompt)
	b = appendAssign(b, "sign_key", p.SignKey)
	b = appendFlag(b, "silent", p.Silent)
	b = appendArray(b, "redact_args", p.RedactArgs)
	b = appendArray(b, "snapshot_args", p.SnapshotArgs)
	b = appendArray(b, "run_args", p.RunArgs)
	b = appendArray(b, "sync_args", p.SyncArgs)
	b = appendArray(b, "command", p.Command)
	return b
}

// ExitStatus is the status for an error of Make: the shell's 126/127 for
// a command that cannot run, else 2 (a bad flag, a grant or key that is
// not there, a malformed config: nothing ran, nothing was judged).
func ExitStatus(err error) int {
	var le *launch.Error
	if errors.As(err, &le) {
		return le.Code
	}
	return 2
}
