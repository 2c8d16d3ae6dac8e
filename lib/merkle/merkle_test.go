package merkle

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"
)

// leaves returns n distinct pseudo-random leaf hashes.
func leaves(n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		out[i] = sha256.Sum256(b[:])
	}
	return out
}

// naiveRoot pairs neighbours level by level, promoting a lone last node:
// the definition in the format's own words.
func naiveRoot(level []Hash) Hash {
	for len(level) > 1 {
		var next []Hash
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
			} else {
				next = append(next, nodeHash(level[i], level[i+1]))
			}
		}
		level = next
	}
	return level[0]
}

// naiveInclusion collects the siblings level by level.
func naiveInclusion(level []Hash, i int) []Sibling {
	var out []Sibling
	for len(level) > 1 {
		switch {
		case i%2 == 1:
			out = append(out, Sibling{Left: true, Hash: level[i-1]})
		case i+1 < len(level):
			out = append(out, Sibling{Hash: level[i+1]})
		}
		var next []Hash
		for j := 0; j < len(level); j += 2 {
			if j+1 == len(level) {
				next = append(next, level[j])
			} else {
				next = append(next, nodeHash(level[j], level[j+1]))
			}
		}
		level, i = next, i/2
	}
	return out
}

// largestPow2Below is RFC 9162's k for n > 1.
func largestPow2Below(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// mth is RFC 9162's MTH over already-hashed leaves.
func mth(d []Hash) Hash {
	if len(d) == 1 {
		return d[0]
	}
	k := largestPow2Below(len(d))
	return nodeHash(mth(d[:k]), mth(d[k:]))
}

// subproof is RFC 9162 §2.1.4.1's SUBPROOF(m, D[n], b).
func subproof(m int, d []Hash, b bool) []Hash {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		return []Hash{mth(d)}
	}
	k := largestPow2Below(n)
	if m <= k {
		return append(subproof(m, d[:k], b), mth(d[k:]))
	}
	return append(subproof(m-k, d[k:], false), mth(d[:k]))
}

func TestBuilderMatchesNaive(t *testing.T) {
	ls := leaves(300)
	var b Builder
	if _, ok := b.Root(); ok {
		t.Fatal("empty builder has a root")
	}
	for n := 1; n <= 300; n++ {
		b.Append(ls[n-1])
		got, ok := b.Root()
		want := naiveRoot(ls[:n])
		if !ok || got != want {
			t.Fatalf("n=%d: root %x, want %x", n, got, want)
		}
		if rfc := mth(ls[:n]); rfc != want {
			t.Fatalf("n=%d: RFC shape differs from level-by-level", n)
		}
		if b.Size() != uint64(n) {
			t.Fatalf("size %d, want %d", b.Size(), n)
		}
		if len(b.stack) > 9 {
			t.Fatalf("n=%d: stack of %d hashes", n, len(b.stack))
		}
	}
	if got, _ := b.Root(); got != naiveRoot(ls) {
		t.Fatal("Root changed the builder")
	}
	if r, ok := Root(ls[:1]); !ok || r != ls[0] {
		t.Fatal("one leaf: root must be the leaf")
	}
	if _, ok := Root(nil); ok {
		t.Fatal("no leaves: no root")
	}
}

func TestInclusionMatchesNaive(t *testing.T) {
	ls := leaves(70)
	for n := 1; n <= len(ls); n++ {
		root := naiveRoot(ls[:n])
		for i := 0; i < n; i++ {
			p, err := proveInclusion(ls[:n], uint64(i))
			if err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			want := naiveInclusion(ls[:n], i)
			if p.LeafHash != ls[i] || p.MerkleRoot != root || p.LeafCount != uint64(n) || len(p.Siblings) != len(want) {
				t.Fatalf("n=%d i=%d: proof %+v, want siblings %+v", n, i, p, want)
			}
			for k := range want {
				if p.Siblings[k] != want[k] {
					t.Fatalf("n=%d i=%d: sibling %d differs", n, i, k)
				}
			}
			if err := VerifyInclusion(p, uint64(n), root); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
		}
		if _, err := proveInclusion(ls[:n], uint64(n)); err == nil {
			t.Fatalf("n=%d: proof for index n", n)
		}
	}
}

