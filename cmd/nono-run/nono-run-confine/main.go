// Command nono-run-confine is the confining copy of a nono-run session as
// a program of its own: nono-run starts it, with lib/confine's argv, to
// enforce the command's Landlock ruleset and exec the command. It holds
// nothing but lib/confine, so it starts in about two thirds of the time
// nono-run's own 15 MB would, on the critical path of every session; on
// linux/amd64 the Makefile links it with its entry point at lib/confine's
// assembly (-ldflags=-E=, confine.EntrySymbol), which execs the command
// before the Go runtime starts at all.
// Installed beside nono-run; without it nono-run runs itself as the copy.
// It is not a command to run by hand.
package main

import (
	"github.com/nono-audit/nono/lib/confine"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { confine.Main() }
