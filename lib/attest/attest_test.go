package attest

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

const (
	exampleKeyID = "7361e14ace0169fa1fc06dd7644ff039a7024ce83266e25a4d105412ba70d1b4"
	exampleID    = "20260421-200000-11111"
	exampleRoot  = "2222222222222222222222222222222222222222222222222222222222222222"
	exampleHead  = "1111111111111111111111111111111111111111111111111111111111111111"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	return vectors.Read(t, name)
}

// startedRecord is a first log record holding a session_started event
// with the given policy (Null: none). Its hashes are placeholders: the
// attestation reads only the event.
func startedRecord(command []string, policy canon.Value) []byte {
	ev := []canon.Member{
		{Key: "type", Value: canon.StringValue("session_started")},
		{Key: "started", Value: canon.StringValue("2026-04-21T20:00:00.123456789+00:00")},
		{Key: "command", Value: canon.StringsValue(command)},
	}
	if policy.Kind != canon.Null {
		ev = append(ev, canon.Member{Key: "redaction_policy", Value: policy})
	}
	evJSON := canon.Compact(canon.ObjectValue(ev...))
	zero := canon.StringValue(strings.Repeat("0", 64))
	rec := canon.ObjectValue(
		canon.Member{Key: "sequence", Value: canon.UintValue(0)},
		canon.Member{Key: "prev_chain", Value: canon.NullValue()},
		canon.Member{Key: "leaf_hash", Value: zero},
		canon.Member{Key: "chain_hash", Value: zero},
		canon.Member{Key: "event_json", Value: canon.StringValue(string(evJSON))},
		canon.Member{Key: "event", Value: canon.ObjectValue(ev...)},
	)
	return append(canon.Compact(rec), '\n')
}

// exampleDir lays out the spec's worked example as a session directory.
func exampleDir(t testing.TB) (string, *session.Session) {
	t.Helper()
	dir := t.TempDir()
	raw := testdata(t, "attestation-example.session.json")
	s, err := session.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, session.FileName), raw)
	write(t, filepath.Join(dir, session.BundleFileName), testdata(t, "attestation-example.bundle"))
	write(t, filepath.Join(dir, session.EventsFileName), startedRecord(s.Command, canon.NullValue()))
	return dir, s
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func verify(t *testing.T, dir string, s *session.Session, keyFile string) *Result {
	t.Helper()
	r, err := VerifySession(dir, s, keyFile)
	if err != nil {
		t.Fatalf("VerifySession: %v", err)
	}
	return r
}

func wantOK(t *testing.T, r *Result, trust string) {
	t.Helper()
	if !r.OK() || r.VerificationError != "" || !r.KeyIDMatches || !r.SignatureVerified || !r.MerkleRootMatches || !r.SessionIDMatches || r.Trust != trust {
		t.Fatalf("want a valid %s attestation, got %s", trust, canon.Compact(r.Value()))
	}
}

// wantFail checks a failure: the named check, the exact message (or a
// prefix ending in "…"), all four flags false, and the pinned-key flag.
func wantFail(t *testing.T, r *Result, check, msg string, pinned *bool) {
	t.Helper()
	got := canon.Compact(r.Value())
	if r.OK() || r.FailedCheck != check || r.KeyIDMatches || r.SignatureVerified || r.MerkleRootMatches || r.SessionIDMatches || r.Trust != "" {
		t.Fatalf("want failure %s, got %s", check, got)
	}
	if p, ok := strings.CutSuffix(msg, "…"); ok {
		if !strings.HasPrefix(r.VerificationError, p) {
			t.Errorf("error %q, want prefix %q", r.VerificationError, p)
		}
	} else if r.VerificationError != msg {
		t.Errorf("error %q, want %q", r.VerificationError, msg)
	}
	if (pinned == nil) != (r.ExpectedPublicKeyMatches == nil) || pinned != nil && *pinned != *r.ExpectedPublicKeyMatches {
		t.Errorf("expected_public_key_matches in %s, want %v", got, pinned)
	}
}

