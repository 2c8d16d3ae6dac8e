// Package offline verifies what a log committed to, away from the device
// that recorded it: alpha records, the totals they add up to against
// totals pinned elsewhere (a summary line, session.json's
// audit_integrity, a note), inclusion and consistency proofs, and an
// attestation bundle under a pinned key. Without records, proofs and a
// bundle are checked against the pinned totals alone.
package offline

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/merkle"
)

// Request is what to verify.
type Request struct {
	// Records is the log; nil checks the proofs and the bundle against
	// Pins alone, which must then hold the count and the root.
	Records io.Reader
	Name    string // of the records, for messages
	Pins    chain.Pins
	// Chain says how records are verified. A torn final record fails
	// unless AllowPartialTail is set.
	Chain chain.Options

	Inclusion   *Inclusion
	Consistency *Consistency
	Bundle      *Bundle
}

// Inclusion is an inclusion proof to check against the log's totals.
type Inclusion struct {
	Name  string
	Proof *merkle.InclusionProof
}

// Consistency is a consistency proof from an earlier head (OldCount,
// OldRoot) to the log's totals.
type Consistency struct {
	Name     string
	Proof    *merkle.ConsistencyProof
	OldCount uint64
	OldRoot  merkle.Hash
}

// Bundle is an attestation bundle that must attest to the log's totals
// and SessionID under PublicKey.
type Bundle struct {
	Name      string
	Data      []byte
	PublicKey *ecdsa.PublicKey
	SessionID string
}

// Report is the outcome of Verify.
type Report struct {
	req *Request
	// Result is the verified log; nil without records.
	Result *chain.Result
	// Totals are what the proofs and the bundle were checked against: the
	// log's own when records were read (they equal any pins), else the
	// pins.
	Totals chain.Pins
	// Bundle is the bundle's verdict, when one was checked.
	Bundle *attest.BundleResult
	// Err is the verdict when something does not verify, nil when all
	// does: a *chain.RecordError, a *chain.TornError, a
	// *chain.MismatchError (totals or a proof) or a *BundleError.
	Err error

	logErr error // Err unwrapped, as chain.Report takes it
}

// BundleError is a bundle that does not verify.
type BundleError struct {
	Name   string
	Result *attest.BundleResult
}

func (e *BundleError) Error() string { return e.Name + ": " + e.Result.Error }

// Verdict reports true: the bundle is invalid (exit status 1, lib/cli).
func (e *BundleError) Verdict() bool { return true }

// Verify checks everything req asks for, first failure winning: the
// records, the totals against the pins, the proofs, the bundle. Whatever
// does not verify is in the report's Err; the error returned is for
// input that could not be read at all, or is not a log (*NotLogError).
func Verify(req *Request) (*Report, error) {
	r := &Report{req: req, Totals: req.Pins}
	if req.Records != nil {
		in := NewInput(req.Records)
		res, err := chain.Verify(in, req.Chain)
		if nl := (*NotLogError)(nil); errors.As(in.Classify(req.Name, err), &nl) {
			return nil, nl
		}
		var re *chain.RecordError
		var te *chain.TornError
		if err != nil && !errors.As(err, &re) && !errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %w", req.Name, err)
		}
		r.Result = res
		if err == nil {
			err = req.Pins.Check(res)
		}
		if err == nil {
			n := res.EventCount
			r.Totals = chain.Pins{Count: &n, Head: res.ChainHead, Root: res.MerkleRoot}
			err = r.checkProofs()
		}
		if err != nil {
			r.logErr, r.Err = err, fmt.Errorf("%s: %w", req.Name, err)
			return r, nil
		}
	} else if r.Err = r.checkProofs(); r.Err != nil {
		return r, nil
	}
	if b := req.Bundle; b != nil {
		r.Bundle = attest.VerifyBundle(b.Data, b.PublicKey, attest.Expect{
			SessionID:  b.SessionID,
			MerkleRoot: optHex(r.Totals.Root),
			EventCount: r.Totals.Count,
			ChainHead:  optHex(r.Totals.Head),
		})
		if !r.Bundle.Valid() {
			r.Err = &BundleError{Name: b.Name, Result: r.Bundle}
		}
	}
	return r, nil
}

