package merkle

import (
	"errors"
	"fmt"
	"strconv"
)

// ConsistencyProof shows that the tree of OldSize leaves with root OldRoot
// is a prefix of the tree of NewSize leaves with root NewRoot: nothing
// recorded before was changed or removed, only leaves were added.
//
// Path is RFC 9162 §2.1.4's PROOF(m, D[n]) with nodeHash as the node hash.
// With L the number of trailing zero bits of m = OldSize, the subtree
// T = D[m-2^L : m] is the largest perfect subtree ending at m; Path is
// T's root (left out when m is a power of two: T is then the old tree,
// whose root the verifier has) followed by T's siblings from T up to the
// new root. The siblings left of T lie inside the old tree, those right
// of T entirely in the new leaves, so both roots can be rebuilt from Path.
type ConsistencyProof struct {
	OldSize, NewSize uint64
	OldRoot, NewRoot Hash
	Path             []Hash
}

// ConsistencyProver builds the consistency proof from the first oldSize
// leaves to all of them while the leaves stream past, in O(log n) memory.
type ConsistencyProver struct {
	oldSize uint64
	oldRoot Hash
	c       *pathCollector // nil when oldSize is 0
}

// NewConsistencyProver proves that the tree of the first oldSize leaves is
// a prefix of the tree of all leaves appended.
func NewConsistencyProver(oldSize uint64) *ConsistencyProver {
	p := &ConsistencyProver{oldSize: oldSize}
	if oldSize > 0 {
		l := trailingZeros(oldSize)
		p.c = newPathCollector(l, oldSize-1<<l)
	}
	return p
}

// Append adds the next leaf.
func (p *ConsistencyProver) Append(leaf Hash) {
	if p.c == nil {
		return
	}
	p.c.append(leaf)
	if p.c.all.Size() == p.oldSize {
		p.oldRoot, _ = p.c.all.Root()
	}
}

// Proof returns the proof for the tree of all leaves appended so far.
func (p *ConsistencyProver) Proof() (*ConsistencyProof, error) {
	if p.c == nil {
		return nil, errors.New("consistency proof: the old tree must have at least one leaf")
	}
	n := p.c.all.Size()
	if n < p.oldSize {
		return nil, fmt.Errorf("consistency proof: old size %d is larger than the tree of %d leaves", p.oldSize, n)
	}
	newRoot, _ := p.c.all.Root()
	proof := &ConsistencyProof{OldSize: p.oldSize, NewSize: n, OldRoot: p.oldRoot, NewRoot: newRoot, Path: []Hash{}}
	if n == p.oldSize {
		return proof, nil // same tree: the roots must simply be equal
	}
	node, siblings, err := p.c.path()
	if err != nil {
		return nil, err
	}
	if p.c.start != 0 { // m is not a power of two
		proof.Path = append(proof.Path, node)
	}
	for _, s := range siblings {
		proof.Path = append(proof.Path, s.Hash)
	}
	return proof, nil
}

// proveConsistency returns the proof that leaves[:oldSize] is a prefix of
// leaves.
func proveConsistency(leaves []Hash, oldSize uint64) (*ConsistencyProof, error) {
	p := NewConsistencyProver(oldSize)
	for _, l := range leaves {
		p.Append(l)
	}
	return p.Proof()
}

// verifySelf checks the proof against its own sizes and roots (RFC 9162
// §2.1.4.2 with nodeHash). It trusts the roots as written; use
// VerifyConsistency to pin them.
func (p *ConsistencyProof) verifySelf() error {
	return verifyConsistency(p.OldSize, p.NewSize, p.OldRoot, p.NewRoot, p.Path)
}

// VerifyConsistency checks that p proves the tree of oldSize leaves with
// root oldRoot to be a prefix of the tree of newSize leaves with root
// newRoot, both already trusted by the caller.
func VerifyConsistency(p *ConsistencyProof, oldSize uint64, oldRoot Hash, newSize uint64, newRoot Hash) error {
	switch {
	case p.OldSize != oldSize:
		return fmt.Errorf("consistency proof: old_size %d, want %d", p.OldSize, oldSize)
	case p.NewSize != newSize:
		return fmt.Errorf("consistency proof: new_size %d, want %d", p.NewSize, newSize)
	case p.OldRoot != oldRoot:
		return fmt.Errorf("consistency proof: old_root %s, want %s", Hex(p.OldRoot), Hex(oldRoot))
	case p.NewRoot != newRoot:
		return fmt.Errorf("consistency proof: new_root %s, want %s", Hex(p.NewRoot), Hex(newRoot))
	}
	return p.verifySelf()
}

