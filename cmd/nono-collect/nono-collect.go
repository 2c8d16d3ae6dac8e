// Command nono-collect receives sessions shipped with audit-delivery v1
// and keeps them, verified, in an S3 bucket with Object Lock.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-collect/nonocollect"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonocollect.Main() }
