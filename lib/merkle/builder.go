package merkle

import (
	"fmt"
	"math/bits"
)

// The tree over n leaves d[0:n] is RFC 6962's, with nodeHash for interior
// nodes and no hashing of the leaves themselves (they already are hashes):
//
//	MTH(d[0:1]) = d[0]
//	MTH(d[0:n]) = nodeHash(MTH(d[0:k]), MTH(d[k:n]))  for n > 1,
//	              k the largest power of two below n.
//
// Pairing neighbours level by level and promoting a lone last node
// unchanged builds the same tree: at every level the nodes are the aligned
// subtrees d[j·2^ℓ : (j+1)·2^ℓ] clipped at n, and only the last one can be
// clipped, so the only node without a partner is the last of an odd level.
//
// Writing n = 2^a + 2^b + … (a > b > …), the first 2^a leaves form a
// perfect subtree, the next 2^b the next one, and so on. Builder keeps the
// roots of exactly those subtrees (a stack of popcount(n) ≤ 64 hashes), and
// the root of the whole tree folds them from the right:
//
//	MTH(d[0:n]) = nodeHash(r_a, nodeHash(r_b, … nodeHash(r_y, r_z)))
//
// which is the definition above unrolled along its right spine.

// Builder computes the root of a growing list of leaves in O(log n)
// memory. The zero value is an empty tree.
type Builder struct {
	size  uint64
	stack []Hash // roots of the perfect subtrees of size, largest first
}

// Append adds the next leaf. Adding leaf number n merges one pair of equal
// subtrees for every trailing one bit of n, like carrying in a binary
// counter, so appending costs one hash on average.
func (b *Builder) Append(leaf Hash) {
	b.stack = append(b.stack, leaf)
	for s := b.size; s&1 == 1; s >>= 1 {
		top := len(b.stack) - 1
		b.stack[top-1] = nodeHash(b.stack[top-1], b.stack[top])
		b.stack = b.stack[:top]
	}
	b.size++
}

// Size is the number of leaves appended so far.
func (b *Builder) Size() uint64 { return b.size }

// Root returns the root of the tree so far; false when it is empty (the
// formats then write null; upstream's library returns SHA-256("")).
func (b *Builder) Root() (Hash, bool) {
	if b.size == 0 {
		return Hash{}, false
	}
	i := len(b.stack) - 1
	h := b.stack[i]
	for i--; i >= 0; i-- {
		h = nodeHash(b.stack[i], h)
	}
	return h, true
}

// reset empties the builder, keeping its memory.
func (b *Builder) reset() {
	b.size = 0
	b.stack = b.stack[:0]
}

// Subtrees returns a copy of the perfect-subtree roots, largest first:
// with Size, all a later Builder needs to go on from here (ResumeBuilder).
func (b *Builder) Subtrees() []Hash { return append([]Hash(nil), b.stack...) }

// ResumeBuilder returns a Builder of size leaves whose perfect-subtree
// roots are subtrees (as Subtrees returned them): one per set bit of size.
func ResumeBuilder(size uint64, subtrees []Hash) (*Builder, error) {
	if want := bits.OnesCount64(size); len(subtrees) != want {
		return nil, fmt.Errorf("a tree of %d leaves has %d perfect subtrees, got %d", size, want, len(subtrees))
	}
	return &Builder{size: size, stack: append([]Hash(nil), subtrees...)}, nil
}

// Root returns the root over leaves; false when there are none.
func Root(leaves []Hash) (Hash, bool) {
	var b Builder
	for _, l := range leaves {
		b.Append(l)
	}
	return b.Root()
}
