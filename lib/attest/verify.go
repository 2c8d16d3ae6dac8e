package attest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/session"
)

// VerifySession verifies the attestation of the session s recorded in dir.
// publicKeyFile, when not empty, pins the signer: a .pub file (base64 DER)
// or a PEM PUBLIC KEY (LF or CRLF).
//
// It runs upstream nono's checks in upstream's order, with upstream's
// messages (docs/SIGNING.md lists them), first failure winning:
//
//  1. session.json has audit_integrity
//  2. the DSSE payload is present, UTF-8 JSON, with a predicateType
//  3. predicateType is the alpha audit-session type
//  4. the signer is keyed (signed signer.key_id, else the bundle hint)
//  5. session.json public_key decodes
//  6. its SHA-256 is session.json key_id
//  7. the signer key id is session.json key_id
//  8. the pinned key, if any, is session.json's public key
//  9. the first signature verifies over PAE(in-toto type, payload)
//  10. the subject digest is the session's Merkle root
//  11. the payload has the statement shape
//  12. predicate.session_id is a string
//  13. it is the session's ID
//  14. predicate.audit_log is an object
//  15. its hash_algorithm is the session's
//  16. its event_count is the session's
//  17. its chain_head is the session's
//  18. predicate started and ended are the session's
//
// and then what upstream leaves unchecked: the envelope payloadType,
// exactly one signature, the statement read strictly (`_type`, exactly
// one subject named audit-session:<id> whose digest is audit_log's
// merkle_root, version 1, a keyed signer, lowercase hex), the signed
// signer key id (never the unsigned hint), the attested key's algorithm
// (id-ecPublicKey on P-256), session.json's predicate_type, the command
// against session.json, and the redaction policy against the log's
// session_started event. bundle_filename must be a plain file name; it is
// checked before anything is read.
//
// An error is returned only for a pinned key file that cannot be read or
// decoded (it is read only when the session has an attestation); every
// verdict, failures included, is in the Result.
func VerifySession(dir string, s *session.Session, publicKeyFile string) (*Result, error) {
	r := &Result{}
	att := s.AuditAttestation
	if att == nil {
		if publicKeyFile != "" {
			no := false
			r.ExpectedPublicKeyMatches = &no
			r.fail("attestation", "session has no audit attestation to verify against provided public key "+publicKeyFile)
		}
		return r, nil
	}
	r.Present = true
	r.PredicateType, r.KeyID = &att.PredicateType, &att.KeyID

	if err := checkBundleName(att.BundleFilename); err != nil {
		r.fail("bundle_filename", err.Error())
		return r, nil
	}
	bundlePath := filepath.Join(dir, att.BundleFilename)
	data, err := readBundle(bundlePath, unix.O_NOFOLLOW)
	if err != nil {
		r.fail("bundle", "I/O error: "+err.Error())
		return r, nil
	}
	b, err := dsse.ParseBundle(data)
	if err != nil {
		r.fail("bundle", fmt.Sprintf("Trust verification failed for %s: failed to parse bundle: JSON error: %v", bundlePath, err))
		return r, nil
	}
	var pinned []byte
	if publicKeyFile != "" {
		if pinned, _, err = dsse.ReadPublicKeyFile(publicKeyFile); err != nil {
			return nil, err
		}
	}
	v := sessionVerifier{r: r, s: s, att: att, b: b, bundlePath: bundlePath, dir: dir, pinned: pinned, pinnedGiven: publicKeyFile != ""}
	v.run()
	return r, nil
}

// checkBundleName accepts only a plain file name inside the session
// directory: upstream joins whatever session.json says onto the directory.
func checkBundleName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("invalid bundle_filename %q: want a plain file name", name)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("invalid bundle_filename %q: want a plain file name inside the session directory", name)
	}
	return nil
}

// ReadBundleFile reads a bundle a user names: a regular file (a FIFO
// would block) of at most dsse.MaxBundleSize bytes.
func ReadBundleFile(path string) ([]byte, error) { return readBundle(path, 0) }

