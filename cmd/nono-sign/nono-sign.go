// Command nono-sign makes signing keys and signs completed audit sessions:
// an in-toto statement about the session in a DSSE envelope, stored as a
// sigstore bundle (upstream nono's audit-attestation.bundle).
package main

import (
	"github.com/nono-audit/nono/cmd/nono-sign/nonosign"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonosign.Main() }
