// Package nonosign is the nono-sign command: its flags and what each
// subcommand wires together. cmd/nono-sign runs Main; the end-to-end tests
// run it in-process.
package nonosign

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
)

type CLI struct {
	Keygen    keygenCmd    `cmd:"" help:"Generate an ECDSA P-256 signing key (PATH) and its public key (PATH.pub)."`
	ExportKey exportKeyCmd `cmd:"" name:"export-key" help:"Print the public key of a signing key."`
	Session   sessionCmd   `cmd:"" help:"Sign the completed session in DIR: write DIR/audit-attestation.bundle and record it in DIR/session.json."`
	Bundle    bundleCmd    `cmd:"" help:"Sign the session.json read on stdin and print the bundle on stdout (no files touched)."`
}

const description = `Generate signing keys and sign completed audit sessions.

A session is signed once, after it ended, over its final Merkle root and
context (ID, start and end times, redacted command, redaction policy, event
count, chain head). Verify with nono-verify (session or --bundle), cosign
verify-blob-attestation, or sigstore-go.

Key references: file:///ABS/PATH (base64 PKCS#8 DER as keygen writes it, or
a PEM PRIVATE KEY) and env://VAR (the same text in an environment variable).`

// trustCLI is `nono trust`: the key commands, without the signing stages
// that `nono run --audit-sign-key` calls.
type trustCLI struct {
	Keygen    keygenCmd    `cmd:"" help:"Generate an ECDSA P-256 signing key (PATH) and its public key (PATH.pub)."`
	ExportKey exportKeyCmd `cmd:"" name:"export-key" help:"Print the public key of a signing key."`
}

const trustDescription = `Signing keys for nono run --audit-sign-key.

Key references: file:///ABS/PATH (base64 PKCS#8 DER as keygen writes it, or
a PEM PRIVATE KEY) and env://VAR (the same text in an environment variable).
Verify a signed session with nono audit verify ID --public-key-file PATH.pub.`

// Main runs nono-sign with os.Args and exits. Run by the nono wrapper
// for `nono trust` (cli.ProgramEnv), it offers only the key commands.
func Main() {
	if os.Getenv(cli.ProgramEnv) == "nono trust" {
		cli.Main("nono trust", trustDescription, &trustCLI{})
	}
	cli.Main("nono-sign", description, &CLI{})
}
