package merkle

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/nono-audit/nono/lib/canon"
)

// Sibling is one step of an inclusion proof: the hash next to the running
// node, on its left (Left) or its right.
type Sibling struct {
	Left bool
	Hash Hash
}

// InclusionProof shows that LeafHash is leaf LeafIndex of the tree of
// LeafCount leaves whose root is MerkleRoot. Siblings run from the leaf up;
// a level where the running node is promoted contributes none.
type InclusionProof struct {
	LeafIndex, LeafCount uint64
	LeafHash, MerkleRoot Hash
	Siblings             []Sibling
}

// InclusionProver builds the inclusion proof of one leaf while the leaves
// stream past, in O(log n) memory.
type InclusionProver struct {
	index uint64
	c     *pathCollector
}

// NewInclusionProver proves leaf index of the leaves to be appended.
func NewInclusionProver(index uint64) *InclusionProver {
	return &InclusionProver{index: index, c: newPathCollector(0, index)}
}

// NewInclusionProverFrom proves the next leaf to be appended to b, which
// holds the leaves before it: the prover NewInclusionProver(b.Size())
// would be after those leaves, for a caller that learns which leaf it
// wants only when the leaf arrives. b is copied, not kept.
func NewInclusionProverFrom(b *Builder) *InclusionProver {
	c := newPathCollector(0, b.Size())
	c.all = Builder{size: b.size, stack: b.Subtrees()}
	return &InclusionProver{index: b.Size(), c: c}
}

// Append adds the next leaf.
func (p *InclusionProver) Append(leaf Hash) { p.c.append(leaf) }

// size is the number of leaves appended so far.
func (p *InclusionProver) size() uint64 { return p.c.all.Size() }

// Proof returns the proof for the tree of all leaves appended so far.
func (p *InclusionProver) Proof() (*InclusionProof, error) {
	n := p.c.all.Size()
	leaf, siblings, err := p.c.path()
	if errors.Is(err, errIncomplete) {
		return nil, fmt.Errorf("leaf index %d is outside the tree of %d leaves", p.index, n)
	}
	if err != nil {
		return nil, err
	}
	root, _ := p.c.all.Root()
	return &InclusionProof{LeafIndex: p.index, LeafCount: n, LeafHash: leaf, MerkleRoot: root, Siblings: siblings}, nil
}

// proveInclusion returns the inclusion proof of leaves[index].
func proveInclusion(leaves []Hash, index uint64) (*InclusionProof, error) {
	p := NewInclusionProver(index)
	for _, l := range leaves {
		p.Append(l)
	}
	return p.Proof()
}

// verifySelf checks the proof against itself, exactly as upstream does: the
// siblings must be the ones the index and count call for, in order, and
// folding them into the leaf must give MerkleRoot. It trusts LeafCount and
// MerkleRoot as written; use VerifyInclusion to pin them.
//
// With i the index and w the width of the current level, the running node
// h has a right sibling when i is even and i+1 < w, none when i is even and
// the last of its level (promoted), and a left sibling when i is odd; then
// the parent is at i/2 on a level of ⌈w/2⌉ nodes.
func (p *InclusionProof) verifySelf() error {
	if p.LeafCount == 0 {
		return errors.New("inclusion proof: leaf_count is 0")
	}
	if p.LeafIndex >= p.LeafCount {
		return fmt.Errorf("inclusion proof: leaf_index %d is not below leaf_count %d", p.LeafIndex, p.LeafCount)
	}
	i, w, h := p.LeafIndex, p.LeafCount, p.LeafHash
	next := 0
	for w > 1 {
		if i%2 == 0 && i+1 == w {
			// promoted: no sibling at this level
		} else {
			wantLeft := i%2 == 1
			if next == len(p.Siblings) {
				return fmt.Errorf("inclusion proof: too few siblings: want more than %d", len(p.Siblings))
			}
			s := p.Siblings[next]
			if s.Left != wantLeft {
				return fmt.Errorf("inclusion proof: sibling %d is on the %s, want %s", next, direction(s.Left), direction(wantLeft))
			}
			if s.Left {
				h = nodeHash(s.Hash, h)
			} else {
				h = nodeHash(h, s.Hash)
			}
			next++
		}
		i /= 2
		w = w/2 + w%2
	}
	if next != len(p.Siblings) {
		return fmt.Errorf("inclusion proof: %d siblings, want %d", len(p.Siblings), next)
	}
	if h != p.MerkleRoot {
		return fmt.Errorf("inclusion proof: siblings lead to root %s, not merkle_root %s", Hex(h), Hex(p.MerkleRoot))
	}
	return nil
}

