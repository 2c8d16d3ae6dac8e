package checkpoint

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
)

// fuzzKey is a fixed note key, so that seeds stay valid.
const fuzzKey = "PRIVATE+KEY+nono-ledger/fuzz+94b28f2a+AR+iTwel+gajSfi49PHU0HIFCPtNQyY6aNM+Mmw917Cn"

// FuzzOpen: a note either opens to a checkpoint whose body re-encodes to
// the signed text's first lines, or is refused; never a panic.
func FuzzOpen(f *testing.F) {
	k, err := ParseKey(fuzzKey)
	if err != nil {
		f.Fatal(err)
	}
	msg, _ := (&Checkpoint{Origin: k.Name(), Size: 3, Root: merkle.Hash{7}}).Sign(k.Signer)
	f.Add(msg)
	f.Add(bytes.Replace(msg, []byte("\n3\n"), []byte("\n4\n"), 1))
	f.Add([]byte("nono-ledger/fuzz\n3\nAA==\n\n— nono-ledger/fuzz AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, n, err := Open(data, k.Verifier)
		if err != nil {
			return
		}
		if !bytes.HasPrefix([]byte(n.Text), cp.Body()) || cp.Origin != k.Name() {
			t.Fatalf("opened %+v from %q", cp, n.Text)
		}
		if _, err := ParseUnverified(data); err != nil {
			t.Fatalf("verified but does not parse: %v", err)
		}
	})
}

// FuzzParseBody: whatever parses re-encodes to the start of its input.
func FuzzParseBody(f *testing.F) {
	f.Add([]byte("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("o\n18446744073709551615\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := ParseBody(data)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(data, cp.Body()) {
			t.Fatalf("%q parsed as %+v", data, cp)
		}
	})
}

// FuzzParseProof: a proof that parses is exactly its own encoding, so no
// two byte strings parse to the same proof.
func FuzzParseProof(f *testing.F) {
	root := f.TempDir()
	k, _ := ParseKey(fuzzKey)
	appendSessions(f, root, 0, 5)
	res, err := Update(root, k, Options{Wait: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	p, err := Prove(root, sessionID(2), res.Note, time.Second)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.Encode())
	f.Add(append(p.Encode(), '\n'))
	f.Add([]byte(`{"checkpoint":"","ledger_record":{},"inclusion_proof":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := ParseProof(data)
		if err != nil {
			return
		}
		enc := q.Encode()
		if !bytes.Equal(enc, bytes.TrimSuffix(data, []byte("\n"))) {
			t.Fatalf("%q parsed, encodes as %q", data, enc)
		}
		q.Verify(k.Verifier) // must not panic
	})
}

// FuzzParseState: a state that parses encodes back to itself (the writer's
// form) or is refused.
func FuzzParseState(f *testing.F) {
	root := f.TempDir()
	k, _ := ParseKey(fuzzKey)
	appendSessions(f, root, 0, 6)
	if _, err := Update(root, k, Options{Wait: time.Second}); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"size":1,"head":"` + merkle.Hex(merkle.Hash{}) + `","offset":3,"line":1,"subtrees":["` + merkle.Hex(merkle.Hash{1}) + `"]}`))
	f.Add([]byte(`{"size":0,"head":"","offset":0,"line":0,"subtrees":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := parseState(data)
		if err != nil {
			return
		}
		if tr.b.Size() != tr.pos.Count || tr.pos.Head == nil {
			t.Fatalf("%q: inconsistent state %+v", data, tr.pos)
		}
		if _, err := parseState(tr.encodeState()); err != nil {
			t.Fatalf("re-encoded state does not parse: %v", err)
		}
	})
}

// FuzzConfig: the [checkpoint] table is read or refused, never a panic.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("[checkpoint]\nkey = \"file:///k\"\n"))
	f.Add([]byte("[checkpoint]\nkey = 3\n[redaction]\nrules = \"x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConfig("config.toml", data)
		if err == nil && c.KeyRef != "" && c.From != "config.toml" {
			t.Fatalf("%+v", c)
		}
	})
}

// FuzzScanLeaf: the scan a proof reads the ledger with agrees with the
// full parse on every record the full parse accepts, and never panics.
func FuzzScanLeaf(f *testing.F) {
	f.Add([]byte(`{"sequence":0,"prev_chain":null,"session_id":"s000","session_digest":"` + strings.Repeat("ab", 32) + `","completed_at":"2026-04-21T20:00:01Z","chain_hash":"` + strings.Repeat("cd", 32) + `"}`))
	f.Add([]byte(`{"chain_hash":"` + strings.Repeat("00", 32) + `","chain_hash":"x"}`))
	f.Add([]byte(`{"session_id":"s000"}`))
	var s canon.Scanner
	f.Fuzz(func(t *testing.T, line []byte) {
		leaf, mine, err := scanLeaf(&s, line, "s000")
		r, perr := ledger.ParseRecord(line)
		if perr != nil {
			return
		}
		if err != nil || leaf != r.ChainHash || mine != (r.SessionID == "s000") {
			t.Fatalf("%q: scan %x %v %v, parse %x %s", line, leaf, mine, err, r.ChainHash, r.SessionID)
		}
	})
}
