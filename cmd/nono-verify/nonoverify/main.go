// Package nonoverify is the nono-verify command: its flags and what each
// subcommand wires together. cmd/nono-verify runs Main; the end-to-end tests
// run it in-process.
package nonoverify

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/session"
)

type CLI struct {
	Records    recordsCmd    `cmd:"" default:"withargs" help:"Verify alpha records from FILE or stdin, optionally against pinned totals, proofs or a bundle."`
	Session    sessionCmd    `cmd:"" help:"Verify a recorded session: its log, the ledger and its attestation."`
	Envelope   envelopeCmd   `cmd:"" help:"Verify a session envelope (nono audit export, nono-collect) with nothing else."`
	S3         s3Cmd         `cmd:"" name:"s3" help:"Verify every session nono-collect stored in an S3 bucket."`
	Checkpoint checkpointCmd `cmd:"" help:"Verify signed ledger checkpoints, consistency and inclusion proofs against them, or witness a checkpoint."`
}

// auditVerifyHelp is the description of `nono audit verify`.
const auditVerifyHelp = `Verify a recorded session: its log against session.json, the ledger entry,
the attestation and the committed snapshots.

Exit status: 0 verified, 1 something does not verify (each problem is
named), 2 the session cannot be found or read.`

// Main runs nono-verify with os.Args and exits. Run by the nono wrapper
// for `nono audit verify` (cli.ProgramEnv), it is that command alone.
func Main() {
	os.Args = session.NewestArgs(os.Args) // a session ID of -1: the newest, not a flag
	if os.Getenv(cli.ProgramEnv) == "nono audit verify" {
		cli.Main("nono audit verify", auditVerifyHelp, &sessionCmd{})
	}
	cli.Main("nono-verify", "Verify audit records, proofs, sessions and attestation bundles.", &CLI{})
}