var (
	yes = func() *bool { b := true; return &b }()
	no  = func() *bool { b := false; return &b }()
)

func TestExampleVerifies(t *testing.T) {
	dir, s := exampleDir(t)
	for _, key := range []string{vectors.Path("attestation-example.pub"), vectors.Path("attestation-example.pub.pem")} {
		r := verify(t, dir, s, key)
		wantOK(t, r, trustPinned)
		want := `{"present":true,"predicate_type":"https://nono.sh/attestation/audit-session/alpha","key_id":"` + exampleKeyID +
			`","key_id_matches":true,"signature_verified":true,"merkle_root_matches":true,"session_id_matches":true,` +
			`"expected_public_key_matches":true,"verification_error":null,"trust":"pinned","failed_check":null}`
		if got := string(canon.Compact(r.Value())); got != want {
			t.Errorf("result\n%s\nwant\n%s", got, want)
		}
	}
	// CRLF PEM, as upstream prints it.
	pem := bytes.ReplaceAll(testdata(t, "attestation-example.pub.pem"), []byte("\n"), []byte("\r\n"))
	crlf := filepath.Join(t.TempDir(), "crlf.pem")
	write(t, crlf, pem)
	wantOK(t, verify(t, dir, s, crlf), trustPinned)

	r := verify(t, dir, s, "")
	wantOK(t, r, trustSelfAttested)
	if r.ExpectedPublicKeyMatches != nil {
		t.Error("expected_public_key_matches set without a pinned key")
	}
}

func TestExampleEventCountChanged(t *testing.T) {
	dir, s := exampleDir(t)
	s.AuditIntegrity.EventCount = 3
	r := verify(t, dir, s, vectors.Path("attestation-example.pub"))
	wantFail(t, r, "event_count", "audit attestation event_count does not match session integrity summary", yes)
}

func TestExampleOtherPinnedKey(t *testing.T) {
	dir, s := exampleDir(t)
	k, _ := dsse.GenerateKey()
	text, _ := dsse.EncodePublicKey(&k.PublicKey)
	other := filepath.Join(t.TempDir(), "other.pub")
	write(t, other, []byte(text))
	r := verify(t, dir, s, other)
	wantFail(t, r, "pinned_key", "provided public key does not match the attested signer key", no)
}

func TestExampleSessionTampered(t *testing.T) {
	cases := []struct {
		name, check, msg string
		edit             func(*session.Session)
	}{
		{"chain head", "chain_head", "audit attestation chain_head does not match session integrity summary",
			func(s *session.Session) { s.AuditIntegrity.ChainHead = strings.Repeat("3", 64) }},
		{"root", "merkle_root", "audit attestation Merkle root does not match session integrity summary",
			func(s *session.Session) { s.AuditIntegrity.MerkleRoot = strings.Repeat("3", 64) }},
		{"session id", "session_id", "audit attestation session_id mismatch: expected 20260421-200000-22222, got " + exampleID,
			func(s *session.Session) { s.SessionID = "20260421-200000-22222" }},
		{"hash algorithm", "hash_algorithm", "audit attestation hash_algorithm does not match session integrity summary",
			func(s *session.Session) { s.AuditIntegrity.HashAlgorithm = "sha512" }},
		{"ended", "timestamps", "audit attestation timestamps do not match session metadata",
			func(s *session.Session) { s.Ended = nil }},
		{"started", "timestamps", "audit attestation timestamps do not match session metadata",
			func(s *session.Session) { s.Started = "2026-04-21T20:00:00Z" }},
		{"no integrity", "audit_integrity", "session has audit attestation metadata but no audit integrity summary",
			func(s *session.Session) { s.AuditIntegrity = nil }},
		{"key id", "metadata_key_id", "audit attestation metadata key mismatch: expected " + strings.Repeat("a", 64) + ", got " + exampleKeyID,
			func(s *session.Session) { s.AuditAttestation.KeyID = strings.Repeat("a", 64) }},
		{"public key encoding", "public_key_encoding", "invalid attested public key encoding: invalid base64 character: '*'",
			func(s *session.Session) { s.AuditAttestation.PublicKey = "*" }},
		{"command", "command", "audit attestation command does not match session.json command",
			func(s *session.Session) { s.Command = []string{"curl"} }},
		{"predicate type", "predicate_type", `session.json audit_attestation.predicate_type is "x", want "https://nono.sh/attestation/audit-session/alpha"`,
			func(s *session.Session) { s.AuditAttestation.PredicateType = "x" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, s := exampleDir(t)
			c.edit(s)
			wantFail(t, verify(t, dir, s, ""), c.check, c.msg, nil)
		})
	}
	// Uppercase hex in session.json is the same hash.
	dir, s := exampleDir(t)
	s.AuditIntegrity.ChainHead = strings.ToUpper(s.AuditIntegrity.ChainHead)
	wantOK(t, verify(t, dir, s, ""), trustSelfAttested)
}