// verifyConsistency is RFC 9162 §2.1.4.2. fn and sn walk the paths of the
// last old leaf (m-1) and the last new leaf (n-1) up the new tree. First
// drop the levels inside T (the trailing one bits of m-1); from there on,
// a set low bit of fn (or fn == sn: the node is the last of its level in
// both trees) means the path element is a left sibling, shared by both
// trees, so it enters both running roots fr and sr; otherwise it is a
// right sibling that exists only in the new tree and enters sr alone.
// When it is the last node of the old tree (fn == sn with fn even), the
// old path skips the levels where it is promoted: shift until fn is odd
// or 0. At the end fr must be the old root, sr the new one, and sn must
// have reached 0 (every level of the new tree was accounted for).
func verifyConsistency(m, n uint64, oldRoot, newRoot Hash, path []Hash) error {
	switch {
	case m == 0:
		return errors.New("consistency proof: old_size is 0: there is no old tree to be consistent with")
	case m > n:
		return fmt.Errorf("consistency proof: old_size %d is larger than new_size %d", m, n)
	case m == n:
		if len(path) != 0 {
			return fmt.Errorf("consistency proof: equal sizes need an empty path, got %d hashes", len(path))
		}
		if oldRoot != newRoot {
			return errors.New("consistency proof: equal sizes but old_root differs from new_root")
		}
		return nil
	case len(path) == 0:
		return errors.New("consistency proof: empty path")
	}
	if m&(m-1) == 0 { // m is a power of two: T is the old tree itself
		path = append([]Hash{oldRoot}, path...)
	}
	fn, sn := m-1, n-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return fmt.Errorf("consistency proof: path has more than the %d hashes the sizes allow", len(path))
		}
		if fn&1 == 1 || fn == sn {
			fr = nodeHash(c, fr)
			sr = nodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = nodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	switch {
	case sn != 0:
		return errors.New("consistency proof: path is too short for the sizes")
	case fr != oldRoot:
		return fmt.Errorf("consistency proof: path leads to old root %s, not old_root %s", Hex(fr), Hex(oldRoot))
	case sr != newRoot:
		return fmt.Errorf("consistency proof: path leads to new root %s, not new_root %s", Hex(sr), Hex(newRoot))
	}
	return nil
}

// Encode returns the proof as one compact JSON object, keys in this order:
// {"old_size":…,"new_size":…,"old_root":…,"new_root":…,"path":[…]}.
func (p *ConsistencyProof) Encode() []byte {
	b := make([]byte, 0, 220+67*len(p.Path))
	b = append(b, `{"old_size":`...)
	b = strconv.AppendUint(b, p.OldSize, 10)
	b = append(b, `,"new_size":`...)
	b = strconv.AppendUint(b, p.NewSize, 10)
	b = append(b, `,"old_root":"`...)
	b = AppendHex(b, p.OldRoot)
	b = append(b, `","new_root":"`...)
	b = AppendHex(b, p.NewRoot)
	b = append(b, `","path":[`...)
	for i, h := range p.Path {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = AppendHex(b, h)
		b = append(b, '"')
	}
	return append(b, "]}"...)
}

// ParseConsistencyProof reads the JSON written by Encode (any whitespace
// or key order; hex in either case). Unknown or duplicate fields, wrong
// types and trailing bytes are errors. It does not verify the proof.
func ParseConsistencyProof(data []byte) (*ConsistencyProof, error) {
	o, err := parseObject("consistency proof", data)
	if err != nil {
		return nil, err
	}
	p := &ConsistencyProof{
		OldSize: o.uint("old_size"),
		NewSize: o.uint("new_size"),
		OldRoot: o.hash("old_root"),
		NewRoot: o.hash("new_root"),
		Path:    []Hash{},
	}
	for i, e := range o.array("path") {
		if o.err != nil {
			break
		}
		p.Path = append(p.Path, o.hashValue(fmt.Sprintf("path[%d]", i), e))
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return p, nil
}
