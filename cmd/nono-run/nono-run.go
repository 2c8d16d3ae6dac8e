// Command nono-run is the trusted supervisor of `nono run`: it runs one
// command inside a Landlock sandbox with the terminal, signals and job
// control working, records what ran (the hash of what the kernel
// executed), and emits the session's raw audit events on a file
// descriptor for nono-redact | nono-chain.
//
//	nono-run [FLAGS] [--session-dir DIR] -- COMMAND [ARG...]
//	nono-run plan [NONO RUN FLAGS] -- COMMAND [ARG...]
//	nono-run wrap [FLAGS] -- COMMAND [ARG...]
//
// See docs/RUN.md and docs/SANDBOX.md.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-run/nonorun"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonorun.Main() }
