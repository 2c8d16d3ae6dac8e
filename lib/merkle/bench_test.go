package merkle

import "testing"

func BenchmarkBuilderAppend(b *testing.B) {
	ls := leaves(1 << 16)
	b.SetBytes(32)
	b.ReportAllocs()
	var t Builder
	for i := 0; b.Loop(); i++ {
		t.Append(ls[i&(len(ls)-1)])
	}
	if _, ok := t.Root(); !ok {
		b.Fatal("no root")
	}
}

// One proof over a stream of 100 000 leaves: the cost is the hashing of
// the whole tree, the memory O(log n).
func BenchmarkProveInclusion100k(b *testing.B) {
	ls := leaves(100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := proveInclusion(ls, 31_337); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProveConsistency100k(b *testing.B) {
	ls := leaves(100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := proveConsistency(ls, 77_777); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyInclusion(b *testing.B) {
	ls := leaves(100_000)
	p, _ := proveInclusion(ls, 31_337)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyInclusion(p, p.LeafCount, p.MerkleRoot); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyConsistency(b *testing.B) {
	ls := leaves(100_000)
	p, _ := proveConsistency(ls, 77_777)
	b.ReportAllocs()
	for b.Loop() {
		if err := p.verifySelf(); err != nil {
			b.Fatal(err)
		}
	}
}
