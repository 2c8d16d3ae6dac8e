package attest

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/dsse"
)

// Expect is what an off-device verifier pins: the session and its Merkle
// root always; the event count and chain head when known.
type Expect struct {
	SessionID  string
	MerkleRoot string  // 64 hex digits, either case
	EventCount *uint64 // nil: not checked
	ChainHead  string  // "": not checked
}

// BundleResult is the verdict on a bundle verified without its session
// directory.
type BundleResult struct {
	KeyID       string          // of the pinned key
	Statement   *dsse.Statement // the signed statement, when it parsed
	FailedCheck string          // "" when valid
	Error       string          // "" when valid
}

// Valid reports whether every check passed.
func (r *BundleResult) Valid() bool { return r.FailedCheck == "" }

func (r *BundleResult) fail(check, format string, args ...any) *BundleResult {
	r.FailedCheck, r.Error = check, fmt.Sprintf(format, args...)
	return r
}

// Value is the result as ordered JSON: valid, trust ("pinned" when valid),
// key_id, the attested session_id, merkle_root, event_count, chain_head,
// started, ended and command (null when the statement did not verify),
// failed_check and verification_error.
func (r *BundleResult) Value() canon.Value {
	m := []canon.Member{
		{Key: "valid", Value: canon.BoolValue(r.Valid())},
		{Key: "trust", Value: canon.NullValue()},
		{Key: "key_id", Value: canon.StringValue(r.KeyID)},
	}
	if r.Valid() {
		m[1].Value = canon.StringValue(trustPinned)
	}
	null := canon.NullValue()
	fields := []canon.Member{
		{Key: "session_id", Value: null}, {Key: "merkle_root", Value: null}, {Key: "event_count", Value: null},
		{Key: "chain_head", Value: null}, {Key: "started", Value: null}, {Key: "ended", Value: null},
		{Key: "command", Value: null},
	}
	if st := r.Statement; st != nil {
		p := st.Predicate
		fields[0].Value = canon.StringValue(p.SessionID)
		fields[1].Value = canon.StringValue(p.AuditLog.MerkleRoot)
		fields[2].Value = canon.UintValue(p.AuditLog.EventCount)
		fields[3].Value = canon.StringValue(p.AuditLog.ChainHead)
		fields[4].Value = canon.StringValue(p.Started)
		if p.Ended != nil {
			fields[5].Value = canon.StringValue(*p.Ended)
		}
		fields[6].Value = canon.StringsValue(p.Command)
	}
	m = append(m, fields...)
	m = append(m,
		canon.Member{Key: "failed_check", Value: nullIfEmpty(r.FailedCheck)},
		canon.Member{Key: "verification_error", Value: nullIfEmpty(r.Error)},
	)
	return canon.ObjectValue(m...)
}

// VerifyBundle verifies a bundle alone, off-device: against a pinned
// public key (the bundle carries only the key's id, never the key) and
// the expected session ID and Merkle root (and event count and chain head
// when given). The checks, first failure winning: the bundle parses; it
// holds a DSSE envelope with payloadType in-toto and exactly one
// signature; its key material is a public key, not a certificate; the
// signature verifies under the pinned key; the signed statement is a
// well-formed nono audit-session statement (dsse.ParseStatement); its
// signer is the pinned key; and its root, session ID, event count and
// chain head are the expected ones. Session-directory checks (started,
// ended, command and policy against session.json and the log) cannot
// apply here; the result reports the attested values instead.
func VerifyBundle(data []byte, pub *ecdsa.PublicKey, want Expect) *BundleResult {
	r := &BundleResult{KeyID: dsse.KeyID(pub)}
	root, err := hexHash("expected Merkle root", want.MerkleRoot)
	if err != nil {
		return r.fail("merkle_root", "%v", err)
	}
	head := ""
	if want.ChainHead != "" {
		if head, err = hexHash("expected chain head", want.ChainHead); err != nil {
			return r.fail("chain_head", "%v", err)
		}
	}
	b, err := dsse.ParseBundle(data)
	if err != nil {
		return r.fail("bundle", "failed to parse bundle: %v", err)
	}
	env := b.Envelope
	switch {
	case env == nil:
		return r.fail("payload", "bundle holds no DSSE envelope")
	case env.PayloadType != dsse.PayloadType:
		return r.fail("payload_type", "bundle payloadType is %q, want %q", env.PayloadType, dsse.PayloadType)
	case len(env.Signatures) != 1:
		return r.fail("signature_count", "bundle holds %d signatures, want exactly 1", len(env.Signatures))
	case b.HasCertificate:
		return r.fail("signer", "audit attestation must be keyed")
	}
	if !dsse.Verify(pub, dsse.PayloadType, env.Payload, env.Signatures[0].Sig) {
		return r.fail("signature", "signature does not verify under the pinned public key %s", r.KeyID)
	}
	st, err := dsse.ParseStatement(env.Payload)
	if err != nil {
		return r.fail("statement", "invalid audit attestation statement: %v", err)
	}
	r.Statement = st
	p := st.Predicate
	switch {
	case p.Signer.KeyID != r.KeyID:
		return r.fail("signer_key_id", "statement names signer %s, but the pinned key is %s", p.Signer.KeyID, r.KeyID)
	case st.Subject.SHA256 != root:
		return r.fail("merkle_root", "attested Merkle root %s, expected %s", st.Subject.SHA256, root)
	case p.SessionID != want.SessionID:
		return r.fail("session_id", "attested session %s, expected %s", p.SessionID, want.SessionID)
	case want.EventCount != nil && p.AuditLog.EventCount != *want.EventCount:
		return r.fail("event_count", "attested event_count %d, expected %d", p.AuditLog.EventCount, *want.EventCount)
	case head != "" && p.AuditLog.ChainHead != head:
		return r.fail("chain_head", "attested chain_head %s, expected %s", p.AuditLog.ChainHead, head)
	}
	return r
}
