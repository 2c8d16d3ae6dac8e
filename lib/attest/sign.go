// Package attest is nono's audit-session attestation: a once-per-session
// signature, made after the run, over the session's final Merkle root and
// its context (ID, times, redacted command, redaction policy, event count,
// chain head). It answers one question: did a holder of this key attest to
// this completed session?
//
// Building and signing are here; the byte formats (statement, DSSE,
// bundle, keys) are lib/dsse. Verification follows upstream nono's
// eighteen checks in their order and with their messages, then adds the
// checks upstream leaves out (see VerifySession).
package attest

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/redact"
	"github.com/nono-audit/nono/lib/session"
)

// statement builds the statement nono signs for a completed session. The
// command is scrubbed again with the session's recorded redaction policy
// (policy: the session_started diff, Null for the secure default) under
// the Default rules; since every scrubber output is a fixed point, this
// changes nothing for a session nono recorded, and a session.json whose
// command would change is refused rather than signed with a command that
// differs from the record. The policy diff goes into the predicate as
// recorded.
func statement(s *session.Session, policy canon.Value, keyID string) (*dsse.Statement, error) {
	if err := session.ValidateID(s.SessionID); err != nil {
		return nil, err
	}
	in := s.AuditIntegrity
	if in == nil {
		return nil, fmt.Errorf("Signing failed for %s: audit attestation requires audit integrity to be enabled", s.SessionID)
	}
	if s.Ended == nil {
		return nil, fmt.Errorf("session %s has not ended: only a completed session can be signed", s.SessionID)
	}
	if in.HashAlgorithm != "sha256" {
		return nil, fmt.Errorf("session %s: audit_integrity.hash_algorithm is %q, want \"sha256\"", s.SessionID, in.HashAlgorithm)
	}
	head, err := hexHash("audit_integrity.chain_head", in.ChainHead)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", s.SessionID, err)
	}
	root, err := hexHash("audit_integrity.merkle_root", in.MerkleRoot)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", s.SessionID, err)
	}
	if policy.Kind != canon.Null && policy.Kind != canon.Object {
		return nil, fmt.Errorf("session %s: redaction policy is %s, want an object", s.SessionID, policy.Kind)
	}
	p, err := redact.PolicyFromDiff(policy)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", s.SessionID, err)
	}
	// Re-scrub as upstream does, with upstream's rules: a command recorded
	// under either rule set is a fixed point of them, so this only ever
	// catches a command that was stored unredacted.
	command := p.ScrubArgv(redact.Upstream, s.Command)
	if !slices.Equal(command, s.Command) {
		return nil, refuse("session %s: session.json command is not redacted under the session's policy; refusing to sign it", s.SessionID)
	}
	return dsse.NewStatement(dsse.Predicate{
		SessionID:       s.SessionID,
		Started:         s.Started,
		Ended:           s.Ended,
		Command:         command,
		RedactionPolicy: policy,
		AuditLog: dsse.AuditLog{
			HashAlgorithm: in.HashAlgorithm,
			EventCount:    in.EventCount,
			ChainHead:     head,
			MerkleRoot:    root,
		},
		Signer: dsse.Signer{Kind: dsse.SignerKeyed, KeyID: keyID},
	}), nil
}

// hexHash checks a 64-digit hex hash and returns it in lowercase, the
// form upstream re-encodes every hash in.
func hexHash(name, s string) (string, error) {
	if len(s) != 64 {
		return "", fmt.Errorf("%s %q is not a 64-digit hex hash", name, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return "", fmt.Errorf("%s %q is not a 64-digit hex hash", name, s)
		}
	}
	return strings.ToLower(s), nil
}

// Sign signs the statement of a completed session and returns the bundle
// and the session.json summary that points at it.
func Sign(s *session.Session, policy canon.Value, key *ecdsa.PrivateKey) (*dsse.Bundle, *session.Attestation, error) {
	pubText, err := dsse.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	keyID := dsse.KeyID(&key.PublicKey)
	st, err := statement(s, policy, keyID)
	if err != nil {
		return nil, nil, err
	}
	payload := st.Encode()
	sig, err := dsse.Sign(key, dsse.PayloadType, payload)
	if err != nil {
		return nil, nil, err
	}
	// A fault while signing must not leave a record that can never verify.
	if !dsse.Verify(&key.PublicKey, dsse.PayloadType, payload, sig) {
		return nil, nil, errors.New("the new signature does not verify")
	}
	return dsse.NewBundle(keyID, payload, sig), &session.Attestation{
		PredicateType:  dsse.PredicateType,
		KeyID:          keyID,
		PublicKey:      pubText,
		BundleFilename: session.BundleFileName,
	}, nil
}

