package event

import (
	"testing"

	"github.com/nono-audit/nono/lib/canon"
)

func benchLines(b *testing.B, reorder bool) [][]byte {
	lines := readLines(b, "testdata/variants.ndjson")
	if reorder {
		for i, l := range lines {
			v, _ := canon.Parse(l)
			lines[i] = canon.Compact(reverseKeys(v))
		}
	}
	return lines
}

func benchCanonicalize(b *testing.B, lines [][]byte, typed bool) {
	var c Canonicalizer
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
			if typed {
				_, err = c.AppendTyped(buf[:0], l)
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

// The typed view verifiers use.
func BenchmarkCanonicalizeTyped(b *testing.B) { benchCanonicalize(b, benchLines(b, false), true) }

// Every object out of order: the general path.
func BenchmarkCanonicalizeReordered(b *testing.B) { benchCanonicalize(b, benchLines(b, true), false) }

func BenchmarkAppendUnquoted(b *testing.B) {
	var quoted [][]byte
	n := 0
	for _, l := range benchLines(b, false) {
		q := canon.AppendString(nil, string(l))
		quoted = append(quoted, q)
		n += len(q)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		for _, q := range quoted {
			if _, _, err := AppendUnquoted(buf[:0], q); err != nil {
				b.Fatal(err)
			}
		}
	}
}
