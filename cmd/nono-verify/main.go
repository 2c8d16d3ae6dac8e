// Command nono-verify checks audit records, proofs, sessions and bundles.
// Exit status: 0 valid, 1 invalid, 2 usage or I/O error.
package main

import "github.com/nono-audit/nono/lib/cli"

type CLI struct {
	Records recordsCmd `cmd:"" default:"withargs" help:"Verify alpha records from FILE or stdin, optionally against pinned totals, proofs or a bundle."`
	Session sessionCmd `cmd:"" help:"Verify a recorded session: its log, the ledger and its attestation."`
}

func main() {
	cli.Main("nono-verify", "Verify audit records, proofs, sessions and attestation bundles.", &CLI{})
}
