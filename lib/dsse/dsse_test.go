package dsse

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"

	"github.com/nono-audit/nono/lib/canon"
)

const (
	exampleKeyID     = "7361e14ace0169fa1fc06dd7644ff039a7024ce83266e25a4d105412ba70d1b4"
	exampleSessionID = "20260421-200000-11111"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(vectors.Path(name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func exampleBundle(t testing.TB) *Bundle {
	t.Helper()
	b, err := ParseBundle(readTestdata(t, "attestation-example.bundle"))
	if err != nil {
		t.Fatalf("parse example bundle: %v", err)
	}
	return b
}

func TestExampleBundleRoundTrip(t *testing.T) {
	raw := readTestdata(t, "attestation-example.bundle")
	b := exampleBundle(t)
	if got := b.Encode(); !bytes.Equal(got, raw) {
		t.Fatalf("re-encoded bundle differs from the example:\n%s\nwant:\n%s", got, raw)
	}
	if b.KeyHint != exampleKeyID || !b.HasPublicKey || b.HasCertificate {
		t.Errorf("key material = hint %q public %v certificate %v", b.KeyHint, b.HasPublicKey, b.HasCertificate)
	}
	if b.MediaType != bundleMediaType || b.Envelope.PayloadType != PayloadType || len(b.Envelope.Signatures) != 1 {
		t.Errorf("unexpected bundle fields: %+v", b)
	}
	if want := readTestdata(t, "attestation-example.statement.json"); !bytes.Equal(b.Envelope.Payload, want) {
		t.Errorf("payload differs from attestation-example.statement.json")
	}
}

func TestExampleStatementRoundTrip(t *testing.T) {
	raw := readTestdata(t, "attestation-example.statement.json")
	st, err := ParseStatement(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Encode(); !bytes.Equal(got, raw) {
		t.Fatalf("re-encoded statement differs:\n%s\nwant:\n%s", got, raw)
	}
	p := st.Predicate
	if p.SessionID != exampleSessionID || p.Signer.KeyID != exampleKeyID || p.AuditLog.EventCount != 2 ||
		p.RedactionPolicy.Kind != canon.Null || len(p.Command) != 4 || p.Ended == nil {
		t.Errorf("unexpected predicate: %+v", p)
	}
	// Built from its parts, the statement has the same bytes.
	if got := NewStatement(p).Encode(); !bytes.Equal(got, raw) {
		t.Errorf("NewStatement(predicate) differs from the example")
	}
}

func TestExampleSignatureVerifies(t *testing.T) {
	b := exampleBundle(t)
	der, pub, err := ReadPublicKeyFile(vectors.Path("attestation-example.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if got := KeyIDOf(der); got != exampleKeyID {
		t.Errorf("KeyIDOf = %s, want %s", got, exampleKeyID)
	}
	if got := KeyID(pub); got != exampleKeyID {
		t.Errorf("KeyID = %s, want %s", got, exampleKeyID)
	}
	e := b.Envelope
	if !Verify(pub, PayloadType, e.Payload, e.Signatures[0].Sig) {
		t.Fatal("example signature does not verify")
	}
	tampered := bytes.Clone(e.Payload)
	tampered[10] ^= 1
	if Verify(pub, PayloadType, tampered, e.Signatures[0].Sig) {
		t.Error("tampered payload verifies")
	}
	if Verify(pub, "application/json", e.Payload, e.Signatures[0].Sig) {
		t.Error("signature verifies under another payload type")
	}
	pemDER, _, err := ReadPublicKeyFile(vectors.Path("attestation-example.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pemDER, der) {
		t.Error(".pub and .pub.pem hold different keys")
	}
}

func TestPAE(t *testing.T) {
	payload := readTestdata(t, "attestation-example.statement.json")
	got := pae(PayloadType, payload)
	prefix := "DSSEv1 28 application/vnd.in-toto+json 838 "
	if !bytes.HasPrefix(got, []byte(prefix)) || !bytes.Equal(got[len(prefix):], payload) {
		t.Errorf("PAE = %q…", got[:60])
	}
	if got := string(pae("", nil)); got != "DSSEv1 0  0 " {
		t.Errorf("PAE of empties = %q", got)
	}
}

func TestUpstreamKeyIDVector(t *testing.T) {
	der, err := DecodeKeyText("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEreoNmbdEk5YBfsGeuCc3Q0ZaT3ja9YeemSxBKh31VhYSViCkUmm7cWD1f1ScjL/paNy9EMEirKLh7N3bRdc1UA==")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := KeyIDOf(der), "6991759e500c18d32ba200b9baa1a208610d72b52cad5117bc2ed610d2106642"; got != want {
		t.Errorf("key id = %s, want %s", got, want)
	}
}

func TestSignRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"a":1}`)
	sig, err := Sign(k, PayloadType, payload)
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(&k.PublicKey, PayloadType, payload, sig) {
		t.Fatal("fresh signature does not verify")
	}
	other, _ := GenerateKey()
	if Verify(&other.PublicKey, PayloadType, payload, sig) {
		t.Error("signature verifies under another key")
	}
	bad := bytes.Clone(sig)
	bad[len(bad)-1] ^= 1
	if Verify(&k.PublicKey, PayloadType, payload, bad) {
		t.Error("tampered signature verifies")
	}
	b := NewBundle(KeyID(&k.PublicKey), payload, sig)
	parsed, err := ParseBundle(b.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(parsed.Encode(), b.Encode()) || !bytes.Equal(parsed.Envelope.Signatures[0].Sig, sig) {
		t.Error("bundle does not round-trip")
	}
	if bytes.HasSuffix(b.Encode(), []byte("\n")) {
		t.Error("bundle ends with a newline")
	}
}

func TestStatementBytes(t *testing.T) {
	ended := "2026-01-02T03:04:05.000000006+01:00"
	p := Predicate{
		SessionID: "abc",
		Started:   "2026-01-02T03:04:05+01:00",
		Ended:     &ended,
		Command:   []string{"a&b<c>", "line\u2028sep\u2029", "tab\there\x01", `quote"back\`, "é/"},
		RedactionPolicy: canon.ObjectValue(
			canon.Member{Key: "added_flags", Value: canon.StringsValue([]string{"--private-token"})},
			canon.Member{Key: "removed_query_keys", Value: canon.StringsValue([]string{"state"})},
		),
		AuditLog: AuditLog{HashAlgorithm: "sha256", EventCount: 7, ChainHead: strings.Repeat("ab", 32), MerkleRoot: strings.Repeat("cd", 32)},
		Signer:   Signer{Kind: SignerKeyed, KeyID: strings.Repeat("ef", 32)},
	}
	want := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"audit-session:abc","digest":{"sha256":"` + strings.Repeat("cd", 32) + `"}}],` +
		`"predicateType":"https://nono.sh/attestation/audit-session/alpha","predicate":{"version":1,"session_id":"abc",` +
		`"started":"2026-01-02T03:04:05+01:00","ended":"2026-01-02T03:04:05.000000006+01:00",` +
		"\"command\":[\"a&b<c>\",\"line\u2028sep\u2029\",\"tab\\there\\u0001\",\"quote\\\"back\\\\\",\"é/\"]," +
		`"redaction_policy":{"added_flags":["--private-token"],"removed_query_keys":["state"]},` +
		`"audit_log":{"hash_algorithm":"sha256","event_count":7,"chain_head":"` + strings.Repeat("ab", 32) + `","merkle_root":"` + strings.Repeat("cd", 32) + `"},` +
		`"signer":{"kind":"keyed","key_id":"` + strings.Repeat("ef", 32) + `"}}}`
	got := NewStatement(p).Encode()
	if string(got) != want {
		t.Fatalf("statement bytes:\n%s\nwant:\n%s", got, want)
	}
	back, err := ParseStatement(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Encode(), got) {
		t.Error("statement does not round-trip")
	}
	// A null ended stays in the statement as null.
	p.Ended = nil
	if !bytes.Contains(NewStatement(p).Encode(), []byte(`"ended":null,`)) {
		t.Error("null ended not written as null")
	}
}

func TestParseStatementErrors(t *testing.T) {
	good := string(readTestdata(t, "attestation-example.statement.json"))
	cases := []struct{ name, old, new, want string }{
		{"type", `"https://in-toto.io/Statement/v1"`, `"https://in-toto.io/Statement/v0.1"`, "_type"},
		{"two subjects", `"subject":[{`, `"subject":[{"name":"x","digest":{"sha256":"00"}},{`, "2 subjects"},
		{"no subject", `"subject":[{"name":"audit-session:20260421-200000-11111","digest":{"sha256":"2222222222222222222222222222222222222222222222222222222222222222"}}]`, `"subject":[]`, "0 subjects"},
		{"subject name", `"name":"audit-session:20260421`, `"name":"audit-session:20260422`, "does not name"},
		{"predicate type", `audit-session/alpha"`, `audit-session/beta"`, "predicateType"},
		{"version", `"version":1`, `"version":2`, "version"},
		{"version float", `"version":1`, `"version":1.0`, "version"},
		{"signer kind", `"kind":"keyed"`, `"kind":"keyless"`, "signer.kind"},
		{"event count", `"event_count":2`, `"event_count":-2`, "event_count"},
		{"event count float", `"event_count":2`, `"event_count":2.0`, "event_count"},
		{"uppercase root", `"merkle_root":"2222`, `"merkle_root":"AAAA`, "merkle_root"},
		{"digest mismatch", `"sha256":"2222`, `"sha256":"3333`, "subject"},
		{"hash algorithm", `"hash_algorithm":"sha256"`, `"hash_algorithm":"sha512"`, "hash_algorithm"},
		{"command", `"command":["curl",`, `"command":[1,`, "command"},
		{"policy", `"audit_log":`, `"redaction_policy":[],"audit_log":`, "redaction_policy"},
		{"duplicate key", `"version":1,`, `"version":1,"version":1,`, "duplicate"},
		{"not json", `{"_type"`, `{_type"`, "not valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(good, c.old) {
				t.Fatalf("fixture lacks %q", c.old)
			}
			_, err := ParseStatement([]byte(strings.Replace(good, c.old, c.new, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestParseBundleErrors(t *testing.T) {
	good := string(readTestdata(t, "attestation-example.bundle"))
	cases := []struct{ name, old, new, want string }{
		{"no material", `"verificationMaterial"`, `"verificationMaterialX"`, "verificationMaterial"},
		{"no hint", `"hint"`, `"hintX"`, "hint"},
		{"payload newline", `"payload": "eyJf`, `"payload": "\neyJf`, "line break"},
		{"payload padding", `fQ=="`, `fQ="`, "payload"},
		{"payload alphabet", `"payload": "eyJf`, `"payload": "-yJf`, "payload"},
		{"sig not string", `"sig": "MEUC`, `"sig": 1, "x": "MEUC`, "sig"},
		{"no envelope", `"dsseEnvelope"`, `"dsseEnvelopeX"`, "neither"},
		{"two contents", `"dsseEnvelope"`, `"messageSignature": {}, "dsseEnvelope"`, "both"},
		{"two materials", `"publicKey"`, `"certificate": {}, "publicKey"`, "more than one"},
		{"tlog", `"tlogEntries": []`, `"tlogEntries": {}`, "tlogEntries"},
		{"duplicate", `"tlogEntries": [],`, `"tlogEntries": [], "tlogEntries": [],`, "duplicate"},
		{"no payload type", `"payloadType"`, `"payloadTypeX"`, "payloadType"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(good, c.old) {
				t.Fatalf("fixture lacks %q", c.old)
			}
			_, err := ParseBundle([]byte(strings.Replace(good, c.old, c.new, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
	// Accepted variations: null timestamp data, absent optional parts,
	// a messageSignature, a certificate.
	for _, s := range []string{
		strings.Replace(good, `"timestampVerificationData": {}`, `"timestampVerificationData": null`, 1),
		strings.Replace(strings.Replace(good, `"tlogEntries": [],`, ``, 1), `"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",`, ``, 1),
		`{"verificationMaterial":{"publicKey":{"hint":""}},"messageSignature":{}}`,
		`{"verificationMaterial":{"certificate":{"rawBytes":""}},"dsseEnvelope":{"payloadType":"x","payload":"","signatures":[]}}`,
	} {
		if _, err := ParseBundle([]byte(s)); err != nil {
			t.Errorf("ParseBundle(%.60q…): %v", s, err)
		}
	}
}

func TestDecodeKeyText(t *testing.T) {
	cases := []struct {
		in   string
		want []byte
		err  string
	}{
		{in: "AAEC", want: []byte{0, 1, 2}},
		{in: "AAE=", want: []byte{0, 1}},
		{in: "AAE", want: []byte{0, 1}},
		{in: "AA==\n", want: []byte{0}},
		{in: " A A\r\nE C \t", want: []byte{0, 1, 2}},
		{in: "-_+/", want: []byte{0xfb, 0xff, 0xbf}},
		{in: "", want: []byte{}},
		{in: "A=A=", err: "invalid base64 character: '='"},
		{in: "AB*C", err: "invalid base64 character: '*'"},
		{in: "AAEC\x00", err: `invalid base64 character: "\x00"`},
		{in: "AAECA", err: "final group of one character"},
		{in: "AB==", err: "trailing bits"},
		{in: "AAF", err: "trailing bits"},
	}
	for _, c := range cases {
		got, err := DecodeKeyText(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("DecodeKeyText(%q) err = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("DecodeKeyText(%q) = %x, %v; want %x", c.in, got, err, c.want)
		}
	}
}

func TestKeyEncodings(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	privText, err := encodePrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(privText, "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg") || len(privText) != 184 {
		t.Errorf("private key text %.20q… (%d chars) is not upstream's form", privText, len(privText))
	}
	pubText, err := EncodePublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pubText, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE") || len(pubText) != 124 {
		t.Errorf("public key text %q is not upstream's form", pubText)
	}
	back, err := ParsePrivateKey([]byte(privText + "\n"))
	if err != nil || !back.Equal(k) {
		t.Fatalf("ParsePrivateKey(base64) = %v", err)
	}
	// URL alphabet, no padding, wrapped: still the same key.
	url := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(privText), "=")
	if back, err := ParsePrivateKey([]byte(url[:50] + "\n" + url[50:])); err != nil || !back.Equal(k) {
		t.Errorf("ParsePrivateKey(url alphabet) = %v", err)
	}
	der, _ := base64.StdEncoding.DecodeString(privText)
	pemText := "-----BEGIN PRIVATE KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PRIVATE KEY-----\n"
	if back, err := ParsePrivateKey([]byte(pemText)); err != nil || !back.Equal(k) {
		t.Errorf("ParsePrivateKey(PEM) = %v", err)
	}

	pemPub, err := PublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemPub, []byte("-----BEGIN PUBLIC KEY-----\r\n")) || !bytes.HasSuffix(pemPub, []byte("-----END PUBLIC KEY-----\r\n")) ||
		bytes.Contains(bytes.ReplaceAll(pemPub, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("PEM is not CRLF throughout: %q", pemPub)
	}
	for _, text := range [][]byte{pemPub, bytes.ReplaceAll(pemPub, []byte("\r\n"), []byte("\n")), []byte(pubText), []byte(pubText + "\n")} {
		der, err := DecodePublicKeyText(text)
		if err != nil {
			t.Fatalf("DecodePublicKeyText(%q): %v", text, err)
		}
		pub, err := ParsePublicKey(der)
		if err != nil || !pub.Equal(&k.PublicKey) {
			t.Errorf("ParsePublicKey(%q) = %v", text, err)
		}
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384Text := pkcs8Text(t, p384)
	cases := []struct{ in, want string }{
		{"", "PKCS#8"},
		{"not*base64", "invalid base64 PKCS#8 signing key: invalid base64 character: '*'"},
		{"AAAA", "invalid PKCS#8 key data"},
		{p384Text, "P-256"},
		{"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", "openssl pkcs8"},
		{"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "want a PRIVATE KEY block"},
		{"-----BEGIN PRIVATE KEY-----\nAAAA\n", "no PEM block"},
	}
	for _, c := range cases {
		_, err := ParsePrivateKey([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParsePrivateKey(%.30q) err = %v, want %q", c.in, err, c.want)
		}
	}
}

func pkcs8Text(t *testing.T, k any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func TestParsePublicKeyErrors(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePublicKey(der384); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Errorf("P-384 SPKI: err = %v", err)
	}
	good, _ := DecodeKeyText(string(readTestdata(t, "attestation-example.pub")))
	// Swap the id-ecPublicKey OID's last arc: the point alone (all
	// upstream reads) would still pass.
	wrongAlg := bytes.Clone(good)
	i := bytes.Index(wrongAlg, []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01})
	wrongAlg[i+6] = 0x02
	if _, err := ParsePublicKey(wrongAlg); err == nil || !strings.Contains(err.Error(), "id-ecPublicKey") {
		t.Errorf("wrong algorithm: err = %v", err)
	}
	if _, err := ParsePublicKey(append(bytes.Clone(good), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	for _, text := range []string{
		"-----BEGIN EC PUBLIC KEY-----\nAAAA\n-----END EC PUBLIC KEY-----",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\nmore",
		"MFkw*",
	} {
		if _, err := DecodePublicKeyText([]byte(text)); err == nil {
			t.Errorf("DecodePublicKeyText(%q) accepted", text)
		}
	}
}
