// Package logproof computes Merkle summaries and proofs over an alpha
// event log, never over a log that does not verify: records are checked
// with chain.Verify while their leaves feed the tree, so a root or a
// proof is only ever produced for a log whose every record is intact.
// A plain list of leaf hashes (one hex hash a line) is accepted too, for
// trees built outside a log.
//
// Memory is O(log n) in the number of records, as in package merkle.
package logproof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/ndjson"
)

// Source says what a stream holds.
type Source struct {
	Leaves bool          // one hex leaf hash a line instead of alpha records
	Chain  chain.Options // how records are verified
}

// LineError is a bad line of a leaf list. Line is the 1-based physical line.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Verdict reports true: the leaf list is invalid (exit status 1, lib/cli).
func (e *LineError) Verdict() bool { return true }

// RangeError is a request that does not fit the tree: a leaf index or an
// old size beyond the number of leaves.
type RangeError struct{ Msg string }

func (e *RangeError) Error() string { return e.Msg }

// Summary is the integrity summary of a log, the audit_integrity of
// session.json: ChainHead is nil for a leaf list or an empty log,
// MerkleRoot nil for an empty one.
type Summary struct {
	EventCount uint64
	ChainHead  *merkle.Hash
	MerkleRoot *merkle.Hash
	Result     *chain.Result // the verification of records; nil for leaves
}

// Encode returns the summary as one compact JSON object:
// {"hash_algorithm":"sha256","event_count":N,"chain_head":hex|null,"merkle_root":hex|null}.
func (s *Summary) Encode() []byte {
	b := []byte(`{"hash_algorithm":"sha256","event_count":`)
	b = strconv.AppendUint(b, s.EventCount, 10)
	b = append(b, `,"chain_head":`...)
	b = appendOptHash(b, s.ChainHead)
	b = append(b, `,"merkle_root":`...)
	b = appendOptHash(b, s.MerkleRoot)
	return append(b, '}')
}

func appendOptHash(b []byte, h *merkle.Hash) []byte {
	if h == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = merkle.AppendHex(b, *h)
	return append(b, '"')
}

// Summarize verifies the stream and returns its summary.
func Summarize(r io.Reader, src Source) (*Summary, error) {
	if !src.Leaves {
		res, err := chain.Verify(r, src.Chain)
		if err != nil {
			return nil, err
		}
		return &Summary{EventCount: res.EventCount, ChainHead: res.ChainHead, MerkleRoot: res.MerkleRoot, Result: res}, nil
	}
	var b merkle.Builder
	if err := readHexLeaves(r, src.Chain.MaxLine, b.Append); err != nil {
		return nil, err
	}
	s := &Summary{EventCount: b.Size()}
	if root, ok := b.Root(); ok {
		s.MerkleRoot = &root
	}
	return s, nil
}

// Inclusion returns the inclusion proof of leaf index.
func Inclusion(r io.Reader, src Source, index uint64) (*merkle.InclusionProof, error) {
	p := merkle.NewInclusionProver(index)
	sum, err := feed(r, src, p.Append)
	if err != nil {
		return nil, err
	}
	if index >= sum.EventCount {
		return nil, &RangeError{fmt.Sprintf("leaf index %d is outside the tree of %d leaves", index, sum.EventCount)}
	}
	proof, err := p.Proof()
	if err != nil {
		return nil, err
	}
	if sum.MerkleRoot != nil && proof.MerkleRoot != *sum.MerkleRoot {
		return nil, errors.New("internal error: the proof's root differs from the verified root")
	}
	return proof, nil
}

// Consistency returns the proof that the tree of the first oldSize leaves
// is a prefix of the tree of all of them.
func Consistency(r io.Reader, src Source, oldSize uint64) (*merkle.ConsistencyProof, error) {
	if oldSize == 0 {
		return nil, &RangeError{"the old size must be at least 1: an empty tree has no root to be consistent with"}
	}
	p := merkle.NewConsistencyProver(oldSize)
	sum, err := feed(r, src, p.Append)
	if err != nil {
		return nil, err
	}
	if oldSize > sum.EventCount {
		return nil, &RangeError{fmt.Sprintf("old size %d is larger than the tree of %d leaves", oldSize, sum.EventCount)}
	}
	proof, err := p.Proof()
	if err != nil {
		return nil, err
	}
	if sum.MerkleRoot != nil && proof.NewRoot != *sum.MerkleRoot {
		return nil, errors.New("internal error: the proof's root differs from the verified root")
	}
	return proof, nil
}

// feed passes every leaf of the stream to each, in order, and returns the
// verified summary. For records, chain.Verify passes each verified leaf
// on; the leaves only count once verification has succeeded: a failure
// returns its error, and the caller discards what each received.
func feed(r io.Reader, src Source, each func(merkle.Hash)) (*Summary, error) {
	if src.Leaves {
		var n uint64
		var b merkle.Builder
		err := readHexLeaves(r, src.Chain.MaxLine, func(h merkle.Hash) { n++; b.Append(h); each(h) })
		if err != nil {
			return nil, err
		}
		s := &Summary{EventCount: n}
		if root, ok := b.Root(); ok {
			s.MerkleRoot = &root
		}
		return s, nil
	}

	opts := src.Chain
	opts.Leaf = each
	res, err := chain.Verify(r, opts)
	if err != nil {
		return nil, err
	}
	return &Summary{EventCount: res.EventCount, ChainHead: res.ChainHead, MerkleRoot: res.MerkleRoot, Result: res}, nil
}

// readHexLeaves reads one hex leaf hash a line (blank lines skipped,
// surrounding spaces allowed).
func readHexLeaves(r io.Reader, maxLine int, each func(merkle.Hash)) error {
	lines := ndjson.NewReader(r)
	if maxLine > 0 {
		lines.SetMaxLine(maxLine)
	}
	for {
		line, err := lines.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil && !errors.Is(err, ndjson.ErrTruncated) {
			var le *ndjson.Error
			if errors.As(err, &le) && errors.Is(err, ndjson.ErrTooLong) {
				return &LineError{Line: le.Line, Msg: "line too long"}
			}
			return err
		}
		h, perr := merkle.ParseHash(string(bytes.TrimSpace(line)))
		if perr != nil {
			return &LineError{Line: lines.Line(), Msg: perr.Error()}
		}
		each(h)
		if err != nil { // a last line without newline is still a whole hash
			return nil
		}
	}
}