// readBundle reads a bundle file, opened with flags added (O_NOFOLLOW for
// the bundle inside a session directory: a symlink could lead out of it).
func readBundle(path string, flags int) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|flags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, dsse.MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > dsse.MaxBundleSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, dsse.MaxBundleSize)
	}
	return data, nil
}

type sessionVerifier struct {
	r           *Result
	s           *session.Session
	att         *session.Attestation
	b           *dsse.Bundle
	bundlePath  string
	dir         string
	pinned      []byte
	pinnedGiven bool
}

func (v *sessionVerifier) trustFailed(msg string) string {
	return fmt.Sprintf("Trust verification failed for %s: %s", v.bundlePath, msg)
}

func (v *sessionVerifier) run() {
	r, s, att := v.r, v.s, v.att
	// 1
	in := s.AuditIntegrity
	if in == nil {
		r.fail("audit_integrity", "session has audit attestation metadata but no audit integrity summary")
		return
	}
	// 2
	env := v.b.Envelope
	if env == nil {
		r.fail("payload", v.trustFailed("missing DSSE payload"))
		return
	}
	if !utf8.Valid(env.Payload) {
		r.fail("payload", v.trustFailed("DSSE payload is not UTF-8: invalid utf-8 sequence"))
		return
	}
	stmt, err := canon.Parse(env.Payload)
	if err != nil {
		r.fail("payload", v.trustFailed("invalid statement JSON: "+err.Error()))
		return
	}
	pt, ok := stmt.Get("predicateType")
	if !ok || pt.Kind != canon.String {
		r.fail("payload", v.trustFailed("missing predicateType in statement"))
		return
	}
	// 3
	if pt.Str != dsse.PredicateType {
		r.fail("predicate_type", fmt.Sprintf("wrong bundle type: expected %s, got %s", dsse.PredicateType, pt.Str))
		return
	}
	// 4
	signerKeyID, keyed := signerIdentity(v.b, stmt)
	if !keyed {
		r.fail("signer", "audit attestation must be keyed")
		return
	}
	// 5
	attested, err := dsse.DecodeKeyText(att.PublicKey)
	if err != nil {
		r.fail("public_key_encoding", "invalid attested public key encoding: "+err.Error())
		return
	}
	// 6
	if got := dsse.KeyIDOf(attested); got != att.KeyID {
		r.fail("metadata_key_id", fmt.Sprintf("audit attestation metadata key mismatch: expected %s, got %s", att.KeyID, got))
		return
	}
	// 7
	if signerKeyID != att.KeyID {
		r.fail("signer_key_id", fmt.Sprintf("audit attestation signer key mismatch: expected %s, got %s", att.KeyID, signerKeyID))
		return
	}
	// 8
	if v.pinnedGiven {
		match := bytes.Equal(v.pinned, attested)
		r.ExpectedPublicKeyMatches = &match
		if !match {
			r.fail("pinned_key", "provided public key does not match the attested signer key")
			return
		}
	}
	// 9
	if len(env.Signatures) == 0 {
		r.fail("signature", v.trustFailed("missing DSSE signature"))
		return
	}
	pub, err := dsse.ParsePublicKeyPoint(attested)
	if err != nil {
		r.fail("signature", v.trustFailed("invalid public key: "+err.Error()))
		return
	}
	if !dsse.Verify(pub, dsse.PayloadType, env.Payload, env.Signatures[0].Sig) {
		r.fail("signature", v.trustFailed("ECDSA signature verification failed: Verification error: ECDSA P-256 SHA-256 signature invalid"))
		return
	}
	// 10
	digest, ok := firstSubjectDigest(stmt)
	if !ok {
		r.fail("merkle_root", v.trustFailed("no sha256 digest in statement subject"))
		return
	}
	if digest != strings.ToLower(in.MerkleRoot) {
		r.fail("merkle_root", "audit attestation Merkle root does not match session integrity summary")
		return
	}
	// 11
	if err := checkStatementShape(stmt); err != nil {
		r.fail("statement", "Trust verification failed for : invalid audit attestation statement JSON: "+err.Error())
		return
	}
	pred, _ := stmt.Get("predicate")
	// 12, 13
	sid, ok := pred.Get("session_id")
	if !ok || sid.Kind != canon.String {
		r.fail("session_id", "audit attestation predicate missing session_id")
		return
	}
	if sid.Str != s.SessionID {
		r.fail("session_id", fmt.Sprintf("audit attestation session_id mismatch: expected %s, got %s", s.SessionID, sid.Str))
		return
	}
	// 14–17
	log, ok := pred.Get("audit_log")
	if !ok || log.Kind != canon.Object {
		r.fail("audit_log", "audit attestation predicate missing audit_log")
		return
	}
	if ha, _ := log.Get("hash_algorithm"); ha.Kind != canon.String || ha.Str != in.HashAlgorithm {
		r.fail("hash_algorithm", "audit attestation hash_algorithm does not match session integrity summary")
		return
	}
	if ec, _ := log.Get("event_count"); !uintEquals(ec, in.EventCount) {
		r.fail("event_count", "audit attestation event_count does not match session integrity summary")
		return
	}
	if ch, _ := log.Get("chain_head"); ch.Kind != canon.String || ch.Str != strings.ToLower(in.ChainHead) {
		r.fail("chain_head", "audit attestation chain_head does not match session integrity summary")
		return
	}
	// 18
	started, _ := pred.Get("started")
	ended, _ := pred.Get("ended")
	endedOK := ended.Kind != canon.String && s.Ended == nil || ended.Kind == canon.String && s.Ended != nil && ended.Str == *s.Ended
	if started.Kind != canon.String || started.Str != s.Started || !endedOK {
		r.fail("timestamps", "audit attestation timestamps do not match session metadata")
		return
	}

	// What upstream does not check.
	if env.PayloadType != dsse.PayloadType {
		r.fail("payload_type", fmt.Sprintf("bundle payloadType is %q, want %q", env.PayloadType, dsse.PayloadType))
		return
	}
	if n := len(env.Signatures); n != 1 {
		r.fail("signature_count", fmt.Sprintf("bundle holds %d signatures, want exactly 1", n))
		return
	}
	st, err := dsse.ParseStatement(env.Payload)
	if err != nil {
		r.fail("statement", "invalid audit attestation statement: "+err.Error())
		return
	}
	if st.Predicate.Signer.KeyID != att.KeyID {
		r.fail("signer_key_id", fmt.Sprintf("audit attestation signer key mismatch: expected %s, got %s (signed predicate)", att.KeyID, st.Predicate.Signer.KeyID))
		return
	}
	if _, err := dsse.ParsePublicKey(attested); err != nil {
		r.fail("public_key_algorithm", "attested public key: "+err.Error())
		return
	}
	if att.PredicateType != dsse.PredicateType {
		r.fail("predicate_type", fmt.Sprintf("session.json audit_attestation.predicate_type is %q, want %q", att.PredicateType, dsse.PredicateType))
		return
	}
	if !slices.Equal(st.Predicate.Command, s.Command) {
		r.fail("command", "audit attestation command does not match session.json command")
		return
	}
	policy, err := readStartedPolicy(filepath.Join(v.dir, session.EventsFileName))
	if err != nil {
		r.fail("redaction_policy", "cannot read the recorded redaction policy: "+err.Error())
		return
	}
	if !canon.Equal(st.Predicate.RedactionPolicy, policy) {
		r.fail("redaction_policy", "audit attestation redaction_policy does not match the session_started event")
		return
	}

	r.KeyIDMatches, r.SignatureVerified, r.MerkleRootMatches, r.SessionIDMatches = true, true, true, true
	ptype := dsse.PredicateType
	r.PredicateType = &ptype
	r.Trust = TrustSelfAttested
	if v.pinnedGiven {
		r.Trust = TrustPinned
	}
}

