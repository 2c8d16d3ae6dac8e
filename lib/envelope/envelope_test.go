package envelope

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

var ident = Identity{IngestID: "0197d04c-c000-7000-8000-000000000001", TenantID: "acme", ShipperID: "subject-1"}

// record writes a finished session the way `nono run` leaves it: the log,
// session.json with its integrity summary, a signature when priv is set,
// and the ledger entry.
func record(t *testing.T, root, id string, priv *ecdsa.PrivateKey, events ...string) *session.Entry {
	t.Helper()
	if len(events) == 0 {
		events = []string{
			`{"type":"session_started","started":"2026-04-21T20:00:00+02:00","command":["make","test"]}`,
			`{"type":"url_open","request":{"request_id":"open-1","url":"https://example.com/ü","child_pid":42,"session_id":"` + id + `"},"success":true,"error":null}`,
			`{"type":"session_ended","ended":"2026-04-21T20:00:04+02:00","exit_code":0}`,
		}
	}
	dir := filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	rec := chain.NewRecorder(&log)
	for _, ev := range events {
		if err := rec.Append([]byte(ev)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, session.EventsFileName), log.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := chain.Verify(bytes.NewReader(log.Bytes()), chain.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ended, code := "2026-04-21T20:00:04+02:00", int32(0)
	s := &session.Session{SessionID: id, Started: "2026-04-21T20:00:00+02:00", Ended: &ended,
		Command: []string{"make", "test"}, TrackedPaths: []string{"/w"}, ExitCode: &code, MerkleRoots: []string{},
		AuditEventCount: res.EventCount,
		AuditIntegrity: &session.Integrity{HashAlgorithm: "sha256", EventCount: res.EventCount,
			ChainHead: merkle.Hex(*res.ChainHead), MerkleRoot: merkle.Hex(*res.MerkleRoot)}}
	if err := session.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	if priv != nil {
		if _, err := attest.SignSession(dir, priv, false); err != nil {
			t.Fatal(err)
		}
		if s, err = session.Read(dir); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ledger.Append(root, s, time.Second); err != nil {
		t.Fatal(err)
	}
	e, err := (&session.Store{AuditRoot: root}).Find(session.AuditSide, id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	priv, err := dsse.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func build(t *testing.T, root, id string, key *ecdsa.PrivateKey) (*Envelope, []byte) {
	t.Helper()
	env, err := Build(record(t, root, id, key), root, ident)
	if err != nil {
		t.Fatal(err)
	}
	return env, env.Encode()
}

func TestEncodeKeyOrder(t *testing.T) {
	root := t.TempDir()
	_, body := build(t, root, "s1", newKey(t))
	v, err := canon.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range v.Members {
		keys = append(keys, m.Key)
	}
	want := "ingest_id tenant_id session_id shipper_id principal_id profile_ref merkle_root hash_chain_head started_at ended_at session_metadata_json session_digest events_ndjson attestation_bundle"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("keys\n got %s\nwant %s", got, want)
	}
	if !bytes.HasPrefix(body, []byte(`{"ingest_id":"0197d04c-c000-7000-8000-000000000001","tenant_id":"acme","session_id":"s1","shipper_id":"subject-1","principal_id":null,"profile_ref":null,"merkle_root":"`)) {
		t.Errorf("body starts %.200s", body)
	}
	// Non-ASCII stays raw, as serde_json writes it; no newline at the end.
	if !bytes.Contains(body, []byte("example.com/ü")) || bytes.HasSuffix(body, []byte("\n")) {
		t.Error("strings not written as serde_json does")
	}
	// The metadata is the ledger's digest payload, byte for byte.
	env, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := session.Read(filepath.Join(root, "s1"))
	payload, _ := ledger.DigestPayload(s)
	digest, _ := ledger.SessionDigest(s)
	if *env.Metadata != string(payload) || *env.SessionDigest != merkle.Hex(digest) {
		t.Error("metadata or digest is not the ledger's")
	}
	if !bytes.Equal(env.Encode(), body) {
		t.Error("parse and encode does not give back the same bytes")
	}
}

func TestVerifyRoundTrip(t *testing.T) {
	root := t.TempDir()
	key := newKey(t)
	_, body := build(t, root, "s1", key)
	// The session directory is gone: the envelope alone verifies.
	os.RemoveAll(root)
	env, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	r := Verify(env, Options{})
	if !r.OK() || r.Metadata != MetadataVerified || r.Attestation != AttestationSelfAttested || r.Events.EventCount != 3 {
		t.Fatalf("self-attested: %+v", r)
	}
	r = Verify(env, Options{PublicKey: &key.PublicKey})
	if !r.OK() || r.Attestation != AttestationPinned {
		t.Fatalf("pinned: %+v", r)
	}
	other := newKey(t)
	if r = Verify(env, Options{PublicKey: &other.PublicKey}); r.OK() || r.Attestation != AttestationInvalid {
		t.Errorf("another key accepted: %+v", r)
	}
	// Unsigned session: fine without a pin, a failure with one.
	_, plain := build(t, t.TempDir(), "s2", nil)
	env, _ = Parse(plain)
	if r = Verify(env, Options{}); !r.OK() || r.Attestation != AttestationNone {
		t.Errorf("unsigned: %+v", r)
	}
	if r = Verify(env, Options{PublicKey: &key.PublicKey}); r.OK() {
		t.Error("unsigned session passed with a pinned key")
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	root := t.TempDir()
	_, body := build(t, root, "s1", newKey(t))
	env, _ := Parse(body)
	edit := func(f func(e *Envelope)) *Result {
		e, err := Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		f(e)
		e2, err := Parse(e.Encode())
		if err != nil {
			t.Fatal(err)
		}
		return Verify(e2, Options{})
	}
	flip := func(s string, at int) string { return s[:at] + string(s[at]^1) + s[at+1:] }
	cases := map[string]func(e *Envelope){
		"event byte": func(e *Envelope) { e.Events = bytes.Replace(e.Events, []byte("make"), []byte("mbke"), 1) },
		"metadata byte": func(e *Envelope) {
			m := strings.Replace(*e.Metadata, `"exit_code":0`, `"exit_code":1`, 1)
			e.Metadata = &m
		},
		"digest":      func(e *Envelope) { d := flip(*e.SessionDigest, 5); e.SessionDigest = &d },
		"digest case": func(e *Envelope) { d := strings.ToUpper(*e.SessionDigest); e.SessionDigest = &d },
		"bundle":      func(e *Envelope) { b := strings.Replace(*e.Bundle, `"sig": "`, `"sig": "AA`, 1); e.Bundle = &b },
		"root":        func(e *Envelope) { e.MerkleRoot = flip(e.MerkleRoot, 0) },
		"head":        func(e *Envelope) { h := flip(*e.HashChainHead, 63); e.HashChainHead = &h },
		"session id":  func(e *Envelope) { e.SessionID = "s2" },
		"started_at":  func(e *Envelope) { e.StartedAt = "2026-04-21T20:00:01+02:00" },
		"ended_at":    func(e *Envelope) { e.EndedAt = nil },
		"last record": func(e *Envelope) {
			e.Events = e.Events[:bytes.LastIndexByte(bytes.TrimSuffix(e.Events, []byte("\n")), '\n')+1]
		},
		"bundle removed": func(e *Envelope) { e.Bundle = nil; e.Metadata = nil; e.SessionDigest = nil; e.MerkleRoot = "00" },
	}
	for name, f := range cases {
		if r := edit(f); r.OK() {
			t.Errorf("%s: tampering not found", name)
		}
	}
	if r := Verify(env, Options{}); !r.OK() {
		t.Fatalf("untouched envelope fails: %q", r.Problems)
	}
}

func TestLegacyEnvelope(t *testing.T) {
	root := t.TempDir()
	env, _ := build(t, root, "s1", nil)
	env.Metadata, env.SessionDigest = nil, nil
	body := env.Encode()
	if bytes.Contains(body, []byte("session_digest")) {
		t.Fatal("legacy form still has the digest")
	}
	e, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	r := Verify(e, Options{})
	if !r.OK() || r.Metadata != MetadataUnverifiable || len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "unverifiable") {
		t.Errorf("legacy: %+v", r)
	}
	e.Events = bytes.Replace(e.Events, []byte("make"), []byte("mbke"), 1)
	if Verify(e, Options{}).OK() {
		t.Error("legacy events not verified")
	}
}

func TestParseRefuses(t *testing.T) {
	root := t.TempDir()
	_, body := build(t, root, "s1", nil)
	s := string(body)
	cases := map[string]string{
		"not json":           `{"ingest_id":`,
		"array":              `[]`,
		"duplicate key":      strings.Replace(s, `{"ingest_id":`, `{"tenant_id":"x","ingest_id":`, 1),
		"metadata only":      strings.Replace(s, `"session_digest":`, `"session_digestx":`, 1),
		"digest only":        strings.Replace(s, `"session_metadata_json":`, `"session_metadata_jsonx":`, 1),
		"missing events":     strings.Replace(s, `"events_ndjson":`, `"events":`, 1),
		"number session id":  strings.Replace(s, `"session_id":"s1"`, `"session_id":1`, 1),
		"null metadata":      strings.Replace(s, `"session_metadata_json":"`, `"session_metadata_json":null,"x":"`, 1),
		"missing principal":  strings.Replace(s, `"principal_id":null,`, ``, 1),
		"invalid utf-8":      strings.Replace(s, `"tenant_id":"acme"`, "\"tenant_id\":\"a\xffe\"", 1),
		"trailing garbage":   s + "x",
		"bundle not string":  strings.Replace(s, `"events_ndjson":`, `"attestation_bundle":{},"events_ndjson":`, 1),
		"ended_at as number": strings.Replace(s, `"ended_at":"2026-04-21T20:00:04+02:00"`, `"ended_at":5`, 1),
	}
	for name, in := range cases {
		_, err := Parse([]byte(in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want a ParseError", name, err)
		}
	}
	// Unknown keys are kept, at the end, and ignored by verification.
	e, err := Parse([]byte(strings.Replace(s, `{"ingest_id":`, `{"future":[1],"ingest_id":`, 1)))
	if err != nil || len(e.Extra) != 1 || !Verify(e, Options{}).OK() {
		t.Errorf("unknown key: %v %+v", err, e)
	}
}

func TestNotShippable(t *testing.T) {
	root := t.TempDir()
	e := record(t, root, "s1", nil)
	// No integrity summary.
	session.Update(e.Dir, func(s *session.Session) error { s.AuditIntegrity = nil; return nil })
	e, _ = (&session.Store{AuditRoot: root}).Find(session.AuditSide, "s1")
	if _, err := Build(e, root, ident); !errors.Is(err, ErrNotShippable) || !strings.Contains(err.Error(), "no audit_integrity") {
		t.Errorf("no integrity: %v", err)
	}
	// A log edited after recording.
	e = record(t, root, "s2", nil)
	logPath := filepath.Join(e.Dir, session.EventsFileName)
	data, _ := os.ReadFile(logPath)
	os.WriteFile(logPath, bytes.Replace(data, []byte("make"), []byte("mbke"), 1), 0o600)
	if _, err := Build(e, root, ident); !errors.Is(err, ErrNotShippable) || !strings.Contains(err.Error(), "does not verify") {
		t.Errorf("tampered log: %v", err)
	}
	// Never finished.
	e = record(t, root, "s3", nil)
	session.Update(e.Dir, func(s *session.Session) error { s.Ended = nil; return nil })
	e, _ = (&session.Store{AuditRoot: root}).Find(session.AuditSide, "s3")
	if _, err := Build(e, root, ident); !errors.Is(err, ErrNotShippable) || !strings.Contains(err.Error(), "never finished") {
		t.Errorf("incomplete: %v", err)
	}
}

// TestUpstreamMetadataFixture: upstream's cross-repository fixture for
// the shipped metadata; its digest is fixed by upstream's test.
func TestUpstreamMetadataFixture(t *testing.T) {
	ended, code := "2026-07-21T07:18:23.431345+01:00", int32(0)
	s := &session.Session{
		SessionID: "11822689bd7b29bd", Started: "2026-07-21T07:18:23.355693+01:00", Ended: &ended,
		Command: []string{"/usr/bin/true"},
		ExecutableIdentity: &session.ExecutableIdentity{ResolvedPath: "/usr/bin/true",
			SHA256: "ccb5264afd44f9c8539ef99ac96aec86d07bff579cabf1be3c0b57b1ed99afc5"},
		TrackedPaths: []string{"/Users/lukehinds/dev/nono-workspace/nono"}, ExitCode: &code, MerkleRoots: []string{},
		AuditEventCount: 2,
		AuditIntegrity: &session.Integrity{HashAlgorithm: "sha256", EventCount: 2,
			ChainHead:  "95698453e92153a6b0b98cdb5d77f0ab3faa1b78e6bc52ca041b34212495a6e4",
			MerkleRoot: "c106781324877481f027c7a7ccf85970e1dc186a8544f709e14a04dac024bb09"},
	}
	payload, err := ledger.DigestPayload(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := merkle.Hex(digest(payload)); got != "02022c14ce57dca6b392adfaaa922e4335d57ae6ce3d8ad962ec203cfd31dd0b" {
		t.Errorf("digest %s", got)
	}
}

func FuzzParse(f *testing.F) {
	root := f.TempDir()
	_ = os.MkdirAll(root, 0o700)
	f.Add([]byte(`{"ingest_id":"a","tenant_id":"b","session_id":"c","shipper_id":"d","principal_id":null,"profile_ref":null,"merkle_root":"e","hash_chain_head":null,"started_at":"f","ended_at":null,"events_ndjson":""}`))
	f.Add([]byte(`{"session_metadata_json":"{}","session_digest":"00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever parses verifies without panicking, and re-encodes to
		// something that parses to the same envelope.
		Verify(e, Options{})
		e2, err := Parse(e.Encode())
		if err != nil || !bytes.Equal(e2.Encode(), e.Encode()) {
			t.Fatalf("re-encoding changed the envelope: %v", err)
		}
	})
}

func TestParseHead(t *testing.T) {
	root := t.TempDir()
	env, body := build(t, root, "s1", newKey(t))
	head, err := ParseHead(body)
	if err != nil || head.Events != nil || head.IngestID != env.IngestID || head.ShipperID != "subject-1" || head.EventLines != 3 {
		t.Fatalf("%v %+v", err, head)
	}
	full, _ := Parse(body)
	if full.EventLines != 3 {
		t.Errorf("lines %d", full.EventLines)
	}
	if _, err := ParseHead(bytes.Replace(body, []byte(`"events_ndjson":"`), []byte(`"events_ndjson":"\x01`), 1)); err == nil {
		t.Error("a raw control character in the skipped events was accepted")
	}
	for in, want := range map[string]uint64{`""`: 0, `"a"`: 1, `"a\n"`: 1, `"a\nb"`: 2, `"\n\n"`: 2, `"a\\n"`: 1, `"a\\\n"`: 1, `"\\\\n"`: 1} {
		if got := countLines([]byte(in)); got != want {
			t.Errorf("countLines(%s) = %d, want %d", in, got, want)
		}
	}
}
