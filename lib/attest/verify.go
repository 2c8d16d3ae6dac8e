package attest

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
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
// It runs the checks of sessionChecks, upstream nono's with upstream's
// messages and the ones upstream leaves out (docs/SIGNING.md lists them
// all), first failure winning. Nothing of the signed payload is parsed
// before the signature over it has verified. bundle_filename must be a
// plain file name; it is checked before anything is read.
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
	return canon.ReadAll(f, dsse.MaxBundleSize, path)
}

// sessionVerifier holds what the checks of one session attestation
// learn, each check building on those before it.
type sessionVerifier struct {
	r           *Result
	s           *session.Session
	att         *session.Attestation
	b           *dsse.Bundle
	bundlePath  string
	dir         string
	pinned      []byte
	pinnedGiven bool

	env      *dsse.Envelope
	attested []byte           // session.json's public key, DER
	pub      *ecdsa.PublicKey // the same, parsed
	stmt     canon.Value      // the signed payload, once authenticated
	pred     canon.Value      // its predicate
	signer   string           // the signer key id the statement names
	st       *dsse.Statement  // the statement read strictly
}

// A sessionCheck is one named step of session verification: it returns
// "" when the step passes, else the message, and the first failure
// decides (its name is failed_check). Nothing in the signed payload is
// parsed before the signature over it has verified; the messages are
// upstream's where upstream has the check (docs/SIGNING.md).
type sessionCheck struct {
	name string
	run  func(v *sessionVerifier) string
}

var sessionChecks = []sessionCheck{
	{"audit_integrity", (*sessionVerifier).hasIntegrity},
	{"public_key_encoding", (*sessionVerifier).attestedKeyDecodes},
	{"metadata_key_id", (*sessionVerifier).attestedKeyID},
	{"pinned_key", (*sessionVerifier).pinnedKey},
	{"public_key_algorithm", (*sessionVerifier).attestedKeyParses},
	{"payload", (*sessionVerifier).hasPayload},
	{"payload_type", (*sessionVerifier).payloadType},
	{"signature", (*sessionVerifier).hasSignature},
	{"signature_count", (*sessionVerifier).oneSignature},
	{"signer", (*sessionVerifier).keyMaterial},
	{"signature", (*sessionVerifier).signatureVerifies},
	// The payload is authenticated from here on.
	{"payload", (*sessionVerifier).payloadParses},
	{"predicate_type", (*sessionVerifier).predicateType},
	{"signer", (*sessionVerifier).signerKeyed},
	{"signer_key_id", (*sessionVerifier).signerKeyID},
	{"merkle_root", (*sessionVerifier).merkleRoot},
	{"statement", (*sessionVerifier).statementShape},
	{"session_id", (*sessionVerifier).sessionID},
	{"audit_log", (*sessionVerifier).auditLog},
	{"hash_algorithm", (*sessionVerifier).hashAlgorithm},
	{"event_count", (*sessionVerifier).eventCount},
	{"chain_head", (*sessionVerifier).chainHead},
	{"timestamps", (*sessionVerifier).timestamps},
	{"statement", (*sessionVerifier).statementStrict},
	{"signer_key_id", (*sessionVerifier).signedSignerKeyID},
	{"predicate_type", (*sessionVerifier).sessionPredicateType},
	{"command", (*sessionVerifier).command},
	{"redaction_policy", (*sessionVerifier).redactionPolicy},
}

func (v *sessionVerifier) run() {
	for _, c := range sessionChecks {
		if msg := c.run(v); msg != "" {
			v.r.fail(c.name, msg)
			return
		}
	}
	r := v.r
	r.KeyIDMatches, r.SignatureVerified, r.MerkleRootMatches, r.SessionIDMatches = true, true, true, true
	ptype := dsse.PredicateType
	r.PredicateType = &ptype
	r.Trust = trustSelfAttested
	if v.pinnedGiven {
		r.Trust = trustPinned
	}
}

func (v *sessionVerifier) trustFailed(msg string) string {
	return fmt.Sprintf("Trust verification failed for %s: %s", v.bundlePath, msg)
}

func (v *sessionVerifier) hasIntegrity() string {
	if v.s.AuditIntegrity == nil {
		return "session has audit attestation metadata but no audit integrity summary"
	}
	return ""
}

