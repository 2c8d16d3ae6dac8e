// Command nono-chain turns audit events into alpha hash-chained records and
// appends finished sessions to the ledger.
package main

import "github.com/nono-audit/nono/cmd/nono-chain/nonochain"

func main() { nonochain.Main() }
