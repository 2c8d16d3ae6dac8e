// Package nonochain is the nono-chain command: its flags and what each
// subcommand wires together. cmd/nono-chain runs Main; the end-to-end tests
// run it in-process.
package nonochain

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
)

type CLI struct {
	Record recordCmd `cmd:"" default:"withargs" help:"Read events (one JSON object a line) on stdin, write alpha records on stdout."`
	Ledger ledgerCmd `cmd:"" help:"Append sessions to the ledger, verify it, repair a damaged tail."`
}

// auditLedger is the ledger alone, as `nono audit ledger`.
type auditLedger struct {
	Ledger ledgerCmd `cmd:"" help:"The ledger of finished sessions: append one, verify it, repair a damaged tail."`

	// `nono audit checkpoint|prove|consistency`, as the wrapper offers them.
	Checkpoint  ledgerCheckpointCmd  `cmd:"" help:"Sign a checkpoint of the ledger (C2SP tlog-checkpoint) and keep it beside the ledger as the latest."`
	Prove       ledgerProveCmd       `cmd:"" help:"Print the proof that a session's ledger record is in a checkpoint."`
	Consistency ledgerConsistencyCmd `cmd:"" help:"Print the proof that the ledger's first N records are a prefix of a checkpoint's tree."`
}

// Main runs nono-chain with os.Args and exits. Run by the nono wrapper for
// `nono audit ledger|checkpoint|prove|consistency` (cli.ProgramEnv "nono
// audit"), it is those commands alone, named so.
func Main() {
	if os.Getenv(cli.ProgramEnv) == "nono audit" {
		cli.Main("nono audit", "The global ledger of finished sessions.", &auditLedger{})
	}
	cli.Main("nono-chain", "Hash-chain audit events into alpha records; maintain the session ledger.", &CLI{})
}
