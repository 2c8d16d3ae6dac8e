// Command nono-verify checks audit records, proofs, sessions and bundles.
// Exit status: 0 valid, 1 invalid, 2 usage or I/O error.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-verify/nonoverify"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonoverify.Main() }
