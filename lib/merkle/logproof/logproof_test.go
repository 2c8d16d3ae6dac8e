package logproof

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
)

// makeLog records n events and returns the log and its leaves.
func makeLog(t testing.TB, n int) ([]byte, []merkle.Hash) {
	t.Helper()
	var buf bytes.Buffer
	rec := chain.NewRecorder(&buf)
	var leaves []merkle.Hash
	for i := range n {
		var ev []byte
		if i == n-1 {
			ev = event.SessionEnded(fmt.Sprintf("2026-04-21T00:00:%02d+00:00", i%60), 0)
		} else {
			ev = event.SessionStarted(fmt.Sprintf("2026-04-21T00:00:%02d+00:00", i%60), []string{"cmd", fmt.Sprint(i)}, canon.NullValue())
		}
		if err := rec.Append(ev); err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, chain.LeafHash(ev))
	}
	return buf.Bytes(), leaves
}

func TestWorkedExample(t *testing.T) {
	log := `{"sequence":0,"prev_chain":null,"leaf_hash":"118606646c252d62d6e7641d45ffeb36101894173ba0b4e9050596cc06081cb4","chain_hash":"c0f2cc3ddf52d21cc0b70201547e7427e7ebe558d0b4aeb4dfdac804d41f3acc","event_json":"{\"type\":\"session_started\",\"started\":\"2026-04-21T00:00:00Z\",\"command\":[\"pwd\"]}","event":{"type":"session_started","started":"2026-04-21T00:00:00Z","command":["pwd"]}}
{"sequence":1,"prev_chain":"c0f2cc3ddf52d21cc0b70201547e7427e7ebe558d0b4aeb4dfdac804d41f3acc","leaf_hash":"650135c01bafcc4bef46156f5b485e65473fa79eb04e8ee197136c528759ad94","chain_hash":"1e25383828c785c6ea8a7789a9667eb7042a2cee7a7de68ef269b33710593095","event_json":"{\"type\":\"session_ended\",\"ended\":\"2026-04-21T00:00:01Z\",\"exit_code\":0}","event":{"type":"session_ended","ended":"2026-04-21T00:00:01Z","exit_code":0}}
`
	s, err := Summarize(strings.NewReader(log), Source{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"hash_algorithm":"sha256","event_count":2,"chain_head":"1e25383828c785c6ea8a7789a9667eb7042a2cee7a7de68ef269b33710593095","merkle_root":"8ba557ee65c2bb7b7bc0552b13ceac5fe9ef8ed3afc331eba4f74a4e3a03bf6d"}`
	if string(s.Encode()) != want {
		t.Fatalf("got  %s\nwant %s", s.Encode(), want)
	}
	leaves := "118606646c252d62d6e7641d45ffeb36101894173ba0b4e9050596cc06081cb4\n\n  650135C01BAFCC4BEF46156F5B485E65473FA79EB04E8EE197136C528759AD94  "
	s, err = Summarize(strings.NewReader(leaves), Source{Leaves: true})
	if err != nil {
		t.Fatal(err)
	}
	want = `{"hash_algorithm":"sha256","event_count":2,"chain_head":null,"merkle_root":"8ba557ee65c2bb7b7bc0552b13ceac5fe9ef8ed3afc331eba4f74a4e3a03bf6d"}`
	if string(s.Encode()) != want {
		t.Fatalf("got  %s\nwant %s", s.Encode(), want)
	}
}

func TestEmpty(t *testing.T) {
	for _, src := range []Source{{}, {Leaves: true}} {
		s, err := Summarize(strings.NewReader(""), src)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(s.Encode()); got != `{"hash_algorithm":"sha256","event_count":0,"chain_head":null,"merkle_root":null}` {
			t.Fatal(got)
		}
		_, err = Inclusion(strings.NewReader(""), src, 0)
		var re *RangeError
		if !errors.As(err, &re) {
			t.Fatalf("%v", err)
		}
	}
}

func TestProofsFromRecords(t *testing.T) {
	log, leaves := makeLog(t, 37)
	root, _ := merkle.Root(leaves)
	for _, i := range []uint64{0, 1, 17, 36} {
		p, err := Inclusion(bytes.NewReader(log), Source{}, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := merkle.VerifyInclusion(p, 37, root); err != nil || p.LeafHash != leaves[i] {
			t.Fatalf("index %d: %v", i, err)
		}
	}
	for _, m := range []uint64{1, 16, 20, 37} {
		p, err := Consistency(bytes.NewReader(log), Source{}, m)
		if err != nil {
			t.Fatal(err)
		}
		oldRoot, _ := merkle.Root(leaves[:m])
		if err := merkle.VerifyConsistency(p, m, oldRoot, 37, root); err != nil {
			t.Fatalf("old size %d: %v", m, err)
		}
	}
	var re *RangeError
	if _, err := Inclusion(bytes.NewReader(log), Source{}, 37); !errors.As(err, &re) {
		t.Fatalf("index 37: %v", err)
	}
	if _, err := Consistency(bytes.NewReader(log), Source{}, 38); !errors.As(err, &re) {
		t.Fatalf("old size 38: %v", err)
	}
	if _, err := Consistency(bytes.NewReader(log), Source{}, 0); !errors.As(err, &re) {
		t.Fatalf("old size 0: %v", err)
	}

	// The same proofs from the leaves alone.
	var hexLeaves bytes.Buffer
	for _, l := range leaves {
		hexLeaves.WriteString(merkle.Hex(l) + "\n")
	}
	p, err := Inclusion(bytes.NewReader(hexLeaves.Bytes()), Source{Leaves: true}, 17)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := Inclusion(bytes.NewReader(log), Source{}, 17)
	if !bytes.Equal(p.Encode(), q.Encode()) {
		t.Fatal("leaves and records give different proofs")
	}
}

// A log that does not verify never yields a root or a proof.
func TestTamperedLogRefused(t *testing.T) {
	log, _ := makeLog(t, 10)
	lines := bytes.SplitAfter(log, []byte("\n"))
	lines[4] = bytes.Replace(lines[4], []byte(`\"cmd\"`), []byte(`\"cmD\"`), 1)
	bad := bytes.Join(lines, nil)
	check := func(err error) {
		t.Helper()
		var re *chain.RecordError
		if !errors.As(err, &re) || re.Line != 5 {
			t.Fatalf("error %v, want a record error on line 5", err)
		}
	}
	_, err := Summarize(bytes.NewReader(bad), Source{})
	check(err)
	_, err = Inclusion(bytes.NewReader(bad), Source{}, 2)
	check(err)
	_, err = Consistency(bytes.NewReader(bad), Source{}, 3)
	check(err)

	truncated := log[:len(log)-10]
	_, err = Inclusion(bytes.NewReader(truncated), Source{}, 2)
	check2 := func() {
		var te *chain.TornError
		if !errors.As(err, &te) || te.Line != 10 {
			t.Fatalf("truncated: %v", err)
		}
	}
	check2()
	p, err := Inclusion(bytes.NewReader(truncated), Source{Chain: chain.Options{AllowPartialTail: true}}, 2)
	if err != nil || p.LeafCount != 9 {
		t.Fatalf("partial tail allowed: %+v %v", p, err)
	}
}

func TestBadLeafLines(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for in, line := range map[string]int{
		h + "\nzz\n":               2,
		h + "\n\n" + h + "00\n":    3,
		"{\"leaf_hash\":\"" + h:    1,
		h + "\n" + h[:10] + "\n":   2,
		h + "\n" + h + " " + h[:2]: 2,
	} {
		_, err := Summarize(strings.NewReader(in), Source{Leaves: true})
		var le *LineError
		if !errors.As(err, &le) || le.Line != line {
			t.Errorf("%q: %v, want line %d", in, err, line)
		}
	}
}

func BenchmarkInclusionFromRecords(b *testing.B) {
	log, _ := makeLog(b, 20_000)
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		if _, err := Inclusion(bytes.NewReader(log), Source{}, 12_345); err != nil {
			b.Fatal(err)
		}
	}
}

// The leaf-list reader never panics, and what it accepts re-reads the same.
func FuzzLeafList(f *testing.F) {
	h := strings.Repeat("ab", 32)
	f.Add([]byte(h + "\n" + strings.ToUpper(h) + "\n\n"))
	f.Add([]byte(h + "\n" + h[:63]))
	f.Add([]byte(" " + h + " \r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Summarize(bytes.NewReader(data), Source{Leaves: true})
		if err != nil {
			return
		}
		var canonical bytes.Buffer
		err = readHexLeaves(bytes.NewReader(data), 0, func(h merkle.Hash) { canonical.WriteString(merkle.Hex(h) + "\n") })
		if err != nil {
			t.Fatal(err)
		}
		again, err := Summarize(&canonical, Source{Leaves: true})
		if err != nil || !bytes.Equal(again.Encode(), s.Encode()) {
			t.Fatalf("re-read differs: %v", err)
		}
	})
}