// VerifyInclusion checks p against a tree the caller already trusts: count
// leaves with root root (from a verified log or a signed summary). Only
// then does a valid proof mean the leaf is in that tree.
func VerifyInclusion(p *InclusionProof, count uint64, root Hash) error {
	if p.LeafCount != count {
		return fmt.Errorf("inclusion proof: leaf_count %d, want %d", p.LeafCount, count)
	}
	if p.MerkleRoot != root {
		return fmt.Errorf("inclusion proof: merkle_root %s, want %s", Hex(p.MerkleRoot), Hex(root))
	}
	return p.verifySelf()
}

func direction(left bool) string {
	if left {
		return "left"
	}
	return "right"
}

// Encode returns the proof as upstream's compact JSON:
// {"leaf_index":…,"leaf_count":…,"leaf_hash":…,"merkle_root":…,
// "siblings":[{"direction":"left"|"right","hash":…},…]}.
func (p *InclusionProof) Encode() []byte {
	b := make([]byte, 0, 200+96*len(p.Siblings))
	b = append(b, `{"leaf_index":`...)
	b = strconv.AppendUint(b, p.LeafIndex, 10)
	b = append(b, `,"leaf_count":`...)
	b = strconv.AppendUint(b, p.LeafCount, 10)
	b = append(b, `,"leaf_hash":"`...)
	b = AppendHex(b, p.LeafHash)
	b = append(b, `","merkle_root":"`...)
	b = AppendHex(b, p.MerkleRoot)
	b = append(b, `","siblings":[`...)
	for i, s := range p.Siblings {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"direction":"`...)
		b = append(b, direction(s.Left)...)
		b = append(b, `","hash":"`...)
		b = AppendHex(b, s.Hash)
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}

// ParseInclusionProof reads a proof in upstream's JSON shape (any
// whitespace; hex in either case). Unknown or duplicate fields, wrong types
// and trailing bytes are errors. It does not verify the proof.
func ParseInclusionProof(data []byte) (*InclusionProof, error) {
	o, err := parseObject("inclusion proof", data)
	if err != nil {
		return nil, err
	}
	p := &InclusionProof{
		LeafIndex:  o.uint("leaf_index"),
		LeafCount:  o.uint("leaf_count"),
		LeafHash:   o.hash("leaf_hash"),
		MerkleRoot: o.hash("merkle_root"),
	}
	for i, e := range o.array("siblings") {
		if o.err != nil {
			break
		}
		p.Siblings = append(p.Siblings, parseSibling(o, i, e))
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return p, nil
}

func parseSibling(parent *object, i int, v canon.Value) Sibling {
	what := fmt.Sprintf("%s: siblings[%d]", parent.what, i)
	o, err := newObject(what, v)
	if err != nil {
		parent.err = err
		return Sibling{}
	}
	var s Sibling
	if d, ok := o.get("direction"); ok {
		switch {
		case d.Kind == canon.String && d.Str == "left":
			s.Left = true
		case d.Kind == canon.String && d.Str == "right":
		default:
			o.fail("direction: want \"left\" or \"right\", got %.40s", canon.Compact(d))
		}
	}
	s.Hash = o.hash("hash")
	if err := o.done(); err != nil && parent.err == nil {
		parent.err = err
	}
	return s
}
