package chain

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/internal/vectors"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
)

const (
	workedHead = "1e25383828c785c6ea8a7789a9667eb7042a2cee7a7de68ef269b33710593095"
	workedRoot = "8ba557ee65c2bb7b7bc0552b13ceac5fe9ef8ed3afc331eba4f74a4e3a03bf6d"
)

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The worked example of the format: two events give these exact records,
// this chain head and this Merkle root.
func TestWorkedExample(t *testing.T) {
	want := mustRead(t, "testdata/worked-example.ndjson")
	var out bytes.Buffer
	rec := NewRecorder(&out)
	for _, ev := range [][]byte{
		event.SessionStarted("2026-04-21T00:00:00Z", []string{"pwd"}, canon.NullValue()),
		event.SessionEnded("2026-04-21T00:00:01Z", 0),
	} {
		if err := rec.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("records differ:\n got  %s\n want %s", out.Bytes(), want)
	}
	if head, ok := rec.Head(); !ok || merkle.Hex(head) != workedHead || rec.Count() != 2 {
		t.Errorf("recorder head %x count %d", head, rec.Count())
	}
	res, err := Verify(bytes.NewReader(want), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.EventCount != 2 || merkle.Hex(*res.ChainHead) != workedHead || merkle.Hex(*res.MerkleRoot) != workedRoot {
		t.Errorf("verify: count %d head %x root %x", res.EventCount, *res.ChainHead, *res.MerkleRoot)
	}
	// The streaming recorder writes the same bytes from raw event lines.
	out.Reset()
	events := `{"command":["pwd"],"started":"2026-04-21T00:00:00Z","type":"session_started"}` + "\n\n" +
		`{"type":"session_ended","ended":"2026-04-21T00:00:01Z","exit_code":0}` + "\n"
	if err := NewRecorder(&out).AppendFrom(strings.NewReader(events), StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("streamed records differ:\n%s", out.Bytes())
	}
}

func TestGoldenLeaf(t *testing.T) {
	ev := bytes.TrimSuffix(vectors.Read(t, "capability_decision.json"), []byte("\n"))
	if got := merkle.Hex(LeafHash(ev)); got != "fb0ff01abb9de69f3c50deb6b828a25d941d7541856d81b8fa3da84b95aa125a" {
		t.Fatalf("leaf %s", got)
	}
}

func TestEmptyLog(t *testing.T) {
	for _, in := range []string{"", "\n \n\t\n"} {
		res, err := Verify(strings.NewReader(in), Options{})
		if err != nil || res.EventCount != 0 || res.ChainHead != nil || res.MerkleRoot != nil {
			t.Errorf("%q: %+v %v", in, res, err)
		}
	}
}

// makeLog records n varied events and returns the log and its leaves.
func makeLog(t testing.TB, n int) ([]byte, []merkle.Hash) {
	t.Helper()
	var out bytes.Buffer
	rec := NewRecorder(&out)
	var leaves []merkle.Hash
	for i := range n {
		var ev []byte
		switch i % 3 {
		case 0:
			ev = event.SessionStarted(fmt.Sprintf("2026-04-21T00:00:%02d+00:00", i%60), []string{"sh", "-c", `echo "é\\" ` + strings.Repeat("x", i%50)}, canon.NullValue())
		case 1:
			ev = []byte(fmt.Sprintf(`{"type":"url_open","request":{"request_id":"r%d","url":"https://e.com/%d","child_pid":%d,"session_id":"s"},"success":true,"error":null}`, i, i, i))
		default:
			ev = event.SessionEnded("2026-04-21T00:00:01+00:00", int32(i))
		}
		leaves = append(leaves, LeafHash(ev))
		if err := rec.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes(), leaves
}

// Many records cross batch boundaries; totals must match a direct
// computation over the leaves.
func TestVerifyManyRecords(t *testing.T) {
	log, leaves := makeLog(t, 5000)
	var seen []merkle.Hash
	res, err := Verify(bytes.NewReader(log), Options{Leaf: func(h merkle.Hash) { seen = append(seen, h) }})
	if err != nil {
		t.Fatal(err)
	}
	root, _ := merkle.Root(leaves)
	if res.EventCount != 5000 || *res.MerkleRoot != root {
		t.Fatalf("count %d root %x want %x", res.EventCount, *res.MerkleRoot, root)
	}
	if !slices.Equal(seen, leaves) {
		t.Fatal("Leaf did not see every leaf in order")
	}
	// One byte at a time: batches of a single line, lines split over reads.
	res2, err := Verify(&oneByteReader{r: bytes.NewReader(log[:20000])}, Options{AllowPartialTail: true})
	if err != nil || res2.EventCount == 0 || !res2.TruncatedTail {
		t.Fatalf("byte-wise: %+v %v", res2, err)
	}
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:1]) }

