// Command nono-chain turns audit events into alpha hash-chained records and
// appends finished sessions to the ledger.
package main

import "github.com/nono-audit/nono/lib/cli"

type CLI struct {
	Record recordCmd `cmd:"" default:"withargs" help:"Read events (one JSON object a line) on stdin, write alpha records on stdout."`
	Ledger ledgerCmd `cmd:"" help:"Append sessions to the ledger, verify it, repair a damaged tail."`
}

func main() {
	cli.Main("nono-chain", "Hash-chain audit events into alpha records; maintain the session ledger.", &CLI{})
}
