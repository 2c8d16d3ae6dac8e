package attest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/session"
)

func FuzzStartedPolicy(f *testing.F) {
	f.Add([]byte(`{"sequence":0,"event_json":"{\"type\":\"session_started\",\"started\":\"t\",\"command\":[],\"redaction_policy\":{\"added_flags\":[\"--a\"]}}"}` + "\n"))
	f.Add([]byte(`{"event":{"type":"session_started"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		startedPolicy(bytes.NewReader(data))
	})
}

// FuzzVerifyBundle feeds arbitrary bundles to both verifiers: they must
// never panic, and anything they accept must carry a valid signature by
// the example key over a statement naming the example session.
func FuzzVerifyBundle(f *testing.F) {
	example := testdata(f, "attestation-example.bundle")
	f.Add(example)
	f.Add(bytes.Replace(example, []byte(`"payloadType": "application/vnd.in-toto+json"`), []byte(`"payloadType": "x"`), 1))
	_, pub, err := dsse.ReadPublicKeyFile(vectors.Path("attestation-example.pub"))
	if err != nil {
		f.Fatal(err)
	}
	s, err := session.Decode(testdata(f, "attestation-example.session.json"))
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, session.EventsFileName), startedRecord(s.Command, canon.NullValue()), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := VerifyBundle(data, pub, Expect{SessionID: exampleID, MerkleRoot: exampleRoot})
		if r.Valid() && (r.Statement == nil || r.Statement.Predicate.SessionID != exampleID) {
			t.Fatalf("accepted a bundle without the example statement")
		}
		if err := os.WriteFile(filepath.Join(dir, session.BundleFileName), data, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := VerifySession(dir, s, "")
		if err != nil {
			t.Fatal(err)
		}
		if res.OK() {
			b, err := dsse.ParseBundle(data)
			if err != nil || !dsse.Verify(pub, dsse.PayloadType, b.Envelope.Payload, b.Envelope.Signatures[0].Sig) {
				t.Fatalf("VerifySession accepted a bundle without a valid signature")
			}
		}
	})
}
