// Command nono-ship sends finished sessions off the machine with
// audit-delivery v1: `nono audit export|sync|status` and `nono platform
// enroll|status|unenroll`.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-ship/nonoship"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonoship.Main() }