func TestExampleMissingBundle(t *testing.T) {
	dir, s := exampleDir(t)
	os.Remove(filepath.Join(dir, session.BundleFileName))
	r := verify(t, dir, s, vectors.Path("attestation-example.pub"))
	wantFail(t, r, "bundle", "I/O error: open "+filepath.Join(dir, session.BundleFileName)+": no such file or directory", nil)
	if r.PredicateType == nil || *r.PredicateType != dsse.PredicateType || r.KeyID == nil || *r.KeyID != exampleKeyID {
		t.Errorf("summary fields not reported: %s", canon.Compact(r.Value()))
	}
}

func TestBundleFilename(t *testing.T) {
	for _, name := range []string{"../audit-attestation.bundle", "/etc/passwd", "..", "", "a/b", "x\x00"} {
		dir, s := exampleDir(t)
		s.AuditAttestation.BundleFilename = name
		r := verify(t, dir, s, "")
		wantFail(t, r, "bundle_filename", "invalid bundle_filename…", nil)
	}
	// Another plain name in the directory is fine.
	dir, s := exampleDir(t)
	os.Rename(filepath.Join(dir, session.BundleFileName), filepath.Join(dir, "other.bundle"))
	s.AuditAttestation.BundleFilename = "other.bundle"
	wantOK(t, verify(t, dir, s, ""), trustSelfAttested)
}

func TestNoAttestation(t *testing.T) {
	dir, s := exampleDir(t)
	s.AuditAttestation = nil
	r := verify(t, dir, s, "")
	if !r.OK() || r.Present || string(canon.Compact(r.Value())) != `{"present":false,"predicate_type":null,"key_id":null,"key_id_matches":false,"signature_verified":false,"merkle_root_matches":false,"session_id_matches":false,"expected_public_key_matches":null,"verification_error":null,"trust":null,"failed_check":null}` {
		t.Errorf("unsigned session: %s", canon.Compact(r.Value()))
	}
	r = verify(t, dir, s, "no-such-key.pub")
	if r.OK() || r.Present || r.ExpectedPublicKeyMatches == nil || *r.ExpectedPublicKeyMatches ||
		r.VerificationError != "session has no audit attestation to verify against provided public key no-such-key.pub" {
		t.Errorf("unsigned session with a pinned key: %s", canon.Compact(r.Value()))
	}
}

func TestBadKeyFileIsHardError(t *testing.T) {
	dir, s := exampleDir(t)
	bad := filepath.Join(t.TempDir(), "bad.pub")
	write(t, bad, []byte("not a key!"))
	for _, f := range []string{bad, filepath.Join(dir, "missing.pub"), dir} {
		if _, err := VerifySession(dir, s, f); err == nil {
			t.Errorf("key file %s accepted", f)
		}
	}
}

// editBundle rewrites the example bundle through a function of its text.
func editBundle(t *testing.T, dir string, edit func(string) string) {
	t.Helper()
	p := filepath.Join(dir, session.BundleFileName)
	orig := string(testdata(t, "attestation-example.bundle"))
	edited := edit(orig)
	if edited == orig {
		t.Fatal("the edit changed nothing")
	}
	write(t, p, []byte(edited))
}

