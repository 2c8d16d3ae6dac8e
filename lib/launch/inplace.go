package launch

import (
	"syscall"

	"github.com/nono-audit/nono/lib/sandbox"
)

// InPlace is a command ready to replace this process, confined, with
// nothing recorded (`nono wrap`, `nono run --no-audit`): no supervisor
// stays behind, so the command is one exec away. Everything that can fail
// short of the exec itself has been done, so a caller may still change
// its mind (Close) with nothing confined yet.
type InPlace struct {
	name      string
	argv, env []string
	exe       *Executable
	policy    *sandbox.Policy // nil: unconfined
	ruleset   *sandbox.Ruleset
}

// PrepareInPlace resolves argv[0] against env's PATH and cwd, and, unless
// spec is nil (unconfined), makes the command's TMPDIR (the user's own
// sandbox.UserTmpDir under tmpBase, since nothing would be left to
// remove a fresh one) and builds spec's Landlock ruleset for abi. Its
// errors are *Error, with the status a shell gives the failure.
func PrepareInPlace(argv, env []string, cwd string, spec *sandbox.Spec, abi int, tmpBase string) (*InPlace, error) {
	exe, err := Open(argv[0], LookupEnv(env, "PATH"), cwd, nil)
	if err != nil {
		return nil, err
	}
	exe.Close()
	c := &InPlace{name: argv[0], argv: argv, env: env, exe: exe}
	if spec == nil {
		return c, nil
	}
	fail := func(err error) (*InPlace, error) {
		return nil, &Error{Name: argv[0], Code: StatusCannotExecute, Err: err}
	}
	tmp, err := sandbox.UserTmpDir(tmpBase)
	if err != nil {
		return fail(err)
	}
	if c.policy, err = spec.Policy(sandbox.Executable{Path: exe.Path, Interpreter: exe.ScriptInterpreter()}, tmp); err != nil {
		return fail(err)
	}
	if c.ruleset, err = c.policy.Ruleset(abi); err != nil {
		return fail(err)
	}
	c.env = SetEnv(env, "TMPDIR", tmp)
	return c, nil
}

// Exec confines this process and replaces it with the command. It
// returns only when that failed, with an *Error.
func (c *InPlace) Exec() error {
	if c.policy == nil {
		return StartError(c.name, c.exe, syscall.Exec(c.exe.ExecPath, c.argv, c.env))
	}
	return StartError(c.name, c.exe, c.policy.Exec(c.ruleset, c.exe.ExecPath, c.argv, c.env))
}

// Env is the environment the command gets.
func (c *InPlace) Env() []string { return c.env }

// Close releases the ruleset of a command that will not be executed.
func (c *InPlace) Close() {
	if c.ruleset != nil {
		c.ruleset.Close()
	}
}

// ExecInPlace is PrepareInPlace and Exec: it returns only when the
// command could not be started.
func ExecInPlace(argv, env []string, cwd string, spec *sandbox.Spec, abi int, tmpBase string) error {
	c, err := PrepareInPlace(argv, env, cwd, spec, abi, tmpBase)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Exec()
}
