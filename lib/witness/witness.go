// Package witness keeps hosts to their history: it holds the latest
// checkpoint it has seen of each ledger (per origin), accepts a new one
// only when a consistency proof shows that it extends the one held, and
// then co-signs it with a C2SP tlog-cosignature (cosignature/v1) line. A
// host that rewrote its ledger (removed a session and recomputed its
// chain) cannot prove that, and is refused; the conflicting checkpoints
// are kept as evidence.
//
// It is the logic of C2SP tlog-witness without the HTTP: Add takes what an
// add-checkpoint request carries, and a Store keeps the state, so the same
// code serves `nono-verify checkpoint --witness-dir` (DirStore) and a
// collector service (a Store over its own storage).
package witness

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"

	notes "github.com/transparency-dev/formats/note"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/merkle"
)

// Store keeps a witness's state: the latest checkpoint held per origin.
type Store interface {
	// Latest returns the checkpoint held for origin (as Add stored it),
	// or nil when there is none.
	Latest(origin string) ([]byte, error)
	// Replace makes next the checkpoint held for origin, provided the one
	// held is still prev (nil: none): a compare-and-swap, so that two
	// witnesses sharing a store never go back. Otherwise it returns
	// ErrChanged.
	Replace(origin string, prev, next []byte) error
	// Refused keeps the evidence of a refusal (a JSON object, see
	// Evidence) and returns where, for the report.
	Refused(origin string, evidence []byte) (string, error)
}

// ErrUnexpectedProof is an add-checkpoint request with a proof where
// none can be: from size 0, or between equal sizes.
var ErrUnexpectedProof = errors.New("the consistency proof must be empty")

// ErrChanged is a Replace that lost a race with another.
var ErrChanged = errors.New("the checkpoint held changed meanwhile")

// Witness checks and co-signs checkpoints.
type Witness struct {
	signer note.Signer
	store  Store
	now    func() time.Time
}

// New returns a witness that co-signs with the Ed25519 note signer key
// skey (PRIVATE+KEY+name+hash+base64, as `nono trust keygen --note`
// makes) and keeps its state in store.
func New(skey string, store Store) (*Witness, error) {
	s, err := notes.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	return &Witness{signer: s, store: store, now: time.Now}, nil
}

// With returns the witness keeping its state in store instead: one key,
// several stores (a collector's, one per tenant).
func (w *Witness) With(store Store) *Witness {
	c := *w
	c.store = store
	return &c
}

// Name is the witness's name, as its cosignature lines carry it.
func (w *Witness) Name() string { return w.signer.Name() }

// Result is an accepted checkpoint.
type Result struct {
	Checkpoint *checkpoint.Checkpoint
	Previous   *checkpoint.Checkpoint // the one held before; nil the first time
	Cosigned   []byte                 // the checkpoint with the witness's cosignature added
}

// RefusedError is a checkpoint the witness will not co-sign because it
// does not extend the one held: the host rewrote its ledger, or signed a
// checkpoint older than one it signed before. It matches
// checkpoint.ErrInvalid.
type RefusedError struct {
	Origin   string
	Held     *checkpoint.Checkpoint
	Got      *checkpoint.Checkpoint
	Reason   string
	Evidence string // where the evidence was kept ("" when it could not be)
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("refused %s: it does not extend the checkpoint held, %s: %s", e.Got.Describe(), e.Held.Describe(), e.Reason)
	if e.Evidence != "" {
		msg += "; evidence kept in " + e.Evidence
	}
	return msg
}

func (e *RefusedError) Is(target error) bool { return target == checkpoint.ErrInvalid }

// Verdict reports true: the checkpoint is refused (exit status 1, lib/cli).
func (e *RefusedError) Verdict() bool { return true }

// Add checks the signed checkpoint cp with the log's verifier key log
// (named after its origin) and, if it extends the checkpoint held for
// that origin by the consistency proof p (nil when the sizes are equal or
// nothing is held yet), holds it and returns it co-signed. The first
// checkpoint of an origin is trusted as it is.
//
// A checkpoint that does not verify, or does not extend the one held, is
// an error matching checkpoint.ErrInvalid (a *RefusedError for the
// latter, its evidence kept in the store). A missing proof, or one for
// other sizes than held → new, is a *checkpoint.ProofNeededError: ask the
// host for the proof from the size held.
func (w *Witness) Add(cp []byte, log note.Verifier, p *merkle.ConsistencyProof) (*Result, error) {
	return w.add(cp, log, func(*checkpoint.Checkpoint, *checkpoint.Checkpoint) (*merkle.ConsistencyProof, error) {
		return p, nil
	})
}

// ConflictError is an add-checkpoint request whose old size is not the
// size of the checkpoint held (0 when none is): the host should ask again
// with a consistency proof from Size (C2SP tlog-witness answers it with
// 409 Conflict and the size).
type ConflictError struct {
	Origin string
	Size   uint64 // the size of the checkpoint held
	Asked  uint64 // the old size of the request
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the witness holds %s at size %d, not %d: a consistency proof from size %d is needed (on the host: nono audit consistency --from %d)", e.Origin, e.Size, e.Asked, e.Size, e.Size)
}

