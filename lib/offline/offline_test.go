package offline

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/merkle/logproof"
	"github.com/nono-audit/nono/lib/session"
)

// testLog is a signed session: its log, the log's totals and the bundle.
type testLog struct {
	log    []byte
	totals chain.Pins
	bundle *Bundle
}

func newTestLog(t *testing.T) *testLog {
	t.Helper()
	ended, code := "2026-04-21T20:00:01Z", int32(0)
	s := &session.Session{SessionID: "0123456789abcdef", Started: "2026-04-21T20:00:00Z", Ended: &ended,
		Command: []string{"make"}, ExitCode: &code, MerkleRoots: []string{}, TrackedPaths: []string{}}
	policy := canon.NullValue()
	var buf bytes.Buffer
	rec := chain.NewRecorder(&buf)
	for _, ev := range [][]byte{event.SessionStarted(s.Started, s.Command, policy), event.SessionEnded(ended, 0)} {
		if err := rec.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	res, err := chain.Verify(bytes.NewReader(buf.Bytes()), chain.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.AuditEventCount = res.EventCount
	s.AuditIntegrity = &session.Integrity{HashAlgorithm: "sha256", EventCount: res.EventCount,
		ChainHead: merkle.Hex(*res.ChainHead), MerkleRoot: merkle.Hex(*res.MerkleRoot)}
	key, err := dsse.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := attest.Sign(s, policy, key)
	if err != nil {
		t.Fatal(err)
	}
	n := res.EventCount
	return &testLog{
		log:    buf.Bytes(),
		totals: chain.Pins{Count: &n, Head: res.ChainHead, Root: res.MerkleRoot},
		bundle: &Bundle{Name: "b.bundle", Data: b.Encode(), PublicKey: &key.PublicKey, SessionID: s.SessionID},
	}
}

func (l *testLog) request(records bool) *Request {
	r := &Request{Name: "log.ndjson"}
	if records {
		r.Records = bytes.NewReader(l.log)
	}
	return r
}

func verify(t *testing.T, req *Request) *Report {
	t.Helper()
	rep, err := Verify(req)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRecordsAgainstPins(t *testing.T) {
	l := newTestLog(t)
	rep := verify(t, l.request(true))
	if rep.Err != nil || !strings.HasPrefix(rep.Text(), "verified 2 records: chain head ") {
		t.Fatalf("valid log: %v, %q", rep.Err, rep.Text())
	}
	req := l.request(true)
	req.Pins = l.totals
	if rep := verify(t, req); rep.Err != nil || !strings.HasSuffix(rep.Text(), "(pinned totals match)") {
		t.Errorf("pinned: %v %q", rep.Err, rep.Text())
	}
	three := uint64(3)
	req = l.request(true)
	req.Pins = chain.Pins{Count: &three}
	rep = verify(t, req)
	var me *chain.MismatchError
	if !errors.As(rep.Err, &me) || !strings.HasPrefix(rep.Err.Error(), "log.ndjson: event count mismatch") {
		t.Errorf("wrong pinned count: %v", rep.Err)
	}
	if v, ok := rep.Value(); !ok || !strings.Contains(string(canon.Compact(v)), `"error":"event count mismatch`) {
		t.Errorf("JSON of a mismatch: %s %v", canon.Compact(v), ok)
	}
	req = l.request(false)
	req.Records = bytes.NewReader(bytes.Replace(l.log, []byte(`make`), []byte(`mako`), 1))
	var re *chain.RecordError
	if rep := verify(t, req); !errors.As(rep.Err, &re) {
		t.Errorf("tampered record: %v", rep.Err)
	}
}

func TestProofs(t *testing.T) {
	l := newTestLog(t)
	src := logproof.Source{}
	inc, err := logproof.Inclusion(bytes.NewReader(l.log), src, 1)
	if err != nil {
		t.Fatal(err)
	}
	con, err := logproof.Consistency(bytes.NewReader(l.log), src, 1)
	if err != nil {
		t.Fatal(err)
	}
	first, err := logproof.Summarize(bytes.NewReader(l.log[:bytes.IndexByte(l.log, '\n')+1]), src)
	if err != nil {
		t.Fatal(err)
	}
	for _, records := range []bool{true, false} {
		req := l.request(records)
		req.Pins = l.totals
		req.Inclusion = &Inclusion{Name: "p.json", Proof: inc}
		req.Consistency = &Consistency{Name: "c.json", Proof: con, OldCount: 1, OldRoot: *first.MerkleRoot}
		rep := verify(t, req)
		if rep.Err != nil {
			t.Fatalf("records=%v: %v", records, rep.Err)
		}
		if !records && !strings.HasPrefix(rep.Text(), "verified inclusion proof and consistency proof against 2 events") {
			t.Errorf("text %q", rep.Text())
		}
		req = l.request(records)
		req.Pins = l.totals
		req.Consistency = &Consistency{Name: "c.json", Proof: con, OldCount: 1, OldRoot: *l.totals.Root}
		var me *chain.MismatchError
		if rep := verify(t, req); !errors.As(rep.Err, &me) || !strings.Contains(rep.Err.Error(), "consistency proof c.json") {
			t.Errorf("records=%v: wrong old root: %v", records, rep.Err)
		}
	}
	zero := uint64(0)
	req := l.request(false)
	req.Pins = chain.Pins{Count: &zero}
	req.Inclusion = &Inclusion{Name: "p.json", Proof: inc}
	if rep := verify(t, req); rep.Err == nil || !strings.Contains(rep.Err.Error(), "empty log") {
		t.Errorf("proof against an empty log: %v", rep.Err)
	}
}

func TestBundle(t *testing.T) {
	l := newTestLog(t)
	for _, records := range []bool{true, false} {
		req := l.request(records)
		req.Pins = chain.Pins{Root: l.totals.Root}
		req.Bundle = l.bundle
		rep := verify(t, req)
		if rep.Err != nil || !strings.HasPrefix(rep.Text(), "b.bundle: verified: session 0123456789abcdef, 2 events") {
			t.Fatalf("records=%v: %v %q", records, rep.Err, rep.Text())
		}
		req.Bundle = &Bundle{Name: "b.bundle", Data: l.bundle.Data, PublicKey: l.bundle.PublicKey, SessionID: "other"}
		if records {
			req.Records = bytes.NewReader(l.log)
		}
		rep = verify(t, req)
		var be *BundleError
		if !errors.As(rep.Err, &be) || be.Result.FailedCheck != "session_id" {
			t.Errorf("records=%v: other session: %v", records, rep.Err)
		}
		if _, ok := rep.Value(); !ok {
			t.Errorf("records=%v: an invalid bundle has a JSON verdict too", records)
		}
	}
}
