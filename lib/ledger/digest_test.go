package ledger

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

type alphaVectors struct {
	SessionMetadata json.RawMessage `json:"session_metadata"`
	Ledger          struct {
		SessionDigest string          `json:"session_digest"`
		Record        json.RawMessage `json:"record"`
	} `json:"ledger"`
}

func goldenSession(t *testing.T) (*session.Session, alphaVectors) {
	t.Helper()
	data, err := os.ReadFile(vectors.Path("audit_alpha_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v alphaVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	s, err := session.Decode(v.SessionMetadata)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestGoldenDigestAndLink(t *testing.T) {
	s, v := goldenSession(t)
	payload, err := DigestPayload(s)
	if err != nil {
		t.Fatal(err)
	}
	const wantPayload = `{"session_id":"20260421-200000-11111","started":"2026-04-21T20:00:00Z","ended":"2026-04-21T20:00:01Z","command":["/bin/pwd"],"executable_identity":null,"tracked_paths":[[47,116,109,112,47,119,111,114,107]],"snapshot_count":0,"exit_code":0,"merkle_roots":[],"network_events":[],"audit_event_count":2,"audit_integrity":null,"audit_attestation":null}`
	if string(payload) != wantPayload {
		t.Fatalf("payload\n got %s\nwant %s", payload, wantPayload)
	}
	d, err := SessionDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	if merkle.Hex(d) != "3a1ed53d426d6ea2544cec6cf6b95ccdc31fda4570d86931239ee0f7d7d39012" || merkle.Hex(d) != v.Ledger.SessionDigest {
		t.Fatalf("digest %x", d)
	}
	rec, err := newRecord(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	if merkle.Hex(rec.ChainHash) != "8b6dbc155d44df05e6b5e9948fb8fff142222b4b41fb37284fb0d1217000e9bb" {
		t.Fatalf("chain hash %x", rec.ChainHash)
	}
	want, err := canon.Parse(v.Ledger.Record)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec.Encode()); got != string(canon.Compact(want)) {
		t.Fatalf("record\n got %s\nwant %s", got, canon.Compact(want))
	}
	parsed, err := ParseRecord(rec.Encode())
	if err != nil || *parsed != *rec {
		t.Fatalf("round trip: %+v %v", parsed, err)
	}
	if err := parsed.Check(); err != nil {
		t.Fatal(err)
	}
}

// Upstream's newer optional command_policy_summary goes last in the
// payload; its golden vector (testdata/vectors/command_policy_summary_vector.json)
// is reproduced byte for byte.
func TestGoldenDigestWithCommandPolicySummary(t *testing.T) {
	data, err := os.ReadFile(vectors.Path("command_policy_summary_vector.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		SessionMetadata json.RawMessage `json:"session_metadata"`
		DigestPayload   string          `json:"digest_payload"`
		SessionDigest   string          `json:"session_digest"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	withSummary, err := session.Decode(v.SessionMetadata)
	if err != nil {
		t.Fatal(err)
	}
	if withSummary.CommandPolicySummary == nil || withSummary.CommandPolicySummary.Commands[0].Denied != 1 {
		t.Fatalf("summary not read: %+v", withSummary.CommandPolicySummary)
	}
	payload, err := DigestPayload(withSummary)
	if err != nil {
		t.Fatal(err)
	}
	if string(payload) != v.DigestPayload {
		t.Fatalf("payload\n got %s\nwant %s", payload, v.DigestPayload)
	}
	d, err := SessionDigest(withSummary)
	if err != nil {
		t.Fatal(err)
	}
	if got := merkle.Hex(d); got != v.SessionDigest || !strings.HasPrefix(got, "20ed86fc") {
		t.Fatalf("digest %s, want %s", got, v.SessionDigest)
	}
	// Without it the digest is the older golden one.
	s, old := goldenSession(t)
	if d, _ := SessionDigest(s); merkle.Hex(d) != old.Ledger.SessionDigest {
		t.Fatal("digest without the summary changed")
	}
}

// Keys a newer recorder adds to session.json are covered as they stand,
// where they stand: a session it wrote verifies here, and editing them is
// caught.
func TestDigestCoversUnknownKeys(t *testing.T) {
	s, v := goldenSession(t)
	m, _ := canon.Parse(v.SessionMetadata)
	m.Members = append(m.Members, canon.Member{Key: "resource_limits", Value: canon.ObjectValue(
		canon.Member{Key: "cpu_seconds", Value: canon.UintValue(30)})})
	newer, err := session.Decode(canon.Pretty(m))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := DigestPayload(newer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(payload), `,"audit_attestation":null,"resource_limits":{"cpu_seconds":30}}`) {
		t.Fatalf("payload %s", payload)
	}
	d1, _ := SessionDigest(newer)
	d0, _ := SessionDigest(s)
	if d1 == d0 {
		t.Fatal("an unknown key is not covered")
	}
	m.Members[len(m.Members)-1].Value = canon.ObjectValue(canon.Member{Key: "cpu_seconds", Value: canon.UintValue(31)})
	edited, _ := session.Decode(canon.Pretty(m))
	if d2, _ := SessionDigest(edited); d2 == d1 {
		t.Fatal("editing an unknown key is not caught")
	}
}

func TestDigestCoversEveryField(t *testing.T) {
	base, _ := goldenSession(t)
	base.TrackedPaths = []string{"/tmp/w\xffrk"}
	base.ExecutableIdentity = &session.ExecutableIdentity{ResolvedPath: "/bin/pwd", SHA256: strings.Repeat("ab", 32)}
	base.AuditIntegrity = &session.Integrity{HashAlgorithm: "sha256", EventCount: 2, ChainHead: strings.Repeat("01", 32), MerkleRoot: strings.Repeat("02", 32)}
	base.AuditAttestation = &session.Attestation{PredicateType: "p", KeyID: "k", PublicKey: "pk", BundleFilename: "b"}
	ev, _ := canon.Parse([]byte(`{"timestamp_unix_ms":1,"mode":"connect","decision":"allow","target":"example.com","port":443,"method":null,"path":null,"status":null,"reason":null}`))
	base.NetworkEvents = session.NetworkEventsOf(ev)
	d0, err := SessionDigest(base)
	if err != nil {
		t.Fatal(err)
	}
	ended, code := "x", int32(3)
	changes := map[string]func(s *session.Session){
		"session_id":      func(s *session.Session) { s.SessionID += "0" },
		"started":         func(s *session.Session) { s.Started += "0" },
		"ended":           func(s *session.Session) { s.Ended = &ended },
		"ended null":      func(s *session.Session) { s.Ended = nil },
		"command":         func(s *session.Session) { s.Command = append(s.Command, "-L") },
		"command split":   func(s *session.Session) { s.Command = []string{"/bin/", "pwd"} },
		"exe path":        func(s *session.Session) { s.ExecutableIdentity.ResolvedPath = "/bin/pwe" },
		"exe sha":         func(s *session.Session) { s.ExecutableIdentity.SHA256 = strings.Repeat("ac", 32) },
		"exe null":        func(s *session.Session) { s.ExecutableIdentity = nil },
		"path byte ff→fe": func(s *session.Session) { s.TrackedPaths = []string{"/tmp/w\xferk"} },
		"paths":           func(s *session.Session) { s.TrackedPaths = append(s.TrackedPaths, "/") },
		"snapshot_count":  func(s *session.Session) { s.SnapshotCount++ },
		"exit_code":       func(s *session.Session) { s.ExitCode = &code },
		"exit_code null":  func(s *session.Session) { s.ExitCode = nil },
		"merkle_roots":    func(s *session.Session) { s.MerkleRoots = []string{strings.Repeat("03", 32)} },
		"network_events":  func(s *session.Session) { s.NetworkEvents = session.NetworkEvents{} },
		"network field": func(s *session.Session) {
			ev, _ := canon.Parse([]byte(`{"timestamp_unix_ms":1,"mode":"connect","decision":"deny","target":"example.com","port":443,"method":null,"path":null,"status":null,"reason":null}`))
			s.NetworkEvents = session.NetworkEventsOf(ev)
		},
		"event_count":      func(s *session.Session) { s.AuditEventCount++ },
		"integrity root":   func(s *session.Session) { s.AuditIntegrity.MerkleRoot = strings.Repeat("04", 32) },
		"integrity null":   func(s *session.Session) { s.AuditIntegrity = nil },
		"attestation key":  func(s *session.Session) { s.AuditAttestation.KeyID = "k2" },
		"attestation null": func(s *session.Session) { s.AuditAttestation = nil },
	}
	for name, change := range changes {
		s := cloneSession(base)
		change(s)
		d, err := SessionDigest(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d == d0 {
			t.Errorf("%s: digest unchanged", name)
		}
	}
}

func cloneSession(s *session.Session) *session.Session {
	c := *s
	c.Command = append([]string(nil), s.Command...)
	c.TrackedPaths = append([]string(nil), s.TrackedPaths...)
	if s.ExecutableIdentity != nil {
		e := *s.ExecutableIdentity
		c.ExecutableIdentity = &e
	}
	if s.AuditIntegrity != nil {
		i := *s.AuditIntegrity
		c.AuditIntegrity = &i
	}
	if s.AuditAttestation != nil {
		a := *s.AuditAttestation
		c.AuditAttestation = &a
	}
	return &c
}

// Network events are digested in upstream's typed form: the order of the
// known keys makes no difference; a key this version does not know (a
// newer recorder's) is covered as it stands; a bad event is an error.
func TestDigestNetworkEventsTyped(t *testing.T) {
	s, _ := goldenSession(t)
	digest := func(events ...string) (string, error) {
		c := cloneSession(s)
		var vs []canon.Value
		for _, e := range events {
			v, err := canon.Parse([]byte(e))
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		c.NetworkEvents = session.NetworkEventsOf(vs...)
		d, err := SessionDigest(c)
		return merkle.Hex(d), err
	}
	a, err := digest(`{"timestamp_unix_ms":1,"mode":"connect","decision":"allow","target":"example.com","port":443,"method":null,"path":null,"status":null,"reason":null}`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := digest(`{"mode":"connect","timestamp_unix_ms":1,"decision":"allow","target":"example.com","port":443,"method":null,"path":null,"status":null,"reason":null}`)
	if err != nil || a != b {
		t.Fatalf("reordered event digests differently: %v", err)
	}
	c, err := digest(`{"timestamp_unix_ms":1,"mode":"connect","decision":"allow","target":"example.com","port":443,"method":null,"path":null,"status":null,"reason":null,"future_key":1}`)
	if err != nil || c == a {
		t.Fatalf("a newer recorder's key is not covered: %v", err)
	}
	if _, err := digest(`{"mode":"connect"}`); err == nil || !strings.Contains(err.Error(), "network_events[0]") {
		t.Fatalf("incomplete event: %v", err)
	}
}

func TestDigestRefusesInvalidUTF8(t *testing.T) {
	s, _ := goldenSession(t)
	s.Command = []string{"a\xffb"}
	if _, err := SessionDigest(s); err == nil || !strings.Contains(err.Error(), "command[0]") {
		t.Fatalf("error %v", err)
	}
}

func TestInvalidIDRefused(t *testing.T) {
	s, _ := goldenSession(t)
	s.SessionID = "real-token|real-key"
	if _, err := newRecord(nil, s); !errors.Is(err, errInvalidID) {
		t.Fatal("NewRecord accepted the id")
	}
	root := t.TempDir()
	if _, err := Append(root, s, 0); !errors.Is(err, errInvalidID) || !strings.Contains(err.Error(), "real-token|real-key") {
		t.Fatalf("Append: %v", err)
	}
	if _, err := os.Stat(root + "/" + FileName); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused append created the ledger")
	}
	line := `{"sequence":0,"prev_chain":null,"session_id":"real-token|real-key","session_digest":"` + strings.Repeat("00", 32) + `","completed_at":"x","chain_hash":"` + strings.Repeat("00", 32) + `"}`
	if _, err := ParseRecord([]byte(line)); err == nil {
		t.Fatal("ParseRecord accepted the id")
	}
}

func TestParseRecordRejects(t *testing.T) {
	s, _ := goldenSession(t)
	rec, _ := newRecord(nil, s)
	good := string(rec.Encode())
	h := merkle.Hex(rec.ChainHash)
	for name, tc := range map[string]struct{ in, msg string }{
		"duplicate key":   {strings.Replace(good, `"sequence":0`, `"sequence":0,"sequence":0`, 1), "duplicate"},
		"missing digest":  {strings.Replace(good, `"session_digest":"3a1ed53d426d6ea2544cec6cf6b95ccdc31fda4570d86931239ee0f7d7d39012",`, ``, 1), `missing field "session_digest"`},
		"string sequence": {strings.Replace(good, `"sequence":0`, `"sequence":"0"`, 1), "sequence"},
		"numeric id":      {strings.Replace(good, `"20260421-200000-11111"`, `7`, 1), "session_id"},
		"short hash":      {strings.Replace(good, h, h[:60], 1), "chain_hash"},
		"prev not hash":   {strings.Replace(good, `"prev_chain":null`, `"prev_chain":1`, 1), "prev_chain"},
		"garbage after":   {good + "{}", "trailing"},
		"array":           {"[1]", "want a JSON object"},
	} {
		_, err := ParseRecord([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, tc.msg)
		}
	}
	// A newer writer's key is ignored, as upstream ignores it.
	if r, err := ParseRecord([]byte(strings.Replace(good, `"sequence":0`, `"sequence":0,"x":1`, 1))); err != nil || r.Check() != nil {
		t.Fatalf("unknown key: %v", err)
	}
	// A missing prev_chain reads as null, as upstream reads it.
	r, err := ParseRecord([]byte(strings.Replace(good, `"prev_chain":null,`, ``, 1)))
	if err != nil || r.PrevChain != nil || r.Check() != nil {
		t.Fatalf("missing prev_chain: %+v %v", r, err)
	}
	// Uppercase hex is read; the chain hash is over the parsed values.
	r, err = ParseRecord([]byte(strings.ToUpper(good[:0]) + strings.Replace(good, h, strings.ToUpper(h), 1)))
	if err != nil || r.Check() != nil {
		t.Fatalf("uppercase hex: %v", err)
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"sequence":0,"prev_chain":null,"session_id":"20260421-200000-11111","session_digest":"3a1ed53d426d6ea2544cec6cf6b95ccdc31fda4570d86931239ee0f7d7d39012","completed_at":"2026-04-21T20:00:01Z","chain_hash":"8b6dbc155d44df05e6b5e9948fb8fff142222b4b41fb37284fb0d1217000e9bb"}`))
	f.Add([]byte(`{"sequence":1,"prev_chain":"8b6dbc155d44df05e6b5e9948fb8fff142222b4b41fb37284fb0d1217000e9bb","session_id":"a","session_digest":"00","completed_at":"","chain_hash":""}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseRecord(line)
		if err != nil {
			return
		}
		_ = r.Check()
		again, err := ParseRecord(r.Encode())
		if err != nil {
			t.Fatalf("re-parse of %s: %v", r.Encode(), err)
		}
		if string(again.Encode()) != string(r.Encode()) {
			t.Fatal("encoding is not stable")
		}
	})
}

// The payload streamed one event at a time is the compact record with the
// events in their typed form, in place.
func TestDigestPayloadStreamsEvents(t *testing.T) {
	s, _ := goldenSession(t)
	raw := []string{
		`{"mode":"connect","timestamp_unix_ms":1,"decision":"allow","target":"a.example","port":443,"method":null,"path":null,"status":null,"reason":null}`,
		`{"timestamp_unix_ms":2,"mode":"connect","decision":"deny","denial_category":"host_denied","target":"b.example","port":null,"method":"GET","path":"/","status":403,"reason":"no"}`,
	}
	var vs, typed []canon.Value
	for _, r := range raw {
		v, err := canon.Parse([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
		tv, err := event.CanonicalizeNetworkEvent(v)
		if err != nil {
			t.Fatal(err)
		}
		typed = append(typed, tv)
	}
	s.NetworkEvents = session.NetworkEventsOf(vs...)
	got, err := DigestPayload(s)
	if err != nil {
		t.Fatal(err)
	}
	s.NetworkEvents = session.NetworkEvents{}
	empty, err := DigestPayload(s)
	if err != nil {
		t.Fatal(err)
	}
	arr := string(canon.Compact(canon.ArrayValue(typed...)))
	want := strings.Replace(string(empty), `"network_events":[]`, `"network_events":`+arr, 1)
	if string(got) != want {
		t.Fatalf("payload:\n%s\nwant:\n%s", got, want)
	}
}
