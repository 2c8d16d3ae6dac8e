// Package nonoship is the nono-ship command: it sends finished sessions
// off the machine with audit-delivery v1 (`nono audit export`, `nono
// audit sync`, `nono audit status` and `nono platform
// enroll|status|unenroll`). cmd/nono-ship runs Main; the end-to-end tests
// run it in-process.
package nonoship

import (
	"errors"
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/platform"
	"github.com/nono-audit/nono/lib/stores"
)

type CLI struct {
	Export     exportCmd     `cmd:"" help:"Print a session's envelope: the whole session, self-contained, verifiable with nono-verify envelope."`
	Enroll     enrollCmd     `cmd:"" help:"Enroll this machine with an audit receiver (nono-collect or upstream's platform)."`
	Enrollment enrollmentCmd `cmd:"" help:"Show this machine's enrollment."`
	Unenroll   unenrollCmd   `cmd:"" help:"Forget the enrollment (the receiver keeps the subject until its operator revokes it)."`
	Sync       syncCmd       `cmd:"" help:"Queue every finished, verified session without a receipt, and deliver the outbox."`
	Status     statusCmd     `cmd:"" help:"Each session's delivery state: delivered (with its receipt), pending, failed (why), unsent, not shippable."`
	Witness    witnessCmd    `cmd:"" help:"Have the receiver witness the ledger's latest checkpoint: it co-signs it only if it extends the one it holds."`
}

const description = `Ship finished sessions to an audit receiver (audit-delivery v1).

The enrollment (platform.json), the device key (platform.key, 0600) and the
outbox (audit-outbox/) live in $XDG_STATE_HOME/nono, else ~/.nono; never in
a project. Exit status: 0 done, 1 something was refused, failed or does not
verify, 2 usage or I/O errors.`

// auditCLI is what `nono audit` runs here: delivery and witnessing.
type auditCLI struct {
	Export  exportCmd  `cmd:"" help:"Print a session's envelope: the whole session, self-contained, verifiable with nono-verify envelope."`
	Sync    syncCmd    `cmd:"" help:"Queue every finished, verified session without a receipt, and deliver the outbox."`
	Status  statusCmd  `cmd:"" help:"Each session's delivery state: delivered (with its receipt), pending, failed (why), unsent, not shippable."`
	Witness witnessCmd `cmd:"" help:"Have the receiver witness the ledger's latest checkpoint: it co-signs it only if it extends the one it holds."`
}

// platformCLI is `nono platform`: the enrollment, whose `status` is
// nono-ship's `enrollment`.
type platformCLI struct {
	Enroll     enrollCmd     `cmd:"" help:"Enroll this machine with an audit receiver (nono-collect or upstream's platform)."`
	Enrollment enrollmentCmd `cmd:"" name:"status" help:"Show this machine's enrollment."`
	Unenroll   unenrollCmd   `cmd:"" help:"Forget the enrollment (the receiver keeps the subject until its operator revokes it)."`
}

const platformDescription = `This machine's enrollment with an audit receiver (audit-delivery v1).

The enrollment (platform.json) and the device key (platform.key, 0600) live
in $XDG_STATE_HOME/nono, else ~/.nono; never in a project.`

// Main runs nono-ship with os.Args and exits. Run by the nono wrapper
// for `nono audit` or `nono platform` (cli.ProgramEnv), it speaks as that
// command and offers only its subcommands.
func Main() {
	switch os.Getenv(cli.ProgramEnv) {
	case "nono audit":
		cli.Main("nono audit", description, &auditCLI{})
	case "nono platform":
		cli.Main("nono platform", platformDescription, &platformCLI{})
	}
	cli.Main("nono-ship", description, &CLI{})
}

// paths locates the enrollment files.
func paths() (platform.Paths, error) {
	p, err := platform.Locate(os.Getenv)
	if err != nil {
		return p, cli.Unusable(err)
	}
	return p, nil
}

// auditRoot is where sessions are recorded.
func auditRoot() (string, error) {
	root, err := stores.AuditRoot(os.Getenv)
	if err != nil {
		return "", cli.Unusable(err)
	}
	return root, nil
}

// notEnrolled maps the missing enrollment to a usage error.
func notEnrolled(err error) error {
	if errors.Is(err, platform.ErrNotEnrolled) {
		return cli.Usage("%v", err)
	}
	return cli.Unusable(err)
}