func (v *sessionVerifier) hasPayload() string {
	if v.env = v.b.Envelope; v.env == nil {
		return v.trustFailed("missing DSSE payload")
	}
	return ""
}

// payloadType: upstream verifies under the in-toto type whatever the
// envelope says; a signature over another type must not pass.
func (v *sessionVerifier) payloadType() string {
	if v.env.PayloadType != dsse.PayloadType {
		return fmt.Sprintf("bundle payloadType is %q, want %q", v.env.PayloadType, dsse.PayloadType)
	}
	return ""
}

func (v *sessionVerifier) hasSignature() string {
	if len(v.env.Signatures) == 0 {
		return v.trustFailed("missing DSSE signature")
	}
	return ""
}

// oneSignature: upstream ignores every signature but the first.
func (v *sessionVerifier) oneSignature() string {
	if n := len(v.env.Signatures); n != 1 {
		return fmt.Sprintf("bundle holds %d signatures, want exactly 1", n)
	}
	return ""
}

// keyMaterial: an audit attestation is signed by a key, never under a
// certificate.
func (v *sessionVerifier) keyMaterial() string {
	if v.b.HasCertificate || !v.b.HasPublicKey {
		return "audit attestation must be keyed"
	}
	return ""
}

func (v *sessionVerifier) attestedKeyDecodes() string {
	var err error
	if v.attested, err = dsse.DecodeKeyText(v.att.PublicKey); err != nil {
		return "invalid attested public key encoding: " + err.Error()
	}
	return ""
}

func (v *sessionVerifier) attestedKeyID() string {
	if got := dsse.KeyIDOf(v.attested); got != v.att.KeyID {
		return fmt.Sprintf("audit attestation metadata key mismatch: expected %s, got %s", v.att.KeyID, got)
	}
	return ""
}

// attestedKeyParses reads the whole SubjectPublicKeyInfo, algorithm
// included (upstream reads only the EC point).
func (v *sessionVerifier) attestedKeyParses() string {
	var err error
	if v.pub, err = dsse.ParsePublicKey(v.attested); err != nil {
		return "attested public key: " + err.Error()
	}
	return ""
}

func (v *sessionVerifier) pinnedKey() string {
	if !v.pinnedGiven {
		return ""
	}
	match := bytes.Equal(v.pinned, v.attested)
	v.r.ExpectedPublicKeyMatches = &match
	if !match {
		return "provided public key does not match the attested signer key"
	}
	return ""
}

func (v *sessionVerifier) signatureVerifies() string {
	if !dsse.Verify(v.pub, dsse.PayloadType, v.env.Payload, v.env.Signatures[0].Sig) {
		return v.trustFailed("ECDSA signature verification failed: Verification error: ECDSA P-256 SHA-256 signature invalid")
	}
	return ""
}

func (v *sessionVerifier) payloadParses() string {
	if !utf8.Valid(v.env.Payload) {
		return v.trustFailed("DSSE payload is not UTF-8: invalid utf-8 sequence")
	}
	var err error
	if v.stmt, err = canon.Parse(v.env.Payload); err != nil {
		return v.trustFailed("invalid statement JSON: " + err.Error())
	}
	if pt, ok := v.stmt.Get("predicateType"); !ok || pt.Kind != canon.String {
		return v.trustFailed("missing predicateType in statement")
	}
	return ""
}

func (v *sessionVerifier) predicateType() string {
	if pt, _ := v.stmt.Get("predicateType"); pt.Str != dsse.PredicateType {
		return fmt.Sprintf("wrong bundle type: expected %s, got %s", dsse.PredicateType, pt.Str)
	}
	return ""
}

func (v *sessionVerifier) signerKeyed() string {
	var keyed bool
	if v.signer, keyed = signerIdentity(v.b, v.stmt); !keyed {
		return "audit attestation must be keyed"
	}
	return ""
}

func (v *sessionVerifier) signerKeyID() string {
	if v.signer != v.att.KeyID {
		return fmt.Sprintf("audit attestation signer key mismatch: expected %s, got %s", v.att.KeyID, v.signer)
	}
	return ""
}