// AddCheckpoint is C2SP tlog-witness's add-checkpoint: the host names the
// size oldSize of the checkpoint it believes the witness holds and gives
// the consistency proof path from it to cp (empty when oldSize is 0 or
// cp's size). When oldSize is not the size held, the answer is a
// *ConflictError carrying the size held; otherwise as Add, the proof
// taken against the root held.
func (w *Witness) AddCheckpoint(cp []byte, log note.Verifier, oldSize uint64, path []merkle.Hash) (*Result, error) {
	return w.add(cp, log, func(held, got *checkpoint.Checkpoint) (*merkle.ConsistencyProof, error) {
		size := uint64(0)
		if held != nil {
			size = held.Size
		}
		if oldSize != size {
			return nil, &ConflictError{Origin: got.Origin, Size: size, Asked: oldSize}
		}
		if held == nil || oldSize >= got.Size {
			if len(path) != 0 {
				return nil, fmt.Errorf("%w: from size %d to size %d", ErrUnexpectedProof, oldSize, got.Size)
			}
			return nil, nil
		}
		return &merkle.ConsistencyProof{OldSize: held.Size, NewSize: got.Size, OldRoot: held.Root, NewRoot: got.Root, Path: path}, nil
	})
}

// add is Add and AddCheckpoint, proof giving the consistency proof from
// the checkpoint held (nil when none is) to the one added.
func (w *Witness) add(cp []byte, log note.Verifier, proof func(held, got *checkpoint.Checkpoint) (*merkle.ConsistencyProof, error)) (*Result, error) {
	got, n, err := checkpoint.Open(cp, log)
	if err != nil {
		return nil, err
	}
	for range 3 {
		heldNote, err := w.store.Latest(got.Origin)
		if err != nil {
			return nil, err
		}
		res := &Result{Checkpoint: got}
		if heldNote != nil {
			if res.Previous, _, err = checkpoint.Open(heldNote, log); err != nil {
				return nil, fmt.Errorf("the checkpoint held for %s: %w", got.Origin, err)
			}
		}
		p, err := proof(res.Previous, got)
		if err != nil {
			return nil, err
		}
		if held := res.Previous; held != nil {
			if err := checkpoint.Extends(held, got, p); err != nil {
				var need *checkpoint.ProofNeededError
				if errors.As(err, &need) {
					return nil, err
				}
				return nil, w.refuse(heldNote, cp, held, got, p, err)
			}
		}
		if res.Cosigned, err = note.Sign(n, w.signer); err != nil {
			return nil, fmt.Errorf("co-sign: %w", err)
		}
		err = w.store.Replace(got.Origin, heldNote, res.Cosigned)
		if errors.Is(err, ErrChanged) {
			continue // another witness moved on: check against the new one
		}
		if err != nil {
			return nil, err
		}
		return res, nil
	}
	return nil, fmt.Errorf("the checkpoint held for %s keeps changing; try again", got.Origin)
}

// Cosignatures returns the signature lines of the witness in a checkpoint
// it co-signed: what a tlog-witness add-checkpoint answers.
func (w *Witness) Cosignatures(cosigned []byte) []byte {
	i := bytes.LastIndex(cosigned, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	sigs := cosigned[i+2:]
	var out []byte
	prefix := []byte("\u2014 " + w.Name() + " ")
	for line := range bytes.Lines(sigs) {
		if bytes.HasPrefix(line, prefix) {
			out = append(out, line...)
		}
	}
	return out
}

// refuse keeps the evidence and returns the refusal.
func (w *Witness) refuse(heldNote, cp []byte, held, got *checkpoint.Checkpoint, p *merkle.ConsistencyProof, why error) error {
	e := &RefusedError{Origin: got.Origin, Held: held, Got: got, Reason: why.Error()}
	proof := canon.NullValue()
	if p != nil {
		if v, err := canon.Parse(p.Encode()); err == nil {
			proof = v
		}
	}
	evidence := canon.Compact(canon.ObjectValue(
		canon.Member{Key: "origin", Value: canon.StringValue(got.Origin)},
		canon.Member{Key: "refused_at", Value: canon.StringValue(w.now().UTC().Format(time.RFC3339))},
		canon.Member{Key: "reason", Value: canon.StringValue(e.Reason)},
		canon.Member{Key: "held", Value: canon.StringValue(string(heldNote))},
		canon.Member{Key: "checkpoint", Value: canon.StringValue(string(cp))},
		canon.Member{Key: "consistency_proof", Value: proof},
	))
	if where, err := w.store.Refused(got.Origin, append(evidence, '\n')); err == nil {
		e.Evidence = where
	} else {
		e.Reason += fmt.Sprintf(" (and the evidence could not be kept: %v)", err)
	}
	return e
}

// CosignatureVerifier returns the verifier of cosignatures made with the
// witness key whose verifier key is vkey (as `nono trust keygen --note`
// prints it), for checking a co-signed checkpoint.
func CosignatureVerifier(vkey string) (note.Verifier, error) {
	v, err := notes.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, fmt.Errorf("witness verifier key %.80q: %w", vkey, err)
	}
	return v, nil
}
