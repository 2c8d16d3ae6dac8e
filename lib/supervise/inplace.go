package supervise

import (
	"path/filepath"
	"syscall"

	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/session"
)

// ExecInPlace replaces the process with the command, confined by sb and
// with nothing recorded (`nono wrap`, `nono run --no-audit`): no
// supervisor stays behind, so the command is one exec away. Its TMPDIR is
// the user's own sandbox.UserTmpDir, since nothing is left to remove a
// fresh one. It returns only when the command could not be started.
func ExecInPlace(argv, env []string, cwd string, sb *Sandbox) error {
	exe, err := OpenExecutable(argv[0], lookupEnv(env, "PATH"), cwd, nil)
	if err != nil {
		return err
	}
	exe.Close()
	if sb.Spec == nil {
		return startError(argv[0], exe, syscall.Exec(exe.ExecPath, argv, env))
	}
	tmp, err := sandbox.UserTmpDir(sb.TmpBase)
	if err != nil {
		return &LaunchError{Name: argv[0], Code: StatusCannotExecute, Err: err}
	}
	p, err := sb.Spec.Policy(sandbox.Executable{Path: exe.Path, Interpreter: exe.ScriptInterpreter()}, tmp)
	if err != nil {
		return &LaunchError{Name: argv[0], Code: StatusCannotExecute, Err: err}
	}
	rs, err := p.Ruleset(sb.ABI)
	if err != nil {
		return &LaunchError{Name: argv[0], Code: StatusCannotExecute, Err: err}
	}
	defer rs.Close()
	return startError(argv[0], exe, p.Exec(rs, exe.ExecPath, argv, SetEnv(env, "TMPDIR", tmp)))
}

// ProtectedStores are the places no grant may reach, as getenv names
// them: the audit root (sessions and the ledger), the rollback root, and
// nono's configuration directory (redaction config, signing keys).
func ProtectedStores(getenv func(string) string) []sandbox.Store {
	var stores []sandbox.Store
	if root, err := session.AuditRoot(getenv); err == nil {
		stores = append(stores, sandbox.Store{Path: root, Name: "audit root"})
	}
	if root, err := session.RollbackRoot(getenv); err == nil {
		stores = append(stores, sandbox.Store{Path: root, Name: "rollback root"})
	}
	if cfg := session.ConfigPath(getenv); cfg != "" {
		stores = append(stores, sandbox.Store{Path: filepath.Dir(cfg), Name: "configuration directory"})
	}
	return stores
}
