// Package nonoaudit is the nono-audit command: its flags and what each
// subcommand wires together. cmd/nono-audit runs Main; the end-to-end tests
// run it in-process.
package nonoaudit

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/session"
)

type CLI struct {
	List    listCmd    `cmd:"" help:"List recorded sessions, grouped by project, newest first."`
	Show    showCmd    `cmd:"" help:"Show one session: metadata, events, filesystem changes, attestation."`
	Cleanup cleanupCmd `cmd:"" help:"Remove old session records (never the ledger, rollback snapshots or running sessions)."`
	Tail    tailCmd    `cmd:"" help:"Print a session's events as they are recorded, verifying the chain as it goes."`
}

const description = `Browse and clean up recorded audit sessions.

Sessions live under $NONO_AUDIT_DIR, else $XDG_STATE_HOME/nono/audit, else
~/.nono/audit (and rollback sessions under .../nono/rollbacks).

Related commands:
  nono audit verify ID         check a session's log, ledger entry and
                               signature (nono-verify session ID)
  nono audit ledger repair     rebuild a damaged ledger (nono-chain ledger repair)`

// auditDescription is the description of `nono audit`, which speaks of
// nono's commands only.
const auditDescription = `Browse, verify and clean up recorded audit sessions.

Sessions live under $NONO_AUDIT_DIR, else $XDG_STATE_HOME/nono/audit, else
~/.nono/audit (and rollback sessions under .../nono/rollbacks).

Related commands:
  nono audit verify ID         check a session's log, ledger entry and signature
  nono audit ledger verify     check the ledger and that it names every finished session
  nono audit ledger repair     set a damaged ledger tail aside
  nono audit checkpoint        sign a checkpoint of the ledger (C2SP tlog-checkpoint)
  nono audit prove ID          the proof that a session is in a checkpoint
  nono audit consistency --from N
                               the proof that the ledger extends an older checkpoint`

// Main runs nono-audit with os.Args and exits. Run by the nono wrapper
// for `nono audit` (cli.ProgramEnv), it speaks as that command.
func Main() {
	os.Args = session.NewestArgs(os.Args) // a session ID of -1: the newest, not a flag
	if os.Getenv(cli.ProgramEnv) == "nono audit" {
		cli.Main("nono audit", auditDescription, &CLI{})
	}
	cli.Main("nono-audit", description, &CLI{})
}

// store is the session store of the environment.
func store() (*session.Store, error) { return session.Open(os.Getenv) }
