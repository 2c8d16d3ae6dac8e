package chain

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"testing"

	"github.com/nono-audit/nono/lib/event"
)

// mutations is how many random single-byte changes TestRandomMutations
// makes; make bench runs it with 10000.
var (
	mutations    = flag.Int("mutations", 500, "random single-byte mutations made by TestRandomMutations")
	mutationSeed = flag.Uint64("mutation-seed", 1, "seed of TestRandomMutations")
)

// mutationFixture is a small log touching every kind of byte a record
// holds: hex, numbers, null and non-null prev_chain, escapes, non-ASCII,
// nested objects and arrays, every envelope key.
func mutationFixture(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	rec := NewRecorder(&buf)
	for _, raw := range []string{
		`{"type":"session_started","started":"2026-04-21T20:00:00+02:00","command":["make","tëst \"q\""]}`,
		`{"type":"url_open","request":{"request_id":"o1","url":"https://example.com/é","child_pid":42,"session_id":"s"},"success":false,"error":"blocked"}`,
		`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1776794400,"nanos_since_epoch":5},"request":{"capability_type":"network","request_id":"r","host":"h","port":443,"protocol":"tcp","resolved_ips":["192.0.2.1"],"reason":null,"child_pid":1,"session_id":"s"},"decision":{"Denied":{"reason":"no"}},"backend":"b","duration_ms":0}}`,
		`{"type":"session_ended","ended":"2026-04-21T20:00:01+02:00","exit_code":-1}`,
	} {
		ev, err := event.Canonicalize([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// caught reports whether verifying log against the totals pinned from
// the genuine log fails, as verification against a session's
// audit_integrity does.
func caught(log []byte, pinned *Result) bool {
	res, err := Verify(bytes.NewReader(log), Options{})
	if err != nil {
		return true
	}
	return res.EventCount != pinned.EventCount || *res.ChainHead != *pinned.ChainHead || *res.MerkleRoot != *pinned.MerkleRoot
}

// mutantsOf are the values every byte position is changed to: a bit
// flipped low and high, the case bit, and bytes that matter to JSON.
func mutantsOf(b byte) []byte {
	return []byte{b ^ 0x01, b ^ 0x20, b ^ 0x80, '0', '"', '\\', ' ', '\n'}
}

// Every single-byte change of the log, at every position, to each of
// eight values, is caught.
func TestEveryByteMutationIsCaught(t *testing.T) {
	log := mutationFixture(t)
	pinned, err := Verify(bytes.NewReader(log), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := make([]byte, len(log))
	tried := 0
	for i, orig := range log {
		for _, v := range mutantsOf(orig) {
			if v == orig {
				continue
			}
			copy(m, log)
			m[i] = v
			tried++
			if !caught(m, pinned) {
				t.Errorf("byte %d: %q -> %q accepted: ...%s...", i, orig, v, log[max(0, i-20):min(len(log), i+20)])
			}
		}
	}
	t.Logf("%d mutations of %d bytes, all caught", tried, len(log))
}

// Random single-byte changes (any position, any value) are all caught;
// make bench runs 10000 with -mutations and reports the count.
func TestRandomMutations(t *testing.T) {
	log := mutationFixture(t)
	pinned, err := Verify(bytes.NewReader(log), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(*mutationSeed, uint64(*mutations)))
	m := make([]byte, len(log))
	missed := 0
	for range *mutations {
		copy(m, log)
		i := r.IntN(len(m))
		v := byte(r.IntN(255))
		if v >= m[i] {
			v++ // never the byte it was
		}
		m[i] = v
		if !caught(m, pinned) {
			missed++
			t.Errorf("byte %d: %q -> %q accepted", i, log[i], v)
		}
	}
	t.Logf("random single-byte mutations: made=%d caught=%d missed=%d seed=%d", *mutations, *mutations-missed, missed, *mutationSeed)
}
