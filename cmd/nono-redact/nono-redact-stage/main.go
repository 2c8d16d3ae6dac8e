// Command nono-redact-stage is nono-redact's stage in nono run's recorder
// pipeline (nono-redact --session-header) in a program that links only
// that: every session starts it, and a smaller image is less to map, to
// initialise and to unmap. With any other arguments it execs nono-redact.
// See docs/RUN.md.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-redact/nonoredact"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonoredact.StageMain() }
