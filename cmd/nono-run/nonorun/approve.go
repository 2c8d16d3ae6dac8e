package nonorun

import (
	"os"
	"path/filepath"
	"time"

	"github.com/nono-audit/nono/lib/capability"
	"github.com/nono-audit/nono/lib/cli"
)

// approveFlags are capability requests: what the command may ask for
// beyond its grants, and who answers (docs/CAPABILITY.md).
type approveFlags struct {
	Approve        string        `placeholder:"BACKEND" help:"Let the command ask for files outside its grants, each answered by BACKEND: deny, terminal, policy:FILE or exec:PROGRAM (see docs/CAPABILITY.md). Every request is recorded."`
	ApproveTimeout time.Duration `placeholder:"DURATION" help:"How long BACKEND may take to answer a request (default 60s); no answer in time is Timeout (denied)."`
}

// expansion checks the flags: nil when no --approve was given.
func (f *approveFlags) expansion(noAudit bool) (*capability.Expansion, error) {
	if f.Approve == "" {
		if f.ApproveTimeout != 0 {
			return nil, cli.Usage("--approve-timeout needs --approve")
		}
		return nil, nil
	}
	if noAudit {
		return nil, cli.Usage("--approve needs the supervisor: it cannot be used with --no-audit")
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
