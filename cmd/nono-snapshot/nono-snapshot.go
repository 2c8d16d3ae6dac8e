// Command nono-snapshot takes the filesystem snapshots of a session
// (--audit-integrity and --rollback) and implements `nono rollback`:
// list, show, restore, verify and cleanup of rollback sessions.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-snapshot/nonosnapshot"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonosnapshot.Main() }