// refusalError is a session whose record contradicts itself or its log
// (a command stored unredacted, totals that are not the log's): it is not
// signed. It is a verdict on the session (exit status 1, lib/cli).
type refusalError struct{ Msg string }

func (e *refusalError) Error() string { return e.Msg }
func (e *refusalError) Verdict() bool { return true }

func refuse(format string, args ...any) error {
	return &refusalError{Msg: fmt.Sprintf(format, args...)}
}

// errAlreadySigned refuses to sign a session twice without being told to.
var errAlreadySigned = errors.New("session is already signed")

// SignSession signs the completed session in dir: it reads session.json,
// verifies that the event log adds up to its audit_integrity, reads the
// redaction policy from the log's session_started event, writes
// dir/audit-attestation.bundle atomically (mode 0600) and then sets
// audit_attestation in session.json. A session that already has an
// attestation is refused unless resign is set. If session.json changed
// between reading and updating in any field the statement covers, nothing
// is recorded.
func SignSession(dir string, key *ecdsa.PrivateKey, resign bool) (*session.Attestation, error) {
	s, err := session.Read(dir)
	if err != nil {
		return nil, err
	}
	if s.AuditAttestation != nil && !resign {
		return nil, fmt.Errorf("session %s: %w (key %s); re-sign with --force", s.SessionID, errAlreadySigned, s.AuditAttestation.KeyID)
	}
	if s.AuditIntegrity == nil {
		// Upstream's message, before the log is even looked at.
		_, err := statement(s, canon.NullValue(), "")
		return nil, err
	}
	policy, err := ReadLog(filepath.Join(dir, session.EventsFileName), s)
	if err != nil {
		return nil, err
	}
	bundle, att, err := Sign(s, policy, key)
	if err != nil {
		return nil, err
	}
	bundlePath := filepath.Join(dir, att.BundleFilename)
	if err := atomicfile.WriteFile(bundlePath, bundle.Encode(), 0o600); err != nil {
		return nil, err
	}
	err = session.Update(dir, func(cur *session.Session) error {
		if !sameSignedFields(s, cur) {
			return fmt.Errorf("session %s changed while it was being signed", s.SessionID)
		}
		cur.AuditAttestation = att
		return nil
	})
	if err != nil {
		if s.AuditAttestation == nil {
			os.Remove(bundlePath)
		}
		return nil, err
	}
	return att, nil
}

// sameSignedFields reports whether b still holds what was signed from a.
func sameSignedFields(a, b *session.Session) bool {
	endedEq := (a.Ended == nil) == (b.Ended == nil) && (a.Ended == nil || *a.Ended == *b.Ended)
	return a.SessionID == b.SessionID && a.Started == b.Started && endedEq &&
		slices.Equal(a.Command, b.Command) && b.AuditIntegrity != nil && canon.Equal(a.AuditIntegrity.Value(), b.AuditIntegrity.Value())
}

// ReadLog checks the event log at path against s (see checkLog) and
// returns the redaction policy its session_started event recorded.
func ReadLog(path string, s *session.Session) (canon.Value, error) {
	if s.AuditIntegrity == nil {
		_, err := statement(s, canon.NullValue(), "")
		return canon.Value{}, err
	}
	if err := checkLog(path, s); err != nil {
		return canon.Value{}, err
	}
	policy, err := readStartedPolicy(path)
	if err != nil {
		return canon.Value{}, fmt.Errorf("read the session's redaction policy: %w", err)
	}
	return policy, nil
}

// checkLog verifies the event log and refuses a session whose
// audit_integrity is not what the log adds up to: an attestation must
// never vouch for a summary its own log contradicts. nono-py records and
// a truncated final record are accepted as nono-merkle accepts them; only
// the totals have to agree.
func checkLog(path string, s *session.Session) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("verify the event log: %w", err)
	}
	defer f.Close()
	res, err := chain.Verify(f, chain.Options{Lenient: true, AllowPartialTail: true})
	if err != nil {
		return fmt.Errorf("verify the event log %s: %w", path, err)
	}
	in := s.AuditIntegrity
	switch {
	case res.ChainHead == nil:
		return refuse("session %s: the event log %s is empty; refusing to sign", s.SessionID, path)
	case res.EventCount != in.EventCount:
		return refuse("session %s: audit_integrity.event_count is %d but the event log holds %d records; refusing to sign", s.SessionID, in.EventCount, res.EventCount)
	case !strings.EqualFold(merkle.Hex(*res.ChainHead), in.ChainHead):
		return refuse("session %s: audit_integrity.chain_head is not the event log's chain head; refusing to sign", s.SessionID)
	case !strings.EqualFold(merkle.Hex(*res.MerkleRoot), in.MerkleRoot):
		return refuse("session %s: audit_integrity.merkle_root is not the event log's Merkle root; refusing to sign", s.SessionID)
	}
	return nil
}
