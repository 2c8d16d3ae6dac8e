// Package dsse holds the signing formats of nono's audit attestation, byte
// for byte as upstream nono writes them: ECDSA P-256 keys and their
// encodings, key references, the in-toto statement about an audit
// session, the DSSE envelope and its pre-authentication encoding, and the
// sigstore bundle (v0.3 JSON) that carries it.
//
// The package knows formats only; what an attestation means for a session
// directory, and how it is verified against one, is lib/attest.
package dsse

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strconv"
)

// Fixed names of the format.
const (
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// StatementType is the in-toto statement `_type`.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateType marks a nono audit-session attestation.
	PredicateType = "https://nono.sh/attestation/audit-session/alpha"
	// subjectPrefix starts the subject name; the session ID follows.
	subjectPrefix = "audit-session:"
	// bundleMediaType is the sigstore bundle version written.
	bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// SignerKeyed is the only signer kind nono writes.
	SignerKeyed = "keyed"
	// predicateVersion is the predicate's `version`.
	predicateVersion = 1
)

// pae is DSSE's pre-authentication encoding, the bytes actually signed:
// "DSSEv1" SP len(type) SP type SP len(payload) SP payload, lengths in
// decimal ASCII. Binding the type and both lengths into the signed bytes
// means a signature over one (type, payload) pair can never be read as a
// signature over another.
func pae(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, 32+len(payloadType)+len(payload))
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// Sign returns the ASN.1 DER ECDSA signature over SHA-256(pae). Nonces
// are random, so two signatures of the same payload differ.
func Sign(priv *ecdsa.PrivateKey, payloadType string, payload []byte) ([]byte, error) {
	digest := sha256.Sum256(pae(payloadType, payload))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		return nil, fmt.Errorf("sign DSSE payload: %w", err)
	}
	return sig, nil
}

// Verify reports whether sig is a valid ASN.1 DER ECDSA signature by pub
// over SHA-256(pae(payloadType, payload)). High-S signatures are valid,
// as they are for upstream's verifier.
func Verify(pub *ecdsa.PublicKey, payloadType string, payload, sig []byte) bool {
	digest := sha256.Sum256(pae(payloadType, payload))
	return ecdsa.VerifyASN1(pub, digest[:], sig)
}