// checkProofs checks the proofs against the totals. A proof that does not
// hold, or that needs a tree an empty log does not have, is a
// *chain.MismatchError.
func (r *Report) checkProofs() error {
	in, co := r.req.Inclusion, r.req.Consistency
	if in == nil && co == nil {
		return nil
	}
	t := r.Totals
	if t.Count == nil || *t.Count == 0 || t.Root == nil {
		return &chain.MismatchError{Msg: "an empty log includes nothing and extends nothing"}
	}
	if in != nil {
		if err := merkle.VerifyInclusion(in.Proof, *t.Count, *t.Root); err != nil {
			return &chain.MismatchError{Msg: fmt.Sprintf("inclusion proof %s: %v", in.Name, err)}
		}
	}
	if co != nil {
		if err := merkle.VerifyConsistency(co.Proof, co.OldCount, co.OldRoot, *t.Count, *t.Root); err != nil {
			return &chain.MismatchError{Msg: fmt.Sprintf("consistency proof %s: %v", co.Name, err)}
		}
	}
	return nil
}

// Warnings are notes on what verified only thanks to a relaxed rule.
func (r *Report) Warnings() []string {
	var w []string
	for _, m := range r.Result.Warnings() {
		w = append(w, r.req.Name+": "+m)
	}
	return w
}

// Value is the JSON report. With a bundle it is the bundle's verdict
// (attest.BundleResult.Value), printed only once the records verified;
// with records, upstream's verification result (chain.Report), also when
// invalid; with proofs alone, which proofs verified.
func (r *Report) Value() (canon.Value, bool) {
	switch {
	case r.Bundle != nil:
		return r.Bundle.Value(), true
	case r.Result != nil && r.req.Bundle == nil:
		return chain.Report(r.Result, r.req.Pins, r.logErr), true
	case r.Err != nil || r.req.Records != nil:
		return canon.Value{}, false
	}
	var m []canon.Member
	if r.req.Inclusion != nil {
		m = append(m, canon.Member{Key: "inclusion_proof_verified", Value: canon.BoolValue(true)})
	}
	if r.req.Consistency != nil {
		m = append(m, canon.Member{Key: "consistency_proof_verified", Value: canon.BoolValue(true)})
	}
	return canon.ObjectValue(m...), true
}

// Text is the one-line human verdict of a valid request.
func (r *Report) Text() string {
	switch {
	case r.Bundle != nil:
		p := r.Bundle.Statement.Predicate
		return fmt.Sprintf("%s: verified: session %s, %d events, root %s, signed by pinned key %s",
			r.req.Bundle.Name, p.SessionID, p.AuditLog.EventCount, p.AuditLog.MerkleRoot, r.Bundle.KeyID)
	case r.Result != nil:
		res := r.Result
		head, root := "-", "-"
		if res.ChainHead != nil {
			head, root = merkle.Hex(*res.ChainHead), merkle.Hex(*res.MerkleRoot)
		}
		msg := fmt.Sprintf("verified %d records: chain head %s, Merkle root %s", res.EventCount, head, root)
		if r.req.Pins.Any() {
			msg += " (pinned totals match)"
		}
		return msg
	}
	msg := "verified"
	if r.req.Inclusion != nil {
		msg += " inclusion proof"
	}
	if r.req.Consistency != nil {
		if r.req.Inclusion != nil {
			msg += " and"
		}
		msg += " consistency proof"
	}
	return msg + fmt.Sprintf(" against %d events, Merkle root %s", *r.Totals.Count, merkle.Hex(*r.Totals.Root))
}

func optHex(h *merkle.Hash) string {
	if h == nil {
		return ""
	}
	return merkle.Hex(*h)
}
