// Command nono-merkle-stage is nono-merkle's stage in nono run's
// recorder pipeline (nono-merkle session --session-header) in a program
// that links only that: every session starts it, and a smaller image is
// less to map, to initialise and to unmap. With any other arguments it
// execs nono-merkle.
// See docs/RUN.md.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-merkle/nonomerkle"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonomerkle.StageMain() }
