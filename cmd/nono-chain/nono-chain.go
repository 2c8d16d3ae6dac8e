// Command nono-chain turns audit events into alpha hash-chained records and
// appends finished sessions to the ledger.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-chain/nonochain"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonochain.Main() }