func TestConsistencyMatchesRFC(t *testing.T) {
	ls := leaves(70)
	for n := 1; n <= len(ls); n++ {
		for m := 1; m <= n; m++ {
			p, err := proveConsistency(ls[:n], uint64(m))
			if err != nil {
				t.Fatalf("m=%d n=%d: %v", m, n, err)
			}
			var want []Hash
			if m < n {
				want = subproof(m, ls[:n], true)
			}
			if len(p.Path) != len(want) {
				t.Fatalf("m=%d n=%d: path of %d, want %d", m, n, len(p.Path), len(want))
			}
			for k := range want {
				if p.Path[k] != want[k] {
					t.Fatalf("m=%d n=%d: path[%d] differs", m, n, k)
				}
			}
			if p.OldRoot != naiveRoot(ls[:m]) || p.NewRoot != naiveRoot(ls[:n]) {
				t.Fatalf("m=%d n=%d: wrong roots", m, n)
			}
			if err := VerifyConsistency(p, uint64(m), p.OldRoot, uint64(n), p.NewRoot); err != nil {
				t.Fatalf("m=%d n=%d: %v", m, n, err)
			}
		}
	}
	if _, err := proveConsistency(ls[:3], 0); err == nil {
		t.Fatal("old size 0 accepted")
	}
	if _, err := proveConsistency(ls[:3], 4); err == nil {
		t.Fatal("old size beyond the tree accepted")
	}
}

type alphaVectors struct {
	InclusionProof struct {
		LeafHashes []string        `json:"leaf_hashes"`
		LeafIndex  uint64          `json:"leaf_index"`
		Proof      json.RawMessage `json:"proof"`
	} `json:"inclusion_proof"`
}