func payloadB64(t *testing.T) string {
	return base64.StdEncoding.EncodeToString(testdata(t, "attestation-example.statement.json"))
}

func TestExampleBundleTampered(t *testing.T) {
	const sig = "MEUCIAJBZzOVo/7pV4KvryHQ/11ard0Mkj/UwaXcSI3esuXNAiEAxAicj6nFUEWA5qn6Soxnsj17X6B1oajcCv8Ck1eZAqY="
	sigFailed := "Trust verification failed for %s: ECDSA signature verification failed: Verification error: ECDSA P-256 SHA-256 signature invalid"
	cases := []struct {
		name, check, msg string
		pinned           *bool
		edit             func(string) string
	}{
		{"payload", "signature", sigFailed, yes, func(b string) string {
			p := strings.Replace(string(testdata(t, "attestation-example.statement.json")), `"curl"`, `"curk"`, 1)
			return strings.Replace(b, payloadB64(t), base64.StdEncoding.EncodeToString([]byte(p)), 1)
		}},
		// The signature is checked before the payload is parsed.
		{"payload not json", "signature", sigFailed, yes, func(b string) string {
			return strings.Replace(b, payloadB64(t), base64.StdEncoding.EncodeToString([]byte("not json")), 1)
		}},
		{"signature", "signature", sigFailed, yes, func(b string) string {
			return strings.Replace(b, sig, "MEUCIAJBZzOVo/7pV4KvryHQ/11ard0Mkj/UwaXcSI3esuXNAiEAxAicj6nFUEWA5qn6Soxnsj17X6B1oajcCv8Ck1eZAqU=", 1)
		}},
		{"no signature", "signature", "Trust verification failed for %s: missing DSSE signature", yes, func(b string) string {
			return strings.Replace(b, `{
        "sig": "`+sig+`"
      }`, "", 1)
		}},
		{"second signature", "signature_count", "bundle holds 2 signatures, want exactly 1", yes, func(b string) string {
			return strings.Replace(b, `"sig": "`+sig+`"
      }`, `"sig": "`+sig+`"
      }, {"sig": "`+sig+`"}`, 1)
		}},
		{"payload type", "payload_type", `bundle payloadType is "application/json", want "application/vnd.in-toto+json"`, yes, func(b string) string {
			return strings.Replace(b, `"payloadType": "application/vnd.in-toto+json"`, `"payloadType": "application/json"`, 1)
		}},
		{"certificate", "signer", "audit attestation must be keyed", yes, func(b string) string {
			return strings.Replace(b, `"publicKey": {
      "hint": "`+exampleKeyID+`"
    }`, `"certificate": {"rawBytes": ""}`, 1)
		}},
		{"hint is not trusted", "", "", yes, func(b string) string {
			return strings.Replace(b, `"hint": "`+exampleKeyID, `"hint": "`+strings.Repeat("0", 64), 1)
		}},
		{"not json", "bundle", "Trust verification failed for %s: failed to parse bundle: JSON error: …", nil, func(b string) string {
			return b[:100]
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, s := exampleDir(t)
			editBundle(t, dir, c.edit)
			r := verify(t, dir, s, vectors.Path("attestation-example.pub"))
			if c.check == "" {
				wantOK(t, r, trustPinned)
				return
			}
			msg := strings.Replace(c.msg, "%s", filepath.Join(dir, session.BundleFileName), 1)
			wantFail(t, r, c.check, msg, c.pinned)
		})
	}
}

