package delivery

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

func key(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignedBytesLayout(t *testing.T) {
	got := string(SignedBytes("POST", IngestPath, "subject-1", "1767225600000", "0197d04c-c000-7000-8000-000000000001", BodyDigest([]byte("{}"))))
	want := "nono-request-v1\nPOST\n/api/v1/audit/ingest\nsubject-1\n1767225600000\n0197d04c-c000-7000-8000-000000000001\nsha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	if got != want {
		t.Errorf("signed bytes\n%q\nwant\n%q", got, want)
	}
}

func TestSignVerify(t *testing.T) {
	k := key(t)
	body := []byte(`{"ingest_id":"x"}`)
	now := time.UnixMilli(1767225600123)
	h, err := SignRequest(k, "POST", IngestPath, "subject-1", "req-1", body, now)
	if err != nil {
		t.Fatal(err)
	}
	if h.Timestamp != "1767225600123" || !strings.HasPrefix(h.Signature, "p256-sha256:") || h.Digest != BodyDigest(body) {
		t.Fatalf("headers %+v", h)
	}
	msg := SignedBytes("POST", IngestPath, "subject-1", h.Timestamp, "req-1", h.Digest)
	if err := VerifySignature(&k.PublicKey, msg, h.Signature); err != nil {
		t.Fatal(err)
	}
	// Upstream's client separator.
	if err := VerifySignature(&k.PublicKey, msg, "p256-sha256="+h.Signature[len("p256-sha256:"):]); err != nil {
		t.Errorf("'=' separator refused: %v", err)
	}
	for name, bad := range map[string]string{
		"other message": "", "wrong scheme": "p384-sha384:" + h.Signature[12:], "padding": h.Signature + "==",
		"short": h.Signature[:40], "empty": "", "scheme only": "p256-sha256",
	} {
		m := msg
		if name == "other message" {
			m = SignedBytes("POST", IngestPath, "subject-2", h.Timestamp, "req-1", h.Digest)
			bad = h.Signature
		}
		if VerifySignature(&k.PublicKey, m, bad) == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if VerifySignature(&key(t).PublicKey, msg, h.Signature) == nil {
		t.Error("another key accepted")
	}
}

// TestSignatureFromSpecAlone signs as a reader of the protocol text
// would, with nothing from this package but the key, and verifies here.
func TestSignatureFromSpecAlone(t *testing.T) {
	k := key(t)
	msg := []byte("nono-request-v1\nPOST\n/api/v1/audit/ingest\ns\n1\nr\nsha256:00")
	sum := sha256.Sum256(msg)
	r, s, _ := ecdsa.Sign(rand.Reader, k, sum[:])
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	if err := VerifySignature(&k.PublicKey, msg, "p256-sha256:"+base64.RawURLEncoding.EncodeToString(sig)); err != nil {
		t.Fatal(err)
	}
	// And a signature made here verifies the way that reader would check it.
	h, _ := Sign(k, msg)
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(h, "p256-sha256:"))
	if !ecdsa.Verify(&k.PublicKey, sum[:], new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])) {
		t.Error("signature does not verify by the spec")
	}
}

