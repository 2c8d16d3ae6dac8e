// Command nono-merkle computes Merkle roots and proofs over audit records,
// and filesystem tree roots.
//
// Records are verified (chain.Verify) before any root or proof is printed.
// Exit status: 0 done, 1 invalid input (a bad record or leaf line), 2 usage
// or I/O error.
package main

import "github.com/nono-audit/nono/lib/cli"

type CLI struct {
	Summary     summaryCmd     `cmd:"" default:"withargs" help:"Verify records (stdin or FILE) and print the integrity summary line."`
	Proof       proofCmd       `cmd:"" help:"Print the inclusion proof of one leaf."`
	Consistency consistencyCmd `cmd:"" help:"Print the consistency proof from the first --old-size leaves to all of them."`
	Session     sessionCmd     `cmd:"" help:"Verify a session's event log and set audit_event_count and audit_integrity in its session.json."`
	FS          fsCmd          `cmd:"" name:"fs" help:"Hash files under tracked roots and print the filesystem Merkle root."`
}

func main() {
	cli.Main("nono-merkle", "Merkle roots, inclusion and consistency proofs over audit records; filesystem roots.", &CLI{})
}
