package attest

import "github.com/nono-audit/nono/lib/canon"

// Trust levels of a valid attestation.
const (
	// trustSelfAttested: the signature is valid under the public key that
	// session.json itself names. Whoever can rewrite the session can also
	// re-sign it, so this proves consistency, not origin.
	trustSelfAttested = "self-attested"
	// trustPinned: the signature is valid and the signer is the key the
	// verifier supplied (--public-key-file).
	trustPinned = "pinned"
)

// Result is the attestation part of a session verification: upstream's
// object (spec signing.md §7.3) followed by two keys of ours.
type Result struct {
	Present       bool
	PredicateType *string
	KeyID         *string
	// The four match flags are all-or-nothing, as upstream's are: all true
	// when every check passed, all false after any failure.
	KeyIDMatches      bool
	SignatureVerified bool
	MerkleRootMatches bool
	SessionIDMatches  bool
	// ExpectedPublicKeyMatches is nil without a pinned key, and also when
	// a check before the key comparison failed.
	ExpectedPublicKeyMatches *bool
	// VerificationError is "" on success (null in JSON).
	VerificationError string

	// Trust is trustPinned or trustSelfAttested when the attestation is
	// valid, "" (null) otherwise.
	Trust string
	// FailedCheck names the check that failed ("" when none did), e.g.
	// "signature", "event_count", "command"; docs/SIGNING.md lists them.
	FailedCheck string
}

// Value is the result as ordered JSON: present, predicate_type, key_id,
// key_id_matches, signature_verified, merkle_root_matches,
// session_id_matches, expected_public_key_matches, verification_error
// (upstream's keys, in its order), then trust and failed_check.
func (r *Result) Value() canon.Value {
	return canon.ObjectValue(
		canon.Member{Key: "present", Value: canon.BoolValue(r.Present)},
		canon.Member{Key: "predicate_type", Value: optString(r.PredicateType)},
		canon.Member{Key: "key_id", Value: optString(r.KeyID)},
		canon.Member{Key: "key_id_matches", Value: canon.BoolValue(r.KeyIDMatches)},
		canon.Member{Key: "signature_verified", Value: canon.BoolValue(r.SignatureVerified)},
		canon.Member{Key: "merkle_root_matches", Value: canon.BoolValue(r.MerkleRootMatches)},
		canon.Member{Key: "session_id_matches", Value: canon.BoolValue(r.SessionIDMatches)},
		canon.Member{Key: "expected_public_key_matches", Value: optBool(r.ExpectedPublicKeyMatches)},
		canon.Member{Key: "verification_error", Value: nullIfEmpty(r.VerificationError)},
		canon.Member{Key: "trust", Value: nullIfEmpty(r.Trust)},
		canon.Member{Key: "failed_check", Value: nullIfEmpty(r.FailedCheck)},
	)
}

// OK is upstream's verdict: no attestation and nothing asked of one, or
// all four flags true and the pinned key (if any) matched.
func (r *Result) OK() bool {
	if !r.Present {
		return r.VerificationError == ""
	}
	return r.KeyIDMatches && r.SignatureVerified && r.MerkleRootMatches && r.SessionIDMatches &&
		(r.ExpectedPublicKeyMatches == nil || *r.ExpectedPublicKeyMatches)
}

// fail records the first failure; later calls are ignored.
func (r *Result) fail(check, msg string) {
	if r.VerificationError != "" {
		return
	}
	r.FailedCheck, r.VerificationError = check, msg
	r.KeyIDMatches, r.SignatureVerified, r.MerkleRootMatches, r.SessionIDMatches = false, false, false, false
	r.Trust = ""
}

func optString(p *string) canon.Value {
	if p == nil {
		return canon.NullValue()
	}
	return canon.StringValue(*p)
}

func optBool(p *bool) canon.Value {
	if p == nil {
		return canon.NullValue()
	}
	return canon.BoolValue(*p)
}

func nullIfEmpty(s string) canon.Value {
	if s == "" {
		return canon.NullValue()
	}
	return canon.StringValue(s)
}