func lines(log []byte) []string {
	ls := strings.SplitAfter(string(log), "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// leafOf returns the leaf_hash of a record line.
func leafOf(line string) string {
	i := strings.Index(line, `"leaf_hash":"`) + len(`"leaf_hash":"`)
	return line[i : i+64]
}

func verifyErr(t *testing.T, log string, opts Options) *RecordError {
	t.Helper()
	_, err := Verify(strings.NewReader(log), opts)
	re, ok := err.(*RecordError)
	if !ok {
		t.Fatalf("want *RecordError, got %T %v", err, err)
	}
	return re
}

func TestVerifyTampering(t *testing.T) {
	log, _ := makeLog(t, 6)
	ls := lines(log)
	join := func(ls []string) string { return strings.Join(ls, "") }
	edit := func(n int, old, new string) string {
		c := append([]string(nil), ls...)
		if !strings.Contains(c[n-1], old) {
			t.Fatalf("line %d has no %q", n, old)
		}
		c[n-1] = strings.Replace(c[n-1], old, new, 1)
		return join(c)
	}
	cases := []struct {
		name, log string
		line      int
		msg       string
	}{
		{"event byte", edit(3, `"exit_code":2}}`, `"exit_code":3}}`), 3, "event JSON mismatch"},
		{"event_json only", edit(3, `\"exit_code\":2}`, `\"exit_code\":3}`), 3, "event JSON mismatch"},
		{"both event copies", strings.Replace(edit(3, `\"exit_code\":2}`, `\"exit_code\":3}`), `"exit_code":2}}`, `"exit_code":3}}`, 1), 3, "leaf hash mismatch"},
		{"deleted line", join(append(append([]string(nil), ls[:2]...), ls[3:]...)), 3, "sequence mismatch: expected 2, got 3"},
		{"swapped lines", join([]string{ls[0], ls[2], ls[1], ls[3], ls[4], ls[5]}), 2, "sequence mismatch: expected 1, got 2"},
		{"duplicated line", join([]string{ls[0], ls[1], ls[1], ls[2]}), 3, "sequence mismatch: expected 2, got 1"},
		{"sequence", edit(4, `"sequence":3`, `"sequence":7`), 4, "sequence mismatch: expected 3, got 7"},
		{"prev_chain", edit(2, `"prev_chain":"`, `"prev_chain":"0`), 2, "prev_chain"},
		{"prev_chain null", edit(2, `"prev_chain":"`+strings.SplitN(strings.SplitN(ls[1], `"prev_chain":"`, 2)[1], `"`, 2)[0]+`"`, `"prev_chain":null`), 2, "prev_chain mismatch: expected"},
		{"chain_hash", edit(5, `"chain_hash":"`, `"chain_hash":"00`), 5, "invalid record: chain_hash"},
		{"leaf_hash", edit(1, `"leaf_hash":"`, `"leaf_hash":"`+strings.Repeat("0", 64)+`","x":"`), 1, "leaf hash mismatch"},
		{"not json", edit(2, `{"sequence"`, `{sequence`), 2, "invalid record"},
		{"missing event", edit(6, `,"event":{`, `,"evenx":{`), 6, `missing field "event"`},
		{"event_json extra key", edit(3, `\"exit_code\":2}`, `\"exit_code\":2,\"x\":1}`), 3, "event JSON mismatch"},
		{"event_json invalid", edit(3, `\"exit_code\":2}`, `\"exit_code\":\"2\"}`), 3, "invalid event_json: session_ended.exit_code"},
		{"duplicate key", edit(2, `{"sequence":1,`, `{"sequence":1,"sequence":1,`), 2, `duplicate key "sequence"`},
		{"upper-case hex", edit(2, leafOf(ls[1]), strings.ToUpper(leafOf(ls[1]))), 2, "upper-case hex"},
		{"whitespace", edit(4, `"sequence":3,`, `"sequence":3, `), 4, "not in canonical form: byte 13"},
		{"extra key", edit(4, `{"sequence":3,`, `{"note":1,"sequence":3,`), 4, "not in canonical form: keys other than"},
		{"event not canonical", edit(2, `,"event":{"type":"url_open",`, `,"event":{"type": "url_open",`), 2, "event is not in canonical form"},
		{"misspelt key in event", edit(2, `"error":null}}`, `"errox":null}}`), 2, "event is not in canonical form"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			re := verifyErr(t, tc.log, Options{})
			if re.Line != tc.line || !strings.Contains(re.Msg, tc.msg) {
				t.Errorf("got %v, want line %d: %s", re, tc.line, tc.msg)
			}
		})
	}
}

// Upstream reads records leniently: extra keys in event and at the top
// level, whitespace and key order in event, a missing prev_chain. Records
// written so are not canonical, so only lenient mode accepts them.
func TestVerifyUpstreamLeniencies(t *testing.T) {
	log := string(mustRead(t, "testdata/worked-example.ndjson"))
	ls := lines([]byte(log))
	ls[0] = strings.Replace(ls[0], `"prev_chain":null,`, ``, 1)
	ls[0] = strings.Replace(ls[0], `"event":{"type":"session_started","started":"2026-04-21T00:00:00Z","command":["pwd"]}`,
		`"event": { "command" : [ "pwd" ], "started":"2026-04-21T00:00:00Z","type":"session_\u0073tarted"}, "extra":true`, 1)
	in := "\n" + strings.Join(ls, "")
	if re := verifyErr(t, in, Options{}); re.Line != 2 {
		t.Fatalf("strict: %v", re)
	}
	res, err := Verify(strings.NewReader(in), Options{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if merkle.Hex(*res.ChainHead) != workedHead || res.LenientCount != 1 || res.LenientLines[0] != 2 {
		t.Fatalf("lenient: %+v", res)
	}
}

func TestMissingEventJSON(t *testing.T) {
	log := string(mustRead(t, "testdata/worked-example.ndjson"))
	stripped := ""
	for _, l := range lines([]byte(log)) {
		i := strings.Index(l, `"event_json":`)
		j := strings.Index(l, `,"event":`)
		stripped += l[:i] + l[j+1:]
	}
	if re := verifyErr(t, stripped, Options{}); re.Line != 1 || !strings.Contains(re.Msg, "no event_json") {
		t.Fatalf("strict: %v", re)
	}
	res, err := Verify(strings.NewReader(stripped), Options{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.MissingEventJSON || merkle.Hex(*res.MerkleRoot) != workedRoot {
		t.Fatalf("%+v", res)
	}
	// null reads as absent.
	nulled := strings.ReplaceAll(stripped, `,"event":`, `,"event_json":null,"event":`)
	if res, err := Verify(strings.NewReader(nulled), Options{Lenient: true}); err != nil || !res.MissingEventJSON {
		t.Fatalf("null event_json: %+v %v", res, err)
	}
}

func TestTornTail(t *testing.T) {
	log, _ := makeLog(t, 4)
	cut := string(log[:len(log)-10])
	_, err := Verify(strings.NewReader(cut), Options{})
	if te, ok := err.(*TornError); !ok || te.Line != 4 || err.Error() != "incomplete: torn final record at line 4 (crash mid-write?)" {
		t.Fatalf("got %T %v", err, err)
	}
	res, err := Verify(strings.NewReader(cut), Options{AllowPartialTail: true})
	if err != nil || res.EventCount != 3 || !res.TruncatedTail || res.TruncatedLine != 4 {
		t.Fatalf("partial tail: %+v %v", res, err)
	}
	if w := res.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "incomplete: torn final record at line 4") {
		t.Fatalf("warnings: %q", w)
	}
	// Only the newline missing: a complete record, as upstream reads it.
	res, err = Verify(strings.NewReader(string(log[:len(log)-1])), Options{})
	if err != nil || res.EventCount != 4 || res.TruncatedTail {
		t.Fatalf("missing newline: %+v %v", res, err)
	}
	// A final fragment that is not the start of a record is tampering.
	if re := verifyErr(t, string(log)+`x{"sequence":4`, Options{AllowPartialTail: true}); re.Line != 5 {
		t.Fatalf("garbage tail: %v", re)
	}
	// An earlier bad line is reported before the tail.
	bad := strings.Replace(cut, `"sequence":1`, `"sequence":9`, 1)
	if re := verifyErr(t, bad, Options{AllowPartialTail: true}); re.Line != 2 {
		t.Fatalf("got %v", re)
	}
}

// Input that is not a log at all is told apart from a tampered log.
func TestNotALog(t *testing.T) {
	for _, in := range []string{"hello world\n", `{"a":1}` + "\n", "[]\n", "\x00\x01\n"} {
		_, err := Verify(strings.NewReader(in), Options{})
		if ie, ok := err.(*InputError); !ok || ie.Line != 1 {
			t.Errorf("%q: %T %v", in, err, err)
		}
	}
	log, _ := makeLog(t, 2)
	if re := verifyErr(t, string(log)+"hello\n", Options{}); re.Line != 3 {
		t.Errorf("garbage after records: %v", re)
	}
}

// Events this version's schema does not know verify, are counted, and
// fail only with StrictSchema.
func TestUnknownSchema(t *testing.T) {
	var out bytes.Buffer
	err := NewRecorder(&out).AppendFrom(strings.NewReader(`{"type":"session_ended","ended":"e","exit_code":0}`+"\n"+`{"type":"deploy","target":"prod"}`+"\n"), StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A known type with a field of a newer recorder's, written by hand as
	// that recorder would.
	ev := []byte(`{"type":"session_ended","ended":"e","exit_code":0,"signal":"TERM"}`)
	rec, err := Resume(&out, bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Append(ev); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(bytes.NewReader(out.Bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.UnknownCount != 2 || !slices.Equal(res.UnknownLines, []int{2, 3}) || res.Unknown != `event type "deploy"` {
		t.Fatalf("%+v", res)
	}
	if w := res.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "2 events use fields unknown to this version (newer recorder?)") {
		t.Fatalf("warnings: %q", w)
	}
	re := verifyErr(t, out.String(), Options{StrictSchema: true})
	if re.Line != 2 || !strings.Contains(re.Msg, `event type "deploy"`) {
		t.Fatalf("strict schema: %v", re)
	}
}

func TestMaxLine(t *testing.T) {
	log, _ := makeLog(t, 3)
	re := verifyErr(t, string(log), Options{MaxLine: 100})
	if re.Line != 1 || !strings.Contains(re.Msg, "line too long") {
		t.Fatalf("got %v", re)
	}
}

// nono-py writes event_json with ensure_ascii escapes: upstream (and the
// strict mode) reject it; lenient mode accepts it and says where.
func TestLenientEscapes(t *testing.T) {
	ev := `{"type":"session_started","started":"t","command":["caf\u00e9"]}`
	var out bytes.Buffer
	rec := NewRecorder(&out)
	// What nono-py writes: the escaped text is what it hashes and embeds.
	rec.buf = rec.appendHead(nil, LeafHash([]byte(ev)))
	rec.buf = append(rec.buf, `,"event_json":`...)
	rec.buf = canon.AppendString(rec.buf, ev)
	rec.buf = append(rec.buf, `,"event":{"type":"session_started","started":"t","command":["café"]}}`+"\n"...)
	out.Write(rec.buf)
	if err := rec.Append(event.SessionEnded("e", 0)); err != nil {
		t.Fatal(err)
	}
	re := verifyErr(t, out.String(), Options{})
	if re.Line != 1 || !strings.Contains(re.Msg, "event JSON mismatch") {
		t.Fatalf("strict: %v", re)
	}
	res, err := Verify(bytes.NewReader(out.Bytes()), Options{Lenient: true})
	if err != nil || res.EventCount != 2 || len(res.LenientLines) != 1 || res.LenientLines[0] != 1 {
		t.Fatalf("lenient: %+v %v", res, err)
	}
	// Lenient still catches a different value.
	tampered := strings.Replace(out.String(), `["café"]`, `["cafe"]`, 1)
	if re := verifyErr(t, tampered, Options{Lenient: true}); re.Line != 1 {
		t.Fatalf("lenient tampered: %v", re)
	}
}

func TestResume(t *testing.T) {
	log, leaves := makeLog(t, 10)
	var more bytes.Buffer
	rec, err := Resume(&more, bytes.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Count() != 10 {
		t.Fatalf("count %d", rec.Count())
	}
	ev := event.SessionEnded("x", 1)
	if err := rec.Append(ev); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(more.String(), `{"sequence":10,"prev_chain":"`) {
		t.Fatalf("resumed record: %s", more.String())
	}
	res, err := Verify(io.MultiReader(bytes.NewReader(log), &more), Options{})
	if err != nil {
		t.Fatal(err)
	}
	root, _ := merkle.Root(append(leaves, LeafHash(ev)))
	if res.EventCount != 11 || *res.MerkleRoot != root {
		t.Fatalf("%+v", res)
	}
	tampered := bytes.Replace(log, []byte(`"sequence":4`), []byte(`"sequence":5`), 1)
	if _, err := Resume(io.Discard, bytes.NewReader(tampered)); err == nil || !strings.Contains(err.Error(), "line 5: sequence mismatch") {
		t.Fatalf("tampered log resumed: %v", err)
	}
	if _, err := Resume(io.Discard, bytes.NewReader(log[:len(log)-3])); err == nil || !strings.Contains(err.Error(), "incomplete: torn final record") {
		t.Fatalf("torn log resumed: %v", err)
	}
	if _, err := Resume(io.Discard, bytes.NewReader(log[:len(log)-1])); err == nil || !strings.Contains(err.Error(), "does not end with a newline") {
		t.Fatalf("log without final newline resumed: %v", err)
	}
	// Resuming an empty log starts at 0.
	rec, err = Resume(io.Discard, strings.NewReader(""))
	if err != nil || rec.Count() != 0 {
		t.Fatalf("empty: %v", err)
	}
}

func TestAppendFromInvalidEvent(t *testing.T) {
	var events strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&events, `{"type":"session_ended","ended":"e","exit_code":%d}`+"\n", i)
	}
	events.WriteString(`{"type":"session_ended","ended":"e"}` + "\n")
	events.WriteString(`{"type":"session_ended","ended":"e","exit_code":0}` + "\n")
	var out bytes.Buffer
	err := NewRecorder(&out).AppendFrom(strings.NewReader(events.String()), StreamOptions{})
	if err == nil || err.Error() != `line 3001: session_ended: missing field "exit_code"` {
		t.Fatalf("err = %v", err)
	}
	res, err := Verify(&out, Options{})
	if err != nil || res.EventCount != 3000 {
		t.Fatalf("written prefix: %+v %v", res, err)
	}
}

func TestAppendFromFinalLineWithoutNewline(t *testing.T) {
	var out bytes.Buffer
	err := NewRecorder(&out).AppendFrom(strings.NewReader(`{"type":"x"}`+"\n"+`{"type":"y"}`), StreamOptions{})
	if err != nil || strings.Count(out.String(), "\n") != 2 {
		t.Fatalf("%v\n%s", err, out.String())
	}
	out.Reset()
	err = NewRecorder(&out).AppendFrom(strings.NewReader(`{"type":"x"}`+"\n"+`{"type":"y"`), StreamOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "line 2: ") || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("%v\n%s", err, out.String())
	}
}

// writeCounter records each Write call.
type writeCounter struct {
	writes chan []byte
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes <- append([]byte(nil), p...)
	return len(p), nil
}

// A record is written as soon as its event arrives, whole, while the
// input stays open.
func TestAppendFromFlushesWhenInputWaits(t *testing.T) {
	pr, pw := io.Pipe()
	w := &writeCounter{writes: make(chan []byte, 10)}
	done := make(chan error, 1)
	go func() { done <- NewRecorder(w).AppendFrom(pr, StreamOptions{}) }()
	for i := range 3 {
		fmt.Fprintf(pw, `{"type":"session_ended","ended":"e","exit_code":%d}`+"\n", i)
		select {
		case p := <-w.writes:
			if !bytes.HasPrefix(p, fmt.Appendf(nil, `{"sequence":%d,`, i)) || bytes.Count(p, []byte("\n")) != 1 || p[len(p)-1] != '\n' {
				t.Fatalf("write %d: %q", i, p)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("record %d not written while input is open", i)
		}
	}
	// Half an event: nothing is written for it yet.
	io.WriteString(pw, `{"type":"session_ended",`)
	io.WriteString(pw, `"ended":"e","exit_code":9}`+"\n")
	if p := <-w.writes; !bytes.HasPrefix(p, []byte(`{"sequence":3,`)) || bytes.Count(p, []byte("\n")) != 1 {
		t.Fatalf("split event: %q", p)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestChainAndLeafHashes(t *testing.T) {
	// chain_0 = H(chain-domain ‖ 0^32 ‖ leaf_0), from the worked example.
	leaf, _ := merkle.ParseHash("118606646c252d62d6e7641d45ffeb36101894173ba0b4e9050596cc06081cb4")
	if got := merkle.Hex(ChainHash(merkle.Hash{}, leaf)); got != "c0f2cc3ddf52d21cc0b70201547e7427e7ebe558d0b4aeb4dfdac804d41f3acc" {
		t.Fatal(got)
	}
}

// Lines longer than a read block (and than several) round-trip.
func TestLongLines(t *testing.T) {
	big := strings.Repeat(`ab"\é`, 300_000) // 2.1 MB once escaped
	events := `{"type":"session_started","started":"t","command":["` + strings.ReplaceAll(strings.ReplaceAll(big, `\`, `\\`), `"`, `\"`) + `"]}` + "\n" +
		`{"type":"session_ended","ended":"e","exit_code":0}` + "\n"
	var out bytes.Buffer
	if err := NewRecorder(&out).AppendFrom(strings.NewReader(events), StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(bytes.NewReader(out.Bytes()), Options{})
	if err != nil || res.EventCount != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := Verify(bytes.NewReader(out.Bytes()), Options{MaxLine: 1 << 20}); err == nil || !strings.Contains(err.Error(), "line 1: line too long") {
		t.Fatalf("max line: %v", err)
	}
}

// Record sees every verified record's line number and bytes, in order,
// across batches and blank lines, and nothing from a bad record on.
func TestVerifyRecordCallback(t *testing.T) {
	log, _ := makeLog(t, 3000)
	ls := lines(log)
	withBlanks := strings.Join(ls[:10], "") + "\n  \n" + strings.Join(ls[10:], "")
	type seen struct {
		line int
		rec  string
	}
	var got []seen
	opts := Options{Record: func(line int, rec []byte) { got = append(got, seen{line, string(rec)}) }}
	if _, err := Verify(strings.NewReader(withBlanks), opts); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ls) {
		t.Fatalf("%d records seen, want %d", len(got), len(ls))
	}
	for i, g := range got {
		want := i + 1
		if i >= 10 {
			want += 2
		}
		if g.line != want || g.rec+"\n" != ls[i] {
			t.Fatalf("record %d: line %d %q", i, g.line, g.rec)
		}
	}
	got = nil
	bad := strings.Join(ls[:2000], "") + strings.Replace(ls[2000], `"sequence":2000`, `"sequence":7`, 1) + strings.Join(ls[2001:], "")
	if _, err := Verify(strings.NewReader(bad), opts); err == nil || len(got) != 2000 {
		t.Fatalf("%d records seen before the bad one (%v)", len(got), err)
	}
}