// signerIdentity is upstream's step 4 for public-key material: the signed
// predicate.signer.key_id when the payload is a valid statement with a
// keyed signer, else the bundle's (unsigned) hint. Certificate material or
// a keyless signer is not keyed.
func signerIdentity(b *dsse.Bundle, stmt canon.Value) (keyID string, keyed bool) {
	if b.HasCertificate || !b.HasPublicKey {
		return "", false
	}
	if validStatement(stmt) {
		pred, _ := stmt.Get("predicate")
		signer, _ := pred.Get("signer")
		kind, _ := signer.Get("kind")
		if kind.Kind == canon.String {
			switch kind.Str {
			case "keyless":
				return "", false
			case dsse.SignerKeyed:
				if id, ok := signer.Get("key_id"); ok && id.Kind == canon.String {
					return id.Str, true
				}
			}
		}
	}
	return b.KeyHint, true
}

// validStatement is sigstore's statement validation upstream applies in
// step 4: `_type` Statement/v1 and at least one subject, each with a
// non-empty name and a sha256 digest.
func validStatement(stmt canon.Value) bool {
	if t, _ := stmt.Get("_type"); t.Kind != canon.String || t.Str != dsse.StatementType {
		return false
	}
	subjects, _ := stmt.Get("subject")
	if subjects.Kind != canon.Array || len(subjects.Elems) == 0 {
		return false
	}
	for _, sub := range subjects.Elems {
		name, _ := sub.Get("name")
		digest, _ := sub.Get("digest")
		if name.Kind != canon.String || name.Str == "" {
			return false
		}
		if _, ok := digest.Get("sha256"); !ok {
			return false
		}
	}
	return true
}

