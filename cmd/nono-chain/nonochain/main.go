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
}

// Main runs nono-chain with os.Args and exits. Run by the nono wrapper for
// `nono audit ledger` (cli.ProgramEnv "nono audit"), it is that command
// alone, named so.
func Main() {
	if os.Getenv(cli.ProgramEnv) == "nono audit" {
		cli.Main("nono audit", "The global ledger of finished sessions.", &auditLedger{})
	}
	cli.Main("nono-chain", "Hash-chain audit events into alpha records; maintain the session ledger.", &CLI{})
}
