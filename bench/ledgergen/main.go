// Command ledgergen writes a ledger of -n records (sessions that exist
// only in the ledger) to stdout, for timing the ledger's checkpoints and
// proofs: record i commits to session bench-%012d.
package main

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
)

func main() {
	n := flag.Int("n", 100000, "records")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var prev *ledger.Record
	for i := range *n {
		id := fmt.Sprintf("bench-%012d", i)
		r := &ledger.Record{
			SessionID:     id,
			SessionDigest: merkle.Hash(sha256.Sum256([]byte(id))),
			CompletedAt:   event.FormatTime(start.Add(time.Duration(i) * time.Second)),
		}
		if prev != nil {
			h := prev.ChainHash
			r.Sequence, r.PrevChain = prev.Sequence+1, &h
		}
		r.ChainHash = r.Link()
		w.Write(r.Encode())
		w.WriteByte('\n')
		prev = r
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "ledgergen:", err)
		os.Exit(1)
	}
}
