// Package nonomerkle is the nono-merkle command: its flags and what each
// subcommand wires together. cmd/nono-merkle runs Main; the end-to-end tests
// run it in-process.
package nonomerkle

import "github.com/nono-audit/nono/lib/cli"

type CLI struct {
	Summary     summaryCmd     `cmd:"" default:"withargs" help:"Verify records (stdin or FILE) and print the integrity summary line."`
	Proof       proofCmd       `cmd:"" help:"Print the inclusion proof of one leaf."`
	Consistency consistencyCmd `cmd:"" help:"Print the consistency proof from the first --old-size leaves to all of them."`
	Session     sessionCmd     `cmd:"" help:"Verify a session's event log and set audit_event_count and audit_integrity in its session.json."`
	FS          fsCmd          `cmd:"" name:"fs" help:"Hash files under tracked roots and print the filesystem Merkle root."`
}

// Main runs nono-merkle with os.Args and exits.
func Main() {
	cli.Main("nono-merkle", "Merkle roots, inclusion and consistency proofs over audit records; filesystem roots.", &CLI{})
}