func (v *sessionVerifier) merkleRoot() string {
	digest, ok := firstSubjectDigest(v.stmt)
	if !ok {
		return v.trustFailed("no sha256 digest in statement subject")
	}
	if digest != strings.ToLower(v.s.AuditIntegrity.MerkleRoot) {
		return "audit attestation Merkle root does not match session integrity summary"
	}
	return ""
}

func (v *sessionVerifier) statementShape() string {
	if err := checkStatementShape(v.stmt); err != nil {
		return "Trust verification failed for : invalid audit attestation statement JSON: " + err.Error()
	}
	v.pred, _ = v.stmt.Get("predicate")
	return ""
}

func (v *sessionVerifier) sessionID() string {
	sid, ok := v.pred.Get("session_id")
	if !ok || sid.Kind != canon.String {
		return "audit attestation predicate missing session_id"
	}
	if sid.Str != v.s.SessionID {
		return fmt.Sprintf("audit attestation session_id mismatch: expected %s, got %s", v.s.SessionID, sid.Str)
	}
	return ""
}

func (v *sessionVerifier) auditLog() string {
	if log, ok := v.pred.Get("audit_log"); !ok || log.Kind != canon.Object {
		return "audit attestation predicate missing audit_log"
	}
	return ""
}

func (v *sessionVerifier) auditLogField(key string) canon.Value {
	log, _ := v.pred.Get("audit_log")
	f, _ := log.Get(key)
	return f
}

func (v *sessionVerifier) hashAlgorithm() string {
	if ha := v.auditLogField("hash_algorithm"); ha.Kind != canon.String || ha.Str != v.s.AuditIntegrity.HashAlgorithm {
		return "audit attestation hash_algorithm does not match session integrity summary"
	}
	return ""
}

func (v *sessionVerifier) eventCount() string {
	if n, ok := v.auditLogField("event_count").Uint(); !ok || n != v.s.AuditIntegrity.EventCount {
		return "audit attestation event_count does not match session integrity summary"
	}
	return ""
}

func (v *sessionVerifier) chainHead() string {
	if ch := v.auditLogField("chain_head"); ch.Kind != canon.String || ch.Str != strings.ToLower(v.s.AuditIntegrity.ChainHead) {
		return "audit attestation chain_head does not match session integrity summary"
	}
	return ""
}

// timestamps: a non-string ended reads as null, as upstream's does.
func (v *sessionVerifier) timestamps() string {
	started, _ := v.pred.Get("started")
	ended, _ := v.pred.Get("ended")
	s := v.s
	endedOK := ended.Kind != canon.String && s.Ended == nil || ended.Kind == canon.String && s.Ended != nil && ended.Str == *s.Ended
	if started.Kind != canon.String || started.Str != s.Started || !endedOK {
		return "audit attestation timestamps do not match session metadata"
	}
	return ""
}

func (v *sessionVerifier) statementStrict() string {
	var err error
	if v.st, err = dsse.ParseStatement(v.env.Payload); err != nil {
		return "invalid audit attestation statement: " + err.Error()
	}
	return ""
}

// signedSignerKeyID: signerKeyID may have used the bundle's unsigned hint.
func (v *sessionVerifier) signedSignerKeyID() string {
	if id := v.st.Predicate.Signer.KeyID; id != v.att.KeyID {
		return fmt.Sprintf("audit attestation signer key mismatch: expected %s, got %s (signed predicate)", v.att.KeyID, id)
	}
	return ""
}

func (v *sessionVerifier) sessionPredicateType() string {
	if v.att.PredicateType != dsse.PredicateType {
		return fmt.Sprintf("session.json audit_attestation.predicate_type is %q, want %q", v.att.PredicateType, dsse.PredicateType)
	}
	return ""
}

func (v *sessionVerifier) command() string {
	if !slices.Equal(v.st.Predicate.Command, v.s.Command) {
		return "audit attestation command does not match session.json command"
	}
	return ""
}

func (v *sessionVerifier) redactionPolicy() string {
	policy, err := readStartedPolicy(filepath.Join(v.dir, session.EventsFileName))
	if err != nil {
		return "cannot read the recorded redaction policy: " + err.Error()
	}
	if !canon.Equal(v.st.Predicate.RedactionPolicy, policy) {
		return "audit attestation redaction_policy does not match the session_started event"
	}
	return ""
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