func TestGoldenInclusionVector(t *testing.T) {
	data, err := os.ReadFile(vectors.Path("audit_alpha_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v alphaVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var ls []Hash
	for _, s := range v.InclusionProof.LeafHashes {
		h, err := ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, h)
	}
	p, err := proveInclusion(ls, v.InclusionProof.LeafIndex)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"leaf_index":2,"leaf_count":5,"leaf_hash":"` + strings.Repeat("03", 32) +
		`","merkle_root":"87f9319b8dbb3d3fd55d419aabf3c218aafd2dfd82d5e30fb22e8e89c10c0160","siblings":[` +
		`{"direction":"right","hash":"` + strings.Repeat("04", 32) + `"},` +
		`{"direction":"left","hash":"85fb11ff61817c3aa118af30f054a3ea63c042902722cf8ae35e704fff9624fe"},` +
		`{"direction":"right","hash":"` + strings.Repeat("05", 32) + `"}]}`
	if got := string(p.Encode()); got != want {
		t.Fatalf("proof\n got %s\nwant %s", got, want)
	}
	// The fixture's pretty form parses to the same proof.
	parsed, err := ParseInclusionProof(v.InclusionProof.Proof)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(parsed.Encode(), []byte(want)) {
		t.Fatal("parsed fixture re-encodes differently")
	}
	if err := parsed.verifySelf(); err != nil {
		t.Fatal(err)
	}
	// Every proof of the 5 leaves verifies; a tampered leaf fails.
	root, _ := Root(ls)
	for i := range ls {
		p, _ := proveInclusion(ls, uint64(i))
		if err := VerifyInclusion(p, 5, root); err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
		p.LeafHash[0] ^= 1
		if err := p.verifySelf(); err == nil {
			t.Fatalf("index %d: tampered leaf verified", i)
		}
	}
}

// The two leaves of the worked example in the format description.
func TestWorkedExampleRoot(t *testing.T) {
	a, _ := ParseHash("118606646c252d62d6e7641d45ffeb36101894173ba0b4e9050596cc06081cb4")
	b, _ := ParseHash("650135c01bafcc4bef46156f5b485e65473fa79eb04e8ee197136c528759ad94")
	root, ok := Root([]Hash{a, b})
	if !ok || Hex(root) != "8ba557ee65c2bb7b7bc0552b13ceac5fe9ef8ed3afc331eba4f74a4e3a03bf6d" {
		t.Fatalf("root %x", root)
	}
}

func TestParseHash(t *testing.T) {
	lower := strings.Repeat("ab", 32)
	for _, s := range []string{lower, strings.ToUpper(lower), "aB" + lower[2:]} {
		h, err := ParseHash(s)
		if err != nil || Hex(h) != lower {
			t.Fatalf("%q: %x %v", s, h, err)
		}
	}
	for _, s := range []string{"", lower[:62], lower + "ab", "+b" + lower[2:], " " + lower[1:],
		"0x" + lower[2:], "gg" + lower[2:], lower[:63] + "\x00", strings.Repeat("é", 32)} {
		if _, err := ParseHash(s); err == nil {
			t.Fatalf("%q accepted", s)
		}
	}
}

// Property: for random trees, every sampled proof verifies, and any single
// change to a proof makes it fail.
func TestProofProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ls := leaves(2000)
	for range 150 {
		n := 1 + rng.IntN(2000)
		root, _ := Root(ls[:n])
		i := uint64(rng.IntN(n))
		p, err := proveInclusion(ls[:n], i)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(p, uint64(n), root); err != nil {
			t.Fatalf("n=%d i=%d: %v", n, i, err)
		}
		for _, bad := range inclusionMutations(p, rng) {
			if VerifyInclusion(bad.p, uint64(n), root) == nil {
				t.Fatalf("n=%d i=%d: mutated proof verified: %s", n, i, bad.p.Encode())
			}
			if bad.self && bad.p.verifySelf() == nil {
				t.Fatalf("n=%d i=%d: mutated proof is self-consistent: %s", n, i, bad.p.Encode())
			}
		}

		m := uint64(1 + rng.IntN(n))
		c, err := proveConsistency(ls[:n], m)
		if err != nil {
			t.Fatal(err)
		}
		oldRoot, _ := Root(ls[:m])
		if err := VerifyConsistency(c, m, oldRoot, uint64(n), root); err != nil {
			t.Fatalf("m=%d n=%d: %v", m, n, err)
		}
		for _, bad := range consistencyMutations(c, rng) {
			if VerifyConsistency(bad.p, m, oldRoot, uint64(n), root) == nil {
				t.Fatalf("m=%d n=%d: mutated proof verified: %s", m, n, bad.p.Encode())
			}
			if bad.self && bad.p.verifySelf() == nil {
				t.Fatalf("m=%d n=%d: mutated proof is self-consistent: %s", m, n, bad.p.Encode())
			}
		}
		// A tree that differs in one old leaf is not consistent.
		if m < uint64(n) {
			forged := append([]Hash(nil), ls[:n]...)
			forged[rng.IntN(int(m))][0] ^= 0x80
			forgedRoot, _ := Root(forged)
			if VerifyConsistency(c, m, oldRoot, uint64(n), forgedRoot) == nil {
				t.Fatalf("m=%d n=%d: proof verified against a forged new root", m, n)
			}
		}
	}
}

func flipBit(h *Hash, rng *rand.Rand) {
	bit := rng.IntN(256)
	h[bit/8] ^= 1 << (bit % 8)
}

func cloneInclusion(p *InclusionProof) *InclusionProof {
	q := *p
	q.Siblings = append([]Sibling(nil), p.Siblings...)
	return &q
}