// firstSubjectDigest is subject[0].digest.sha256 as a string.
func firstSubjectDigest(stmt canon.Value) (string, bool) {
	subjects, _ := stmt.Get("subject")
	if subjects.Kind != canon.Array || len(subjects.Elems) == 0 {
		return "", false
	}
	digest, _ := subjects.Elems[0].Get("digest")
	d, ok := digest.Get("sha256")
	if !ok || d.Kind != canon.String {
		return "", false
	}
	return d.Str, true
}

// checkStatementShape is upstream's typed read of the statement (step
// 11): `_type` a string, subjects each with a name and a map of string
// digests, predicateType a string, a predicate of any JSON type.
func checkStatementShape(stmt canon.Value) error {
	if stmt.Kind != canon.Object {
		return fmt.Errorf("statement is %s, want an object", stmt.Kind)
	}
	if t, ok := stmt.Get("_type"); !ok || t.Kind != canon.String {
		return fmt.Errorf("missing or non-string field `_type`")
	}
	subjects, ok := stmt.Get("subject")
	if !ok || subjects.Kind != canon.Array {
		return fmt.Errorf("missing or non-array field `subject`")
	}
	for i, sub := range subjects.Elems {
		if name, ok := sub.Get("name"); !ok || name.Kind != canon.String {
			return fmt.Errorf("subject[%d]: missing or non-string field `name`", i)
		}
		digest, ok := sub.Get("digest")
		if !ok || digest.Kind != canon.Object {
			return fmt.Errorf("subject[%d]: missing or non-object field `digest`", i)
		}
		for _, m := range digest.Members {
			if m.Value.Kind != canon.String {
				return fmt.Errorf("subject[%d].digest.%s is %s, want a string", i, m.Key, m.Value.Kind)
			}
		}
	}
	if _, ok := stmt.Get("predicate"); !ok {
		return fmt.Errorf("missing field `predicate`")
	}
	return nil
}

func uintEquals(v canon.Value, want uint64) bool {
	n, ok := v.Uint()
	return ok && n == want
}
