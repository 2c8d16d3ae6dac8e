package merkle

import (
	"errors"
	"fmt"
	"math/bits"
)

// Both kinds of proof are the path from one perfect subtree T up to the
// root: the hashes of T's siblings, level by level. T has 2^L leaves and
// starts at leaf s, a multiple of 2^L (L = 0 and s = i for the inclusion
// proof of leaf i). The node on T's path at level ℓ ≥ L covers
// [j·2^ℓ, (j+1)·2^ℓ) with j = s>>ℓ, and level ℓ exists while 2^ℓ < n.
// Its sibling is
//
//   - bit ℓ of s set (j odd): the left neighbour [(j-1)·2^ℓ, j·2^ℓ), a
//     perfect subtree that ends before s. These are exactly the subtrees a
//     Builder holds after s leaves (one per set bit of s), so a snapshot of
//     its stack at that moment supplies every left sibling;
//   - bit ℓ of s clear: the right neighbour [(j+1)·2^ℓ, (j+2)·2^ℓ) clipped
//     at n, or nothing when it starts at or past n (the node is promoted).
//     Taken in order of ℓ these ranges are adjacent and start where T
//     ends, so one Builder at a time collects them as the leaves stream
//     past; only the last one can be clipped, and it is closed at the end.
//
// So a path costs O(log n) memory however long the stream.
type pathCollector struct {
	level uint   // L
	start uint64 // s
	end   uint64 // s + 2^L

	all      Builder // every leaf: the root of the whole tree
	lefts    []Hash  // left siblings, largest first (Builder order)
	node     Builder // the leaves of T
	seg      Builder // the leaves of the right sibling being collected
	segLevel uint    // its level; 64 when no right sibling can follow
	rights   []levelHash
}

type levelHash struct {
	level uint
	hash  Hash
}

func newPathCollector(level uint, start uint64) *pathCollector {
	c := &pathCollector{level: level, start: start, end: start + 1<<level}
	c.segLevel = c.nextRightLevel(level)
	return c
}

// nextRightLevel is the lowest level ℓ ≥ from at which T's path has a
// right sibling (bit ℓ of s clear), or 64 when there is none.
func (c *pathCollector) nextRightLevel(from uint) uint {
	for l := from; l < 64; l++ {
		if c.start&(1<<l) == 0 {
			return l
		}
	}
	return 64
}

func (c *pathCollector) append(leaf Hash) {
	pos := c.all.Size()
	if pos == c.start {
		c.lefts = c.all.Subtrees()
	}
	c.all.Append(leaf)
	switch {
	case pos < c.start:
	case pos < c.end:
		c.node.Append(leaf)
	case c.segLevel < 64:
		c.seg.Append(leaf)
		if c.seg.Size() == 1<<c.segLevel {
			h, _ := c.seg.Root()
			c.rights = append(c.rights, levelHash{c.segLevel, h})
			c.seg.reset()
			c.segLevel = c.nextRightLevel(c.segLevel + 1)
		}
	}
}

// errIncomplete means the stream ended before T did.
var errIncomplete = errors.New("the leaves end before the proved subtree")

// path returns T's root and its siblings from T up to the root of the tree
// of all leaves appended; left reports which side each sibling is on.
func (c *pathCollector) path() (node Hash, siblings []Sibling, err error) {
	n := c.all.Size()
	if n < c.end || c.end == 0 { // c.end == 0: s + 2^L overflowed
		return Hash{}, nil, errIncomplete
	}
	node, _ = c.node.Root()
	rights := c.rights
	if c.seg.Size() > 0 { // the clipped last right sibling
		h, _ := c.seg.Root()
		rights = append(rights[:len(rights):len(rights)], levelHash{c.segLevel, h})
	}
	lefts := c.lefts
	for l := c.level; l < 64 && uint64(1)<<l < n; l++ {
		if c.start&(1<<l) != 0 {
			if len(lefts) == 0 {
				return Hash{}, nil, fmt.Errorf("internal error: no left sibling at level %d", l)
			}
			siblings = append(siblings, Sibling{Left: true, Hash: lefts[len(lefts)-1]})
			lefts = lefts[:len(lefts)-1]
			continue
		}
		if len(rights) > 0 && rights[0].level == l {
			siblings = append(siblings, Sibling{Hash: rights[0].hash})
			rights = rights[1:]
		}
	}
	return node, siblings, nil
}

// trailingZeros is the level of the largest perfect aligned subtree that
// ends at m > 0.
func trailingZeros(m uint64) uint { return uint(bits.TrailingZeros64(m)) }