// mutation is a changed proof; self is true when the change must be
// caught even without pinning the count and root (sizes alone cannot be:
// a tree of another size can share the path's shape).
type mutation[P any] struct {
	p    P
	self bool
}

func inclusionMutations(p *InclusionProof, rng *rand.Rand) []mutation[*InclusionProof] {
	var out []mutation[*InclusionProof]
	self := true
	add := func(f func(q *InclusionProof)) {
		q := cloneInclusion(p)
		f(q)
		out = append(out, mutation[*InclusionProof]{q, self})
	}
	add(func(q *InclusionProof) { flipBit(&q.LeafHash, rng) })
	add(func(q *InclusionProof) { flipBit(&q.MerkleRoot, rng) })
	add(func(q *InclusionProof) { q.LeafIndex ^= 1 << rng.IntN(11) })
	for k := range p.Siblings {
		add(func(q *InclusionProof) { flipBit(&q.Siblings[k].Hash, rng) })
		add(func(q *InclusionProof) { q.Siblings[k].Left = !q.Siblings[k].Left })
	}
	add(func(q *InclusionProof) { q.Siblings = append(q.Siblings, Sibling{}) })
	if len(p.Siblings) > 0 {
		add(func(q *InclusionProof) { q.Siblings = q.Siblings[:len(q.Siblings)-1] })
	}
	self = false
	add(func(q *InclusionProof) { q.LeafCount++ })
	add(func(q *InclusionProof) { q.LeafCount-- })
	return out
}

func consistencyMutations(p *ConsistencyProof, rng *rand.Rand) []mutation[*ConsistencyProof] {
	var out []mutation[*ConsistencyProof]
	self := false
	add := func(f func(q *ConsistencyProof)) {
		q := *p
		q.Path = append([]Hash(nil), p.Path...)
		f(&q)
		out = append(out, mutation[*ConsistencyProof]{&q, self})
	}
	add(func(q *ConsistencyProof) { q.OldSize ^= 1 << rng.IntN(11) })
	add(func(q *ConsistencyProof) { q.NewSize ^= 1 << rng.IntN(11) })
	add(func(q *ConsistencyProof) { q.NewSize++ })
	self = true
	add(func(q *ConsistencyProof) { flipBit(&q.OldRoot, rng) })
	add(func(q *ConsistencyProof) { flipBit(&q.NewRoot, rng) })
	for k := range p.Path {
		add(func(q *ConsistencyProof) { flipBit(&q.Path[k], rng) })
	}
	add(func(q *ConsistencyProof) { q.Path = append(q.Path, Hash{}) })
	if len(p.Path) > 0 {
		add(func(q *ConsistencyProof) { q.Path = q.Path[:len(q.Path)-1] })
	}
	return out
}

// A derived vector over the golden leaves 01…05, for other
// implementations of the consistency proof: 3 → 5 and 4 → 5.
func TestConsistencyVector(t *testing.T) {
	var ls []Hash
	for i := 1; i <= 5; i++ {
		var h Hash
		for k := range h {
			h[k] = byte(i)
		}
		ls = append(ls, h)
	}
	for _, tc := range []struct {
		m    uint64
		want string
	}{
		{3, `{"old_size":3,"new_size":5,"old_root":"71832662ca70e7f9ee879d473dc6d97c0939a609c20cf54b26c5ade25616c414","new_root":"87f9319b8dbb3d3fd55d419aabf3c218aafd2dfd82d5e30fb22e8e89c10c0160","path":["` +
			strings.Repeat("03", 32) + `","` + strings.Repeat("04", 32) + `","85fb11ff61817c3aa118af30f054a3ea63c042902722cf8ae35e704fff9624fe","` + strings.Repeat("05", 32) + `"]}`},
		{4, `{"old_size":4,"new_size":5,"old_root":"124696eebf629003282be8b5d127130b55654ca3f8b2c171f2a9ceafaff79cf0","new_root":"87f9319b8dbb3d3fd55d419aabf3c218aafd2dfd82d5e30fb22e8e89c10c0160","path":["` +
			strings.Repeat("05", 32) + `"]}`},
	} {
		p, err := proveConsistency(ls, tc.m)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(p.Encode()); got != tc.want {
			t.Fatalf("%d → 5:\n got %s\nwant %s", tc.m, got, tc.want)
		}
		parsed, err := ParseConsistencyProof([]byte(tc.want))
		if err != nil || parsed.verifySelf() != nil {
			t.Fatalf("%d → 5: %v", tc.m, err)
		}
	}
}