func TestPublicKeyEncoding(t *testing.T) {
	k := key(t)
	text, err := EncodePublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(text)
	if len(raw) != 65 || raw[0] != 4 || strings.ContainsAny(text, "=+/") {
		t.Fatalf("encoding %q", text)
	}
	pub, err := ParsePublicKey(text)
	if err != nil || !pub.Equal(&k.PublicKey) {
		t.Fatalf("round trip: %v", err)
	}
	raw[64] ^= 1 // off the curve
	for _, bad := range []string{base64.RawURLEncoding.EncodeToString(raw), text + "=", text[:40], ""} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReadHeaders(t *testing.T) {
	k := key(t)
	h, _ := SignRequest(k, "POST", IngestPath, "s", "r", nil, time.Now())
	hdr := http.Header{}
	h.Set(hdr.Set)
	got, err := ReadHeaders(hdr.Values)
	if err != nil || *got != *h {
		t.Fatalf("%v %+v", err, got)
	}
	hdr.Add(HeaderSubject, "other")
	if _, err := ReadHeaders(hdr.Values); err == nil || !strings.Contains(err.Error(), "2 times") {
		t.Errorf("repeated header: %v", err)
	}
	hdr.Del(HeaderSubject)
	if _, err := ReadHeaders(hdr.Values); err == nil || !strings.Contains(err.Error(), HeaderSubject) {
		t.Errorf("missing header: %v", err)
	}
	for _, ts := range []string{"-1", "01", "1.5", "", "x"} {
		if _, err := (&RequestHeaders{Timestamp: ts}).Time(); err == nil {
			t.Errorf("timestamp %q accepted", ts)
		}
	}
}

func TestUUIDv7(t *testing.T) {
	now := time.UnixMilli(0x0197d04cc000)
	id, err := NewUUIDv7(now)
	if err != nil {
		t.Fatal(err)
	}
	if !ValidUUID(id) || !strings.HasPrefix(id, "0197d04c-c000-7") || !strings.ContainsRune("89ab", rune(id[19])) {
		t.Errorf("uuid %s", id)
	}
	later, _ := NewUUIDv7(now.Add(time.Millisecond))
	if later <= id {
		t.Errorf("%s does not sort after %s", later, id)
	}
	for _, bad := range []string{"", "0197D04C-C000-7000-8000-000000000001", "0197d04c-c000-7000-8000-00000000000", "0197d04cxc000-7000-8000-000000000001"} {
		if ValidUUID(bad) {
			t.Errorf("%q valid", bad)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	for s, want := range map[string]bool{"acme": true, "a.b_c-D9": true, "": false, "a b": false, "a\nb": false, "é": false, strings.Repeat("a", 201): false} {
		if ValidIdentifier(s) != want {
			t.Errorf("ValidIdentifier(%q) = %v", s, !want)
		}
	}
}

func TestMessages(t *testing.T) {
	name := "laptop"
	req := &EnrollRequest{Token: "tok", SubjectKind: SubjectDevice, DisplayName: &name, PublicKey: "pk"}
	want := `{"protocol_version":"1","token":"tok","subject_kind":"device","display_name":"laptop","key_algorithm":"ecdsa_p256_sha256_fixed","public_key":"pk"}`
	if got := string(req.Encode()); got != want {
		t.Errorf("enroll request %s", got)
	}
	back, err := ParseEnrollRequest(req.Encode())
	if err != nil || *back.DisplayName != name || back.Token != "tok" {
		t.Errorf("%v %+v", err, back)
	}
	if _, err := ParseEnrollRequest([]byte(strings.Replace(want, `"1"`, `"2"`, 1))); err == nil {
		t.Error("protocol version 2 accepted")
	}
	en := &Enrollment{TenantID: "acme", SubjectID: "s-1", SubjectKind: SubjectDevice, ManagementMode: ManagementMode, EnrolledAt: "2026-01-01T00:00:00Z"}
	if got, err := ParseEnrollment(en.Encode()); err != nil || *got != *en {
		t.Errorf("%v %+v", err, got)
	}
	for _, bad := range []string{
		strings.Replace(string(en.Encode()), "audit_only", "managed", 1),
		strings.Replace(string(en.Encode()), `"s-1"`, `"s\n1"`, 1),
		`{"protocol_version":"1"}`, `[]`,
	} {
		if _, err := ParseEnrollment([]byte(bad)); err == nil {
			t.Errorf("enrollment %s accepted", bad)
		}
	}
	rc := &Receipt{IngestID: "i", SessionID: "s", AcceptedAt: "t", PlatformAttestation: "sha256:00", EventCount: 3, VerificationStatus: StatusPending, ObjectPath: "a/b"}
	if got := string(rc.Encode()); got != `{"ingest_id":"i","session_id":"s","accepted_at":"t","platform_attestation":"sha256:00","event_count":3,"verification_status":"pending","object_path":"a/b"}` {
		t.Errorf("receipt %s", got)
	}
	if got, err := ParseReceipt(rc.Encode()); err != nil || *got != *rc {
		t.Errorf("%v %+v", err, got)
	}
	if code, msg := ParseErrorBody(ErrorBody("stale_timestamp", "too old")); code != "stale_timestamp" || msg != "too old" {
		t.Errorf("error body %q %q", code, msg)
	}
	if code, msg := ParseErrorBody([]byte("<html>")); code != "" || msg != "<html>" {
		t.Errorf("raw error body %q %q", code, msg)
	}
}

func FuzzParseMessages(f *testing.F) {
	f.Add([]byte(`{"protocol_version":"1","tenant_id":"a","subject_id":"b","subject_kind":"device","management_mode":"audit_only","enrolled_at":"t"}`))
	f.Add([]byte(`{"ingest_id":"i","session_id":"s","accepted_at":"t","platform_attestation":"p","event_count":3,"verification_status":"pending","object_path":"o"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if e, err := ParseEnrollment(data); err == nil {
			if e2, err := ParseEnrollment(e.Encode()); err != nil || *e2 != *e {
				t.Fatal("enrollment does not round-trip")
			}
		}
		if r, err := ParseReceipt(data); err == nil {
			if r2, err := ParseReceipt(r.Encode()); err != nil || *r2 != *r {
				t.Fatal("receipt does not round-trip")
			}
		}
		ParseEnrollRequest(data)
		ParseErrorBody(data)
		(&RequestHeaders{Timestamp: string(data)}).Time()
	})
}
