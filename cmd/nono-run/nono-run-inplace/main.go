// Command nono-run-inplace is `nono run --no-audit` in a program that
// links nothing but the sandbox (lib/inplace): the nono wrapper execs it
// with nono run's arguments, and it confines itself and execs the
// command, or, for any flag or condition it does not take, execs
// `nono-run record` with the same arguments. Installed beside nono-run;
// without it the wrapper runs nono-run. It is not a command to run by
// hand.
package main

import (
	"os"

	"github.com/nono-audit/nono/lib/inplace"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"

	// As lib/cli does for the other tools: the heap on huge pages, the
	// main stack grown once.
	_ "github.com/nono-audit/nono/lib/hugeheap"
	_ "github.com/nono-audit/nono/lib/mainstack"
)

func main() { os.Exit(inplace.Main(os.Args[1:])) }
