package event

import (
	"testing"

	"github.com/nono-audit/nono/lib/canon"
)

func benchLines(b testing.TB, reorder bool) [][]byte {
	lines := readLines(b, "testdata/variants.ndjson")
	if reorder {
		for i, l := range lines {
			v, _ := canon.Parse(l)
			lines[i] = canon.Compact(reverseKeys(v))
		}
	}
	return lines
}

func benchCanonicalize(b *testing.B, lines [][]byte, open bool) {
	var c Canonicalizer
	var s canon.Scanner
	buf := make([]byte, 0, 4096)
	n := 0
	for _, l := range lines {
		n += len(l)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			var err error
			if open {
				s.Reset(l)
				_, err = c.AppendOpen(buf[:0], &s)
			} else {
				_, err = c.Append(buf[:0], l)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// Canonical input: the one-pass fast path.
func BenchmarkCanonicalize(b *testing.B) { benchCanonicalize(b, benchLines(b, false), false) }

// The open rules verifiers use.
func BenchmarkCanonicalizeOpen(b *testing.B) { benchCanonicalize(b, benchLines(b, false), true) }

// Every object out of order.
func BenchmarkCanonicalizeReordered(b *testing.B) { benchCanonicalize(b, benchLines(b, true), false) }