// For a few large random trees, every leaf's proof (built level by level)
// verifies against the pinned root, and sampled ones equal the streamed
// proofs.
func TestEveryProofOfLargeTrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ls := leaves(2000)
	for range 3 {
		n := 1000 + rng.IntN(1001)
		var levels [][]Hash
		for level := ls[:n]; ; {
			levels = append(levels, level)
			if len(level) == 1 {
				break
			}
			var next []Hash
			for j := 0; j < len(level); j += 2 {
				if j+1 == len(level) {
					next = append(next, level[j])
				} else {
					next = append(next, nodeHash(level[j], level[j+1]))
				}
			}
			level = next
		}
		root := levels[len(levels)-1][0]
		for i := range n {
			p := &InclusionProof{LeafIndex: uint64(i), LeafCount: uint64(n), LeafHash: ls[i], MerkleRoot: root}
			for l, j := 0, i; l < len(levels)-1; l, j = l+1, j/2 {
				switch {
				case j%2 == 1:
					p.Siblings = append(p.Siblings, Sibling{Left: true, Hash: levels[l][j-1]})
				case j+1 < len(levels[l]):
					p.Siblings = append(p.Siblings, Sibling{Hash: levels[l][j+1]})
				}
			}
			if err := VerifyInclusion(p, uint64(n), root); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if i%97 == 0 {
				q, err := proveInclusion(ls[:n], uint64(i))
				if err != nil || !bytes.Equal(q.Encode(), p.Encode()) {
					t.Fatalf("n=%d i=%d: streamed proof differs (%v)", n, i, err)
				}
			}
		}
	}
}

// A Builder resumed from another's size and subtrees goes on exactly as
// the original would.
func TestResumeBuilder(t *testing.T) {
	ls := leaves(300)
	for m := 0; m <= 150; m++ {
		var b Builder
		for _, l := range ls[:m] {
			b.Append(l)
		}
		r, err := ResumeBuilder(b.Size(), b.Subtrees())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls[m:] {
			r.Append(l)
		}
		if root, _ := r.Root(); root != naiveRoot(ls) {
			t.Fatalf("resumed at %d: wrong root", m)
		}
	}
	if _, err := ResumeBuilder(5, leaves(1)); err == nil {
		t.Fatal("5 leaves need two subtrees")
	}
	if _, err := ResumeBuilder(0, leaves(1)); err == nil {
		t.Fatal("an empty tree has no subtrees")
	}
}

// A prover started from a Builder at leaf i gives the proof a prover fed
// every leaf from the first gives.
func TestInclusionProverFrom(t *testing.T) {
	ls := leaves(70)
	for n := 1; n <= len(ls); n++ {
		for i := 0; i < n; i++ {
			var b Builder
			for _, l := range ls[:i] {
				b.Append(l)
			}
			p := NewInclusionProverFrom(&b)
			for _, l := range ls[i:n] {
				p.Append(l)
			}
			got, err := p.Proof()
			if err != nil {
				t.Fatal(err)
			}
			want, _ := proveInclusion(ls[:n], uint64(i))
			if !bytes.Equal(got.Encode(), want.Encode()) {
				t.Fatalf("n=%d i=%d: proofs differ", n, i)
			}
			if b.Size() != uint64(i) {
				t.Fatal("the builder was changed")
			}
		}
	}
}
