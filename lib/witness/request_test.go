package witness

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/merkle"
)

// The tlog-witness add-checkpoint flow: the host names the size it
// believes held, is told the real one on a mismatch, and proves from it.
func TestAddCheckpoint(t *testing.T) {
	h := newHost(t, "nono-ledger/h")
	w, _ := newWitness(t, t.TempDir())
	cp3 := h.grow(3)
	var conflict *ConflictError
	if _, err := w.AddCheckpoint(cp3, h.key.Verifier, 2, nil); !errors.As(err, &conflict) || conflict.Size != 0 {
		t.Fatalf("old size 2 with nothing held: %v", err)
	}
	if _, err := w.AddCheckpoint(cp3, h.key.Verifier, 0, []merkle.Hash{{1}}); !errors.Is(err, ErrUnexpectedProof) {
		t.Fatalf("a proof from 0: %v", err)
	}
	res, err := w.AddCheckpoint(cp3, h.key.Verifier, 0, nil)
	if err != nil || res.Previous != nil {
		t.Fatalf("%+v %v", res, err)
	}
	sigs := w.Cosignatures(res.Cosigned)
	if !bytes.HasPrefix(sigs, []byte("\u2014 witness.example ")) || bytes.Count(sigs, []byte("\n")) != 1 {
		t.Fatalf("cosignature lines %q", sigs)
	}
	if !bytes.Equal(append(bytes.Clone(cp3), sigs...), res.Cosigned) {
		t.Fatal("the checkpoint and the cosignature lines are not the cosigned checkpoint")
	}

	cp7 := h.grow(4)
	if _, err := w.AddCheckpoint(cp7, h.key.Verifier, 0, nil); !errors.As(err, &conflict) || conflict.Size != 3 {
		t.Fatalf("old size 0 with 3 held: %v", err)
	}
	p := h.proof(3, cp7)
	if _, err := w.AddCheckpoint(cp7, h.key.Verifier, 3, p.Path); err != nil {
		t.Fatal(err)
	}
	// Equal sizes need no proof; a wrong path is a refusal.
	if _, err := w.AddCheckpoint(cp7, h.key.Verifier, 7, nil); err != nil {
		t.Fatal(err)
	}
	cp9 := h.grow(2)
	bad := h.proof(7, cp9).Path
	bad[0][0] ^= 1
	var refused *RefusedError
	if _, err := w.AddCheckpoint(cp9, h.key.Verifier, 7, bad); !errors.As(err, &refused) {
		t.Fatalf("a bad path: %v", err)
	}
	// Smaller than held: refused (a rolled-back ledger).
	if _, err := w.AddCheckpoint(cp3, h.key.Verifier, 7, nil); !errors.As(err, &refused) || !strings.Contains(err.Error(), "smaller") {
		t.Fatalf("rolled back: %v", err)
	}
}

func TestAddRequestRoundTrip(t *testing.T) {
	h := newHost(t, "nono-ledger/h")
	h.grow(3)
	cp := h.grow(4)
	r := &AddRequest{OldSize: 3, Proof: h.proof(3, cp).Path, Checkpoint: cp}
	got, err := ParseAddRequest(r.Encode())
	if err != nil || got.OldSize != 3 || len(got.Proof) != len(r.Proof) || !bytes.Equal(got.Checkpoint, cp) {
		t.Fatalf("%+v %v", got, err)
	}
	if !bytes.HasPrefix(r.Encode(), []byte("old 3\n")) {
		t.Fatalf("%q", r.Encode())
	}
	empty, err := ParseAddRequest((&AddRequest{Checkpoint: cp}).Encode())
	if err != nil || empty.OldSize != 0 || len(empty.Proof) != 0 {
		t.Fatalf("%+v %v", empty, err)
	}
	for _, bad := range []string{
		"", "old 3", "old 3\n", "old 03\n\nx", "old -1\n\nx", "old 3\nAAAA\n\nx", "new 3\n\nx",
		"old 3\n\n", "old 3\n" + strings.Repeat("A", 44) + "\n\nx", "old 3\n" + strings.Repeat("A", 42) + "B=\n\nx",
	} {
		if _, err := ParseAddRequest([]byte(bad)); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
	if _, err := ParseAddRequest(bytes.Repeat([]byte("x"), MaxAddRequest+1)); err == nil {
		t.Error("an oversized body parses")
	}
}

func FuzzParseAddRequest(f *testing.F) {
	f.Add([]byte("old 0\n\nnono-ledger/h\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 nono-ledger/h AAAA\n"))
	f.Add([]byte("old 3\n" + strings.Repeat("A", 43) + "=\n\nx"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseAddRequest(body)
		if err != nil {
			return
		}
		// What parses encodes back to the same bytes.
		if !bytes.Equal(r.Encode(), body) {
			t.Fatalf("%q encodes as %q", body, r.Encode())
		}
		checkpoint.ParseUnverified(r.Checkpoint)
	})
}
