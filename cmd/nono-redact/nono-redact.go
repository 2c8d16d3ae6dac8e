// Command nono-redact scrubs secrets from audit events on their way to the
// log: the recorded command, URLs, network and credential-capture fields,
// capability-decision reasons and command-policy displays. Every other
// byte of a line passes through unchanged.
//
//	nono-run -- make test 3>&1 >&2 | nono-redact | nono-chain > audit-events.ndjson
package main

import (
	"github.com/nono-audit/nono/cmd/nono-redact/nonoredact"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonoredact.Main() }
