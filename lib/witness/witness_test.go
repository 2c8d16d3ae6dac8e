package witness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tlog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

type host struct {
	t    *testing.T
	root string
	key  *checkpoint.Key
	n    int
}

func newHost(t *testing.T, name string) *host {
	skey, _, err := checkpoint.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	k, err := checkpoint.ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &host{t: t, root: t.TempDir(), key: k}
}

func testSession(id string) *session.Session {
	ended := "2026-04-21T20:00:01Z"
	return &session.Session{SessionID: id, Started: "2026-04-21T20:00:00Z", Ended: &ended, Command: []string{"true"}, TrackedPaths: []string{}, MerkleRoots: []string{}}
}

// grow appends n sessions and returns the new checkpoint.
func (h *host) grow(n int) []byte {
	h.t.Helper()
	for range n {
		if _, err := ledger.Append(h.root, testSession(fmt.Sprintf("s%03d", h.n)), time.Second); err != nil {
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

func (h *host) proof(from uint64, cp []byte) *merkle.ConsistencyProof {
	h.t.Helper()
	c, _ := checkpoint.ParseUnverified(cp)
	p, err := checkpoint.Consistency(h.root, from, c, time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func newWitness(t *testing.T, dir string) (*Witness, note.Verifier) {
	skey, vkey, err := checkpoint.GenerateKey("witness.example")
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(skey, DirStore{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	v, err := CosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return w, v
}

func TestWitnessFollowsAnHonestHost(t *testing.T) {
	h := newHost(t, "nono-ledger/h")
	dir := t.TempDir()
	w, wv := newWitness(t, dir)

	first := h.grow(3)
	res, err := w.Add(first, h.key.Verifier, nil)
	if err != nil || res.Previous != nil || res.Checkpoint.Size != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	// The cosigned checkpoint carries both signatures, and the ecosystem's
	// parser verifies the log's and the witness's.
	if _, _, n, err := tlog.ParseCheckpoint(res.Cosigned, "nono-ledger/h", h.key.Verifier, wv); err != nil || len(n.Sigs) != 2 {
		t.Fatalf("%v", err)
	}
	held, _ := os.ReadFile(filepath.Join(dir, "nono-ledger%2Fh", "checkpoint"))
	if !bytes.Equal(held, res.Cosigned) {
		t.Fatal("the held checkpoint is not the cosigned one")
	}

	// The same checkpoint again is fine (idempotent), and so is its
	// cosigned form.
	if _, err := w.Add(res.Cosigned, h.key.Verifier, nil); err != nil {
		t.Fatal(err)
	}
	second := h.grow(4)
	var need *checkpoint.ProofNeededError
	if _, err := w.Add(second, h.key.Verifier, nil); !errors.As(err, &need) || need.From != 3 {
		t.Fatalf("without a proof: %v", err)
	}
	if _, err := w.Add(second, h.key.Verifier, h.proof(2, second)); !errors.As(err, &need) {
		t.Fatalf("a proof from the wrong size: %v", err)
	}
	res, err = w.Add(second, h.key.Verifier, h.proof(3, second))
	if err != nil || res.Previous.Size != 3 || res.Checkpoint.Size != 7 {
		t.Fatalf("%+v %v", res, err)
	}
	// Older checkpoints are not accepted once a newer one is held.
	if _, err := w.Add(first, h.key.Verifier, nil); !errors.Is(err, checkpoint.ErrInvalid) {
		t.Fatalf("went back: %v", err)
	}
	// A checkpoint by another key for the same origin is refused outright.
	impostor := newHost(t, "nono-ledger/h")
	if _, err := w.Add(impostor.grow(9), h.key.Verifier, nil); !errors.Is(err, checkpoint.ErrInvalid) {
		t.Fatalf("%v", err)
	}
}

// A host that removed a session and recomputed its chain is refused, and
// the evidence kept.
func TestWitnessRefusesARewrittenLedger(t *testing.T) {
	h := newHost(t, "nono-ledger/h")
	dir := t.TempDir()
	w, _ := newWitness(t, dir)
	if _, err := w.Add(h.grow(7), h.key.Verifier, nil); err != nil {
		t.Fatal(err)
	}
	// Rewrite: the same sessions but s002, chained anew, then more.
	forged := &host{t: t, root: t.TempDir(), key: h.key}
	for i := range 7 {
		if i != 2 {
			ledger.Append(forged.root, testSession(fmt.Sprintf("s%03d", i)), time.Second)
		}
	}
	forged.n = 7
	cp := forged.grow(5)
	_, err := w.Add(cp, h.key.Verifier, forged.proof(7, cp))
	var refused *RefusedError
	if !errors.As(err, &refused) || !errors.Is(err, checkpoint.ErrInvalid) || refused.Evidence == "" {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("%v", err)
	}
	data, err := os.ReadFile(refused.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := canon.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := ev.Get("checkpoint"); got.Str != string(cp) {
		t.Fatal("the evidence lacks the refused checkpoint")
	}
	// Same size, other root: a fork, refused without any proof.
	fork := &host{t: t, root: t.TempDir(), key: h.key}
	for i := range 7 {
		ledger.Append(fork.root, testSession(fmt.Sprintf("x%03d", i)), time.Second)
	}
	fork.n = 7
	if _, err := w.Add(fork.grow(0), h.key.Verifier, nil); !errors.As(err, &refused) {
		t.Fatalf("%v", err)
	}
	// The honest host goes on as before.
	next := h.grow(2)
	if _, err := w.Add(next, h.key.Verifier, h.proof(7, next)); err != nil {
		t.Fatal(err)
	}
}

// Two witnesses sharing a store never move it backwards.
func TestWitnessConcurrentAdds(t *testing.T) {
	h := newHost(t, "nono-ledger/h")
	dir := t.TempDir()
	w, _ := newWitness(t, dir)
	base := h.grow(1)
	if _, err := w.Add(base, h.key.Verifier, nil); err != nil {
		t.Fatal(err)
	}
	notes := [][]byte{h.grow(1), h.grow(1), h.grow(1)}
	var wg sync.WaitGroup
	for _, n := range notes {
		wg.Go(func() {
			for {
				held, _ := DirStore{Dir: dir}.Latest("nono-ledger/h")
				hc, _, _ := checkpoint.Open(held, h.key.Verifier)
				c, _ := checkpoint.ParseUnverified(n)
				if hc.Size >= c.Size {
					return
				}
				_, err := w.Add(n, h.key.Verifier, h.proof(hc.Size, n))
				var need *checkpoint.ProofNeededError
				if !errors.As(err, &need) {
					return
				}
			}
		})
	}
	wg.Wait()
	held, _ := DirStore{Dir: dir}.Latest("nono-ledger/h")
	hc, _, err := checkpoint.Open(held, h.key.Verifier)
	if err != nil || hc.Size != 4 {
		t.Fatalf("held %+v %v", hc, err)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"nono-ledger/h":   "nono-ledger%2Fh",
		"..":              "%2E.",
		".hidden":         "%2Ehidden",
		"a b+c":           "a%20b%2Bc",
		"example.com/log": "example.com%2Flog",
	} {
		if got := EscapeOrigin(in); got != want {
			t.Errorf("EscapeOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}
