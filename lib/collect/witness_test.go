package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/objstore"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/witness"
)

// ledgerHost is a host's ledger and its note key.
type ledgerHost struct {
	t    *testing.T
	root string
	key  *checkpoint.Key
	n    int
}

func (h *ledgerHost) grow(n int) []byte {
	h.t.Helper()
	for range n {
		ended := "2026-07-01T10:00:01Z"
		s := &session.Session{SessionID: fmt.Sprintf("s%03d", h.n), Started: "2026-07-01T10:00:00Z", Ended: &ended,
			Command: []string{"true"}, TrackedPaths: []string{}, MerkleRoots: []string{}}
		if _, err := ledger.Append(h.root, s, time.Second); err != nil {
			h.t.Fatal(err)
		}
		h.n++
	}
	res, err := checkpoint.Update(h.root, h.key, checkpoint.Options{Force: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return res.Note
}

func (f *fixture) addCheckpoint(h *ledgerHost, cp []byte, old uint64, vkey string) ([]byte, error) {
	var path []merkle.Hash
	if c, _ := checkpoint.ParseUnverified(cp); old > 0 && old < c.Size {
		p, err := checkpoint.Consistency(h.root, old, c, time.Second)
		if err != nil {
			f.t.Fatal(err)
		}
		path = p.Path
	}
	body := (&witness.AddRequest{OldSize: old, Proof: path, Checkpoint: cp}).Encode()
	id, _ := delivery.NewUUIDv7(f.now)
	hd, _ := delivery.SignRequest(f.key, "POST", delivery.WitnessPath, f.en.SubjectID, id, body, f.now)
	return f.c.AddCheckpoint(context.Background(), &IngestRequest{Path: delivery.WitnessPath, Headers: hd, Body: body}, vkey)
}

func TestWitnessInTheBucket(t *testing.T) {
	f := newFixture(t)
	skey, _, _ := checkpoint.GenerateKey("nono-ledger/h")
	key, _ := checkpoint.ParseKey(skey)
	h := &ledgerHost{t: t, root: t.TempDir(), key: key}
	cp := h.grow(2)
	if _, err := f.addCheckpoint(h, cp, 0, key.VKey); refusalCode(err) != "witness_disabled" {
		t.Fatalf("without a witness key: %v", err)
	}
	wkey, _, _ := checkpoint.GenerateKey("collect.example")
	w, err := witness.New(wkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.c.Witness = w
	sigs, err := f.addCheckpoint(h, cp, 0, key.VKey)
	if err != nil || !bytes.HasPrefix(sigs, []byte("\u2014 collect.example ")) {
		t.Fatalf("%q %v", sigs, err)
	}
	held := witnessKey("acme", "nono-ledger/h", "checkpoint")
	o, err := f.b.Get(context.Background(), held, "", 1<<20)
	if err != nil || !bytes.Equal(o.Data, append(bytes.Clone(cp), sigs...)) {
		t.Fatalf("held: %v", err)
	}
	// Another key for the same origin is refused: the first one is pinned.
	skey2, _, _ := checkpoint.GenerateKey("nono-ledger/h")
	key2, _ := checkpoint.ParseKey(skey2)
	if _, err := f.addCheckpoint(h, cp, 2, key2.VKey); refusalCode(err) != "log_key_mismatch" {
		t.Fatalf("another key: %v", err)
	}
	// The size held is told on a mismatch; the proof from it is accepted.
	cp5 := h.grow(3)
	var conflict *SizeConflict
	if _, err := f.addCheckpoint(h, cp5, 0, key.VKey); !errors.As(err, &conflict) || conflict.Size != 2 {
		t.Fatalf("old size 0: %v", err)
	}
	if _, err := f.addCheckpoint(h, cp5, 2, key.VKey); err != nil {
		t.Fatal(err)
	}
	if n := f.b.count(held); n != 2 {
		t.Fatalf("%d versions of the held checkpoint", n)
	}
	// A rolled-back ledger is refused, and the evidence kept, locked.
	if _, err := f.addCheckpoint(h, cp, 5, key.VKey); refusalCode(err) != "ledger_rewritten" {
		t.Fatalf("rolled back: %v", err)
	}
	var evidence []string
	f.b.List(context.Background(), WitnessPrefix("acme"), false, func(e objstore.Entry) bool {
		if strings.Contains(e.Key, "/refused/") {
			evidence = append(evidence, e.Key)
		}
		return true
	})
	if len(evidence) != 1 {
		t.Fatalf("evidence %v", evidence)
	}
	if o, err := f.b.Get(context.Background(), evidence[0], "", 1<<20); err != nil || o.RetainMode != "COMPLIANCE" {
		t.Fatalf("evidence not locked: %v", err)
	}
	logs, err := ListWitnessed(context.Background(), f.b, WitnessPrefix(""))
	if err != nil || len(logs) != 1 {
		t.Fatalf("%v %v", logs, err)
	}
	if l := logs[0]; l.Tenant != "acme" || l.Origin != "nono-ledger/h" || l.VerifierKey != key.VKey || l.Latest.Size != 5 || len(l.Refusals) != 1 {
		t.Fatalf("%+v", l)
	}
}

// The held checkpoint moves by compare-and-swap: a write over a version
// that is no longer current loses.
func TestBucketStoreCompareAndSwap(t *testing.T) {
	f := newFixture(t)
	s := &bucketStore{ctx: context.Background(), c: f.c, tenant: "acme", requestID: "r"}
	if err := s.Replace("o", nil, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Replace("o", nil, []byte("b")); !errors.Is(err, witness.ErrChanged) {
		t.Fatalf("second first write: %v", err)
	}
	if err := s.Replace("o", []byte("x"), []byte("b")); !errors.Is(err, witness.ErrChanged) {
		t.Fatalf("over another value: %v", err)
	}
	if err := s.Replace("o", []byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Latest("o"); string(got) != "b" {
		t.Fatalf("latest %q", got)
	}
}