// signedDir records a session signed by key with the given statement
// bytes, so tests can try statements that nono would never write.
func signedDir(t *testing.T, key *ecdsa.PrivateKey, s *session.Session, payload []byte, policy canon.Value) string {
	t.Helper()
	dir := t.TempDir()
	sig, err := dsse.Sign(key, dsse.PayloadType, payload)
	if err != nil {
		t.Fatal(err)
	}
	b := dsse.NewBundle(dsse.KeyID(&key.PublicKey), payload, sig)
	write(t, filepath.Join(dir, session.BundleFileName), b.Encode())
	write(t, filepath.Join(dir, session.EventsFileName), startedRecord(s.Command, policy))
	pub, _ := dsse.EncodePublicKey(&key.PublicKey)
	s.AuditAttestation = &session.Attestation{PredicateType: dsse.PredicateType, KeyID: dsse.KeyID(&key.PublicKey), PublicKey: pub, BundleFilename: session.BundleFileName}
	if err := session.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeLog records events (canonical event JSON) as dir's event log with
// nono's recorder and sets s.AuditIntegrity to the log's totals.
func writeLog(t *testing.T, dir string, s *session.Session, events ...[]byte) {
	t.Helper()
	var buf bytes.Buffer
	rec := chain.NewRecorder(&buf)
	for _, ev := range events {
		if err := rec.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(dir, session.EventsFileName), buf.Bytes())
	res, err := chain.Verify(bytes.NewReader(buf.Bytes()), chain.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.AuditIntegrity = &session.Integrity{HashAlgorithm: "sha256", EventCount: res.EventCount,
		ChainHead: merkle.Hex(*res.ChainHead), MerkleRoot: merkle.Hex(*res.MerkleRoot)}
}

// recordSession writes a real two-event log for s (started with policy)
// and then s itself into dir.
func recordSession(t *testing.T, dir string, s *session.Session, policy canon.Value) {
	t.Helper()
	writeLog(t, dir, s, event.SessionStarted(s.Started, s.Command, policy), event.SessionEnded(*s.Ended, 0))
	if err := session.Write(dir, s); err != nil {
		t.Fatal(err)
	}
}

func newSession() *session.Session {
	ended := "2026-04-21T20:00:01.987654321+00:00"
	code := int32(0)
	return &session.Session{
		SessionID: "0123456789abcdef", Started: "2026-04-21T20:00:00.123456789+00:00", Ended: &ended,
		Command: []string{"make", "test"}, TrackedPaths: []string{"/tmp/w"}, ExitCode: &code, MerkleRoots: []string{},
		AuditEventCount: 2,
		AuditIntegrity:  &session.Integrity{HashAlgorithm: "sha256", EventCount: 2, ChainHead: exampleHead, MerkleRoot: exampleRoot},
	}
}

func TestStatementsUpstreamAccepts(t *testing.T) {
	key, _ := dsse.GenerateKey()
	keyID := dsse.KeyID(&key.PublicKey)
	good := func(s *session.Session) string {
		st, err := statement(s, canon.NullValue(), keyID)
		if err != nil {
			t.Fatal(err)
		}
		return string(st.Encode())
	}
	cases := []struct {
		name, old, new, check, msg string
	}{
		{"type", `"_type":"https://in-toto.io/Statement/v1"`, `"_type":"https://in-toto.io/Statement/v0.1"`, "statement", "invalid audit attestation statement: _type…"},
		{"subject name", `"name":"audit-session:0123456789abcdef"`, `"name":"audit-session:other"`, "statement", "invalid audit attestation statement: subject name…"},
		{"version", `"version":1`, `"version":2`, "statement", "invalid audit attestation statement: predicate.version must be 1"},
		{"audit_log root", `"merkle_root":"2222`, `"merkle_root":"3333`, "statement", "invalid audit attestation statement: subject digest differs from predicate.audit_log.merkle_root"},
		{"signer kind", `"signer":{"kind":"keyed"`, `"signer":{"kind":"other"`, "statement", "invalid audit attestation statement: predicate.signer.kind…"},
		{"event count float", `"event_count":2`, `"event_count":2.0`, "event_count", "audit attestation event_count does not match session integrity summary"},
		{"keyless", `"signer":{"kind":"keyed"`, `"signer":{"kind":"keyless"`, "signer", "audit attestation must be keyed"},
		{"predicate type", `audit-session/alpha"`, `audit-session/beta"`, "predicate_type", "wrong bundle type: expected https://nono.sh/attestation/audit-session/alpha, got https://nono.sh/attestation/audit-session/beta"},
		{"no predicate type", `"predicateType"`, `"predicateTypeX"`, "payload", "Trust verification failed for…"},
		{"no audit_log", `"audit_log"`, `"auditlog"`, "audit_log", "audit attestation predicate missing audit_log"},
		{"no session id", `"session_id"`, `"sessionid"`, "session_id", "audit attestation predicate missing session_id"},
		{"no subject digest", `"digest":{"sha256"`, `"digest":{"sha512"`, "merkle_root", "Trust verification failed for…"},
		{"subject digest type", `"subject":[{"name":"audit-session:0123456789abcdef","digest":{"sha256":"` + exampleRoot + `"}}]`,
			`"subject":[{"name":"audit-session:0123456789abcdef","digest":{"sha256":"` + exampleRoot + `"}},{"name":"x","digest":{"sha256":1}}]`,
			"statement", "Trust verification failed for : invalid audit attestation statement JSON: subject[1].digest.sha256 is number, want a string"},
		{"command", `"command":["make","test"]`, `"command":["make","tests"]`, "command", "audit attestation command does not match session.json command"},
		{"policy", `"audit_log"`, `"redaction_policy":{"added_flags":["--x"]},"audit_log"`, "redaction_policy", "audit attestation redaction_policy does not match the session_started event"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSession()
			payload := good(s)
			if !strings.Contains(payload, c.old) {
				t.Fatalf("statement lacks %q:\n%s", c.old, payload)
			}
			payload = strings.Replace(payload, c.old, c.new, 1)
			dir := signedDir(t, key, s, []byte(payload), canon.NullValue())
			wantFail(t, verify(t, dir, s, ""), c.check, c.msg, nil)
		})
	}
	// Upstream falls back to the unsigned hint when the statement does not
	// validate; the signed key id still has to match afterwards.
	s := newSession()
	payload := strings.Replace(good(s), `"key_id":"`+keyID, `"key_id":"`+strings.Repeat("0", 64), 1)
	dir := signedDir(t, key, s, []byte(payload), canon.NullValue())
	wantFail(t, verify(t, dir, s, ""), "signer_key_id", "audit attestation signer key mismatch: expected "+keyID+", got "+strings.Repeat("0", 64), nil)
}

func TestSignSessionRoundTrip(t *testing.T) {
	key, _ := dsse.GenerateKey()
	policy := canon.ObjectValue(
		canon.Member{Key: "added_flags", Value: canon.StringsValue([]string{"--private-token"})},
		canon.Member{Key: "removed_query_keys", Value: canon.StringsValue([]string{"state"})},
	)
	for _, pol := range []canon.Value{canon.NullValue(), policy} {
		dir := t.TempDir()
		s := newSession()
		s.Command = []string{"curl", "-H", "Authorization: [REDACTED]", "https://example.com/api?token=[REDACTED]&format=json"}
		if pol.Kind == canon.Object {
			s.Command = []string{"curl", "--private-token=[REDACTED]", "https://example.com/cb?state=visible&token=[REDACTED]"}
		}
		recordSession(t, dir, s, pol)
		att, err := SignSession(dir, key, false)
		if err != nil {
			t.Fatal(err)
		}
		if att.KeyID != dsse.KeyID(&key.PublicKey) || att.BundleFilename != session.BundleFileName {
			t.Errorf("summary %+v", att)
		}
		st, err := os.Stat(filepath.Join(dir, session.BundleFileName))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("bundle mode: %v %v", st.Mode(), err)
		}
		s2, err := session.Read(dir)
		if err != nil || s2.AuditAttestation == nil || !canon.Equal(s2.AuditAttestation.Value(), att.Value()) {
			t.Fatalf("session.json not updated: %v", err)
		}
		keyFile := filepath.Join(t.TempDir(), "k.pub")
		pubText, _ := dsse.EncodePublicKey(&key.PublicKey)
		write(t, keyFile, []byte(pubText))
		wantOK(t, verify(t, dir, s2, keyFile), trustPinned)
		wantOK(t, verify(t, dir, s2, ""), trustSelfAttested)

		data, _ := os.ReadFile(filepath.Join(dir, session.BundleFileName))
		b, _ := dsse.ParseBundle(data)
		if pol.Kind == canon.Object && !bytes.Contains(b.Envelope.Payload, []byte(`"redaction_policy":{"added_flags":["--private-token"],"removed_query_keys":["state"]},"audit_log"`)) {
			t.Errorf("policy not in the statement: %s", b.Envelope.Payload)
		}
		if pol.Kind == canon.Null && bytes.Contains(b.Envelope.Payload, []byte("redaction_policy")) {
			t.Errorf("default policy written: %s", b.Envelope.Payload)
		}

		// Refuse a second signature; allow it when asked.
		if _, err := SignSession(dir, key, false); !errors.Is(err, errAlreadySigned) {
			t.Errorf("second signature: %v", err)
		}
		if _, err := SignSession(dir, key, true); err != nil {
			t.Errorf("re-sign: %v", err)
		}

		// The policy in the log no longer matches the signed one.
		other := canon.ObjectValue(canon.Member{Key: "added_flags", Value: canon.StringsValue([]string{"--other"})})
		write(t, filepath.Join(dir, session.EventsFileName), startedRecord(s.Command, other))
		wantFail(t, verify(t, dir, s2, keyFile), "redaction_policy", "audit attestation redaction_policy does not match the session_started event", yes)
		os.Remove(filepath.Join(dir, session.EventsFileName))
		wantFail(t, verify(t, dir, s2, keyFile), "redaction_policy", "cannot read the recorded redaction policy: …", yes)
	}
}

