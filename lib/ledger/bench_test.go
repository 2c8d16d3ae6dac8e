package ledger

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeLedger writes a valid ledger of n records.
func writeLedger(b *testing.B, root string, n int) {
	var buf bytes.Buffer
	var prev *Record
	for i := range n {
		rec, err := newRecord(prev, testSession(fmt.Sprintf("old-%06d", i)))
		if err != nil {
			b.Fatal(err)
		}
		buf.Write(rec.Encode())
		buf.WriteByte('\n')
		prev = rec
	}
	if err := os.WriteFile(filepath.Join(root, FileName), buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
}

// Appending to a ledger of 100 000 sessions: the last record is read from
// the end; the duplicate check is one byte search over the file.
func BenchmarkAppend100k(b *testing.B) {
	root := b.TempDir()
	writeLedger(b, root, 100_000)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := Append(root, testSession(fmt.Sprintf("new-%06d", i)), time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify100k(b *testing.B) {
	root := b.TempDir()
	writeLedger(b, root, 100_000)
	s := testSession("old-050000")
	b.ResetTimer()
	for b.Loop() {
		res, err := Verify(root, s)
		if err != nil || !res.OK() {
			b.Fatal(res, err)
		}
	}
}
