// Command nono-audit browses and cleans up recorded audit sessions: the
// `nono audit list`, `nono audit show` and `nono audit cleanup` commands.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-audit/nonoaudit"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonoaudit.Main() }
