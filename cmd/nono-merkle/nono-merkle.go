// Command nono-merkle computes Merkle roots and proofs over audit records,
// and filesystem tree roots.
//
// Records are verified (chain.Verify) before any root or proof is printed.
// Exit status: 0 done, 1 invalid input (a bad record or leaf line), 2 usage
// or I/O error.
package main

import (
	"github.com/nono-audit/nono/cmd/nono-merkle/nonomerkle"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { nonomerkle.Main() }
