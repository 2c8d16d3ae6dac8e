package supervise

import (
	"syscall"

	"github.com/nono-audit/nono/lib/sandbox"
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
