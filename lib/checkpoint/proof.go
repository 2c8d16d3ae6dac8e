package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// Proof shows that one session's ledger record is in a signed checkpoint:
// the checkpoint, the record, and the inclusion proof of the record's
// chain hash in the checkpoint's tree. One compact JSON object, keys in
// this order:
//
//	{"checkpoint":NOTE,"ledger_record":RECORD,"inclusion_proof":PROOF}
//
// NOTE is the signed checkpoint's text as a JSON string, RECORD the
// ledger line as the ledger writes it, PROOF the inclusion proof in the
// shape nono-merkle writes (leaf_hash is the record's chain_hash).
type Proof struct {
	Checkpoint []byte
	Record     *ledger.Record
	Inclusion  *merkle.InclusionProof
}

// Encode returns the proof's canonical bytes (without a newline).
func (p *Proof) Encode() []byte {
	b := []byte(`{"checkpoint":`)
	b = canon.AppendStringBytes(b, p.Checkpoint)
	b = append(b, `,"ledger_record":`...)
	b = append(b, p.Record.Encode()...)
	b = append(b, `,"inclusion_proof":`...)
	b = append(b, p.Inclusion.Encode()...)
	return append(b, '}')
}

// ParseProof reads a proof. It is strict: the three keys in that order,
// nothing else, and the bytes must be exactly Encode's (followed by at
// most one newline), so that no changed byte can leave the proof's
// meaning intact. It does not verify the proof (Verify does).
func ParseProof(data []byte) (*Proof, error) {
	v, err := canon.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("ledger proof: %w", err)
	}
	keys := []string{"checkpoint", "ledger_record", "inclusion_proof"}
	if v.Kind != canon.Object || len(v.Members) != len(keys) {
		return nil, errors.New("ledger proof: want an object of checkpoint, ledger_record and inclusion_proof")
	}
	for i, m := range v.Members {
		if m.Key != keys[i] {
			return nil, fmt.Errorf("ledger proof: member %d is %.40q, want %q", i+1, m.Key, keys[i])
		}
	}
	cp := v.Members[0].Value
	if cp.Kind != canon.String {
		return nil, errors.New("ledger proof: checkpoint: want the signed checkpoint as a string")
	}
	p := &Proof{Checkpoint: []byte(cp.Str)}
	if p.Record, err = ledger.ParseRecord(canon.Compact(v.Members[1].Value)); err != nil {
		return nil, fmt.Errorf("ledger proof: ledger_record: %w", err)
	}
	if p.Inclusion, err = merkle.ParseInclusionProof(canon.Compact(v.Members[2].Value)); err != nil {
		return nil, fmt.Errorf("ledger proof: %w", err)
	}
	if enc := p.Encode(); !bytes.Equal(data, enc) && !bytes.Equal(data, append(enc, '\n')) {
		return nil, errors.New("ledger proof: not in canonical form (compact JSON, keys in order, lower-case hex)")
	}
	return p, nil
}

// Verify checks the proof against the ledger's verifier key log: the
// checkpoint is signed by log, the inclusion proof leads from the
// record's chain hash at the record's sequence to the checkpoint's root
// over its size, and the record's chain hash is the link of its fields.
// It returns the checkpoint. Every failure matches ErrInvalid, except a
// checkpoint that cannot be parsed at all.
func (p *Proof) Verify(log note.Verifier, others ...note.Verifier) (*Checkpoint, error) {
	cp, _, err := Open(p.Checkpoint, log, others...)
	if err != nil {
		return nil, err
	}
	r, in := p.Record, p.Inclusion
	if err := r.Check(); err != nil {
		return nil, invalid("ledger record %d (session %s): %v", r.Sequence, r.SessionID, err)
	}
	if in.LeafHash != r.ChainHash || in.LeafIndex != r.Sequence {
		return nil, invalid("the inclusion proof is for leaf %d (%s), not ledger record %d (chain hash %s)", in.LeafIndex, merkle.Hex(in.LeafHash), r.Sequence, merkle.Hex(r.ChainHash))
	}
	if err := merkle.VerifyInclusion(in, cp.Size, cp.Root); err != nil {
		return nil, invalid("session %s is not proved to be in %s: %v", r.SessionID, cp.Describe(), err)
	}
	return cp, nil
}