func TestSignRefusals(t *testing.T) {
	key, _ := dsse.GenerateKey()
	cases := []struct {
		name, want string
		edit       func(t *testing.T, dir string, s *session.Session)
	}{
		{"no integrity", "Signing failed for 0123456789abcdef: audit attestation requires audit integrity to be enabled",
			func(t *testing.T, dir string, s *session.Session) { s.AuditIntegrity = nil }},
		{"not ended", "session 0123456789abcdef has not ended", func(t *testing.T, dir string, s *session.Session) { s.Ended = nil }},
		{"unredacted command", "not redacted", func(t *testing.T, dir string, s *session.Session) {
			s.Command = []string{"curl", "-H", "Authorization: Bearer sk-secret"}
		}},
		{"bad root", "audit_integrity.merkle_root", func(t *testing.T, dir string, s *session.Session) { s.AuditIntegrity.MerkleRoot = "zz" }},
		{"event count", "audit_integrity.event_count is 3 but the event log holds 2 records", func(t *testing.T, dir string, s *session.Session) {
			s.AuditIntegrity.EventCount = 3
		}},
		{"chain head", "audit_integrity.chain_head is not the event log's chain head", func(t *testing.T, dir string, s *session.Session) {
			s.AuditIntegrity.ChainHead = exampleHead
		}},
		{"root", "audit_integrity.merkle_root is not the event log's Merkle root", func(t *testing.T, dir string, s *session.Session) {
			s.AuditIntegrity.MerkleRoot = exampleRoot
		}},
		{"no log", "verify the event log", func(t *testing.T, dir string, s *session.Session) {
			os.Remove(filepath.Join(dir, session.EventsFileName))
		}},
		{"broken log", "verify the event log", func(t *testing.T, dir string, s *session.Session) {
			write(t, filepath.Join(dir, session.EventsFileName), []byte("{}\n"))
		}},
		{"first event", "want session_started", func(t *testing.T, dir string, s *session.Session) {
			writeLog(t, dir, s, event.SessionEnded(*s.Ended, 0))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := newSession()
			recordSession(t, dir, s, canon.NullValue())
			c.edit(t, dir, s)
			if err := session.Write(dir, s); err != nil {
				t.Fatal(err)
			}
			_, err := SignSession(dir, key, false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if _, err := os.Lstat(filepath.Join(dir, session.BundleFileName)); err == nil {
				t.Error("bundle written on failure")
			}
			if s2, _ := session.Read(dir); s2.AuditAttestation != nil {
				t.Error("session.json marked signed on failure")
			}
		})
	}
}

func TestVerifyBundleOffline(t *testing.T) {
	data := testdata(t, "attestation-example.bundle")
	_, pub, err := dsse.ReadPublicKeyFile(vectors.Path("attestation-example.pub"))
	if err != nil {
		t.Fatal(err)
	}
	two, three := uint64(2), uint64(3)
	r := VerifyBundle(data, pub, Expect{SessionID: exampleID, MerkleRoot: strings.ToUpper(exampleRoot), EventCount: &two, ChainHead: exampleHead})
	if !r.Valid() || r.Statement == nil {
		t.Fatalf("example: %s", canon.Compact(r.Value()))
	}
	other, _ := dsse.GenerateKey()
	cases := []struct {
		name, check string
		data        []byte
		pub         *ecdsa.PublicKey
		want        Expect
	}{
		{"root", "merkle_root", data, pub, Expect{SessionID: exampleID, MerkleRoot: exampleHead}},
		{"bad root", "merkle_root", data, pub, Expect{SessionID: exampleID, MerkleRoot: "22"}},
		{"session", "session_id", data, pub, Expect{SessionID: "x", MerkleRoot: exampleRoot}},
		{"count", "event_count", data, pub, Expect{SessionID: exampleID, MerkleRoot: exampleRoot, EventCount: &three}},
		{"head", "chain_head", data, pub, Expect{SessionID: exampleID, MerkleRoot: exampleRoot, ChainHead: exampleRoot}},
		{"key", "signature", data, &other.PublicKey, Expect{SessionID: exampleID, MerkleRoot: exampleRoot}},
		{"parse", "bundle", data[:10], pub, Expect{SessionID: exampleID, MerkleRoot: exampleRoot}},
		{"payload type", "payload_type", bytes.Replace(data, []byte(`"application/vnd.in-toto+json"`), []byte(`"text/plain"`), 1), pub, Expect{SessionID: exampleID, MerkleRoot: exampleRoot}},
	}
	for _, c := range cases {
		r := VerifyBundle(c.data, c.pub, c.want)
		if r.Valid() || r.FailedCheck != c.check || r.Error == "" {
			t.Errorf("%s: got %s, want failure %s", c.name, canon.Compact(r.Value()), c.check)
		}
	}
}

func TestStartedPolicy(t *testing.T) {
	pol := canon.ObjectValue(canon.Member{Key: "removed_flags", Value: canon.StringsValue([]string{"--token"})})
	got, err := startedPolicy(bytes.NewReader(startedRecord([]string{"x"}, pol)))
	if err != nil || !canon.Equal(got, pol) {
		t.Errorf("StartedPolicy = %s, %v", canon.Compact(got), err)
	}
	// Without event_json the event object is read.
	rec := `{"sequence":0,"event":{"type":"session_started","started":"t","command":[],"redaction_policy":{"added_flags":["--a"]}}}` + "\n"
	if got, err := startedPolicy(strings.NewReader(rec)); err != nil || got.Kind != canon.Object {
		t.Errorf("event object: %s, %v", canon.Compact(got), err)
	}
	for _, bad := range []string{"", "\n\n", "{}\n", `{"event_json":1}` + "\n", `{"event_json":"{\"type\":\"session_started\",\"redaction_policy\":[]}"}` + "\n", "not json\n"} {
		if _, err := startedPolicy(strings.NewReader(bad)); err == nil {
			t.Errorf("StartedPolicy(%q) accepted", bad)
		}
	}
}

func TestBundleNotFollowed(t *testing.T) {
	dir, s := exampleDir(t)
	p := filepath.Join(dir, session.BundleFileName)
	elsewhere := filepath.Join(t.TempDir(), "elsewhere.bundle")
	if err := os.Rename(p, elsewhere); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, p); err != nil {
		t.Fatal(err)
	}
	wantFail(t, verify(t, dir, s, ""), "bundle", "I/O error: …", nil)
	os.Remove(p)
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	wantFail(t, verify(t, dir, s, ""), "bundle", "I/O error: "+p+" is not a regular file", nil)
}