// Prove returns the proof that the ledger record of session id is in the
// tree of the signed checkpoint cpNote (whose signature it does not
// check). It scans the first Size records of the ledger of auditRoot
// once, under the shared lock, in O(log n) memory (readLeaves). They must
// have the checkpoint's root (ErrInvalid otherwise: the ledger changed
// since).
func Prove(auditRoot, id string, cpNote []byte, wait time.Duration) (*Proof, error) {
	if err := session.ValidateID(id); err != nil {
		return nil, err
	}
	cp, err := ParseUnverified(cpNote)
	if err != nil {
		return nil, err
	}
	var (
		all    merkle.Builder
		prover *merkle.InclusionProver
		rec    *ledger.Record
		recErr error
	)
	err = readLeaves(auditRoot, cp.Size, wait, id, func(leaf merkle.Hash, line []byte) {
		if line != nil { // the last record of a session counts, as in verification
			prover = merkle.NewInclusionProverFrom(&all)
			rec, recErr = ledger.ParseRecord(line)
			if recErr == nil && (rec.Sequence != all.Size() || rec.ChainHash != leaf) {
				recErr = fmt.Errorf("it is record %d of the ledger but says sequence %d", all.Size(), rec.Sequence)
			} else if recErr == nil {
				recErr = rec.Check()
			}
		}
		all.Append(leaf)
		if prover != nil {
			prover.Append(leaf)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := matches(&all, cp); err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, &NotFoundError{ID: id, Checkpoint: cp}
	}
	if recErr != nil {
		return nil, invalid("the ledger record of session %s: %v", id, recErr)
	}
	in, err := prover.Proof()
	if err != nil {
		return nil, err
	}
	return &Proof{Checkpoint: cpNote, Record: rec, Inclusion: in}, nil
}

// NotFoundError means the session has no ledger record in the checkpoint's
// tree (it may have been committed after it).
type NotFoundError struct {
	ID         string
	Checkpoint *Checkpoint
}

// Verdict reports true: the checkpoint does not hold the session (exit
// status 1, lib/cli).
func (e *NotFoundError) Verdict() bool { return true }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("session %s has no record among the %d of the checkpoint %s (not in the ledger, or committed after that checkpoint)", e.ID, e.Checkpoint.Size, e.Checkpoint.Origin)
}

// Consistency returns the proof that the ledger's first from records are
// a prefix of its first to.Size records, the tree of the checkpoint to
// (whose signature it does not check), reading the ledger once under the
// shared lock. With to nil, the proof reaches the whole ledger as it is.
func Consistency(auditRoot string, from uint64, to *Checkpoint, wait time.Duration) (*merkle.ConsistencyProof, error) {
	if from == 0 {
		return nil, errors.New("the old size must be at least 1: an empty tree has no root to be consistent with")
	}
	var all merkle.Builder
	p := merkle.NewConsistencyProver(from)
	add := func(leaf merkle.Hash) {
		all.Append(leaf)
		p.Append(leaf)
	}
	var err error
	if to != nil {
		// The leaves must give the checkpoint's root: a scan will do.
		err = readLeaves(auditRoot, to.Size, wait, "", func(leaf merkle.Hash, _ []byte) { add(leaf) })
	} else {
		err = readLedger(auditRoot, wait, func(r *ledger.Record) { add(r.ChainHash) })
	}
	if err != nil {
		return nil, err
	}
	if to != nil {
		if err := matches(&all, to); err != nil {
			return nil, err
		}
	}
	if from > all.Size() {
		return nil, fmt.Errorf("old size %d is larger than the tree of %d records", from, all.Size())
	}
	return p.Proof()
}

// matches checks that the tree of the ledger read so far is cp's.
func matches(all *merkle.Builder, cp *Checkpoint) error {
	if all.Size() < cp.Size {
		return invalid("the ledger holds %d records, fewer than the %d of the checkpoint: it was rewritten or repaired since", all.Size(), cp.Size)
	}
	if root, _ := all.Root(); root != cp.Root {
		return invalid("the ledger's first %d records have root %s, not the checkpoint's %s: the ledger was rewritten since", cp.Size, merkle.Hex(root), merkle.Hex(cp.Root))
	}
	return nil
}

// readLedger reads every record of the ledger of auditRoot under the
// shared lock.
func readLedger(auditRoot string, wait time.Duration, each func(*ledger.Record)) error {
	if wait == 0 {
		wait = ledger.DefaultWait
	}
	release, err := ledger.Lock(auditRoot, false, wait)
	if err != nil {
		return err
	}
	defer release()
	_, err = ledger.ReadFrom(auditRoot, ledger.Position{}, each)
	return err
}

// CheckConsistency verifies that the signed checkpoint newNote extends
// oldNote: both signed by log, the same origin, and either the same tree
// or a consistency proof p from the old tree to the new one. It returns
// both checkpoints. Every failure of the checkpoints to agree matches
// ErrInvalid; a missing proof, or one for other sizes, does not.
func CheckConsistency(oldNote, newNote []byte, p *merkle.ConsistencyProof, log note.Verifier) (old, cur *Checkpoint, err error) {
	if old, _, err = Open(oldNote, log); err != nil {
		return nil, nil, fmt.Errorf("old checkpoint: %w", err)
	}
	if cur, _, err = Open(newNote, log); err != nil {
		return nil, nil, fmt.Errorf("new checkpoint: %w", err)
	}
	return old, cur, Extends(old, cur, p)
}

// Extends checks that the checkpoint cur extends old, both already
// verified: the same tree when the sizes are equal, else by the
// consistency proof p, which must be for exactly these sizes.
func Extends(old, cur *Checkpoint, p *merkle.ConsistencyProof) error {
	switch {
	case old.Origin != cur.Origin:
		return invalid("the checkpoints are of two logs: %q and %q", old.Origin, cur.Origin)
	case old.Size > cur.Size:
		return invalid("the new checkpoint (size %d) is smaller than the old one (size %d)", cur.Size, old.Size)
	case old.Size == cur.Size:
		if old.Root != cur.Root {
			return invalid("two checkpoints of size %d with different roots (%s, %s): the ledger was rewritten", old.Size, merkle.Hex(old.Root), merkle.Hex(cur.Root))
		}
		return nil
	case p == nil:
		return &ProofNeededError{From: old.Size, To: cur.Size}
	case p.OldSize != old.Size || p.NewSize != cur.Size:
		return &ProofNeededError{From: old.Size, To: cur.Size, Got: p}
	}
	if p.OldRoot != old.Root {
		return invalid("the ledger's first %d records now have root %s, not the %s of the old checkpoint: the ledger was rewritten", old.Size, merkle.Hex(p.OldRoot), merkle.Hex(old.Root))
	}
	if err := merkle.VerifyConsistency(p, old.Size, old.Root, cur.Size, cur.Root); err != nil {
		return invalid("%s does not extend %s: %v", cur.Describe(), old.Describe(), err)
	}
	return nil
}

// ProofNeededError means a consistency proof for the sizes From → To is
// needed and was not given (Got nil) or is for other sizes.
type ProofNeededError struct {
	From, To uint64
	Got      *merkle.ConsistencyProof
}

func (e *ProofNeededError) Error() string {
	msg := fmt.Sprintf("a consistency proof from size %d to size %d is needed (on the host: nono audit consistency --from %d)", e.From, e.To, e.From)
	if e.Got != nil {
		msg = fmt.Sprintf("the consistency proof is from size %d to %d; %s", e.Got.OldSize, e.Got.NewSize, msg)
	}
	return msg
}
