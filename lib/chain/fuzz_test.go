package chain

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzVerify: any input is either verified or rejected with an error,
// never a panic; lenient mode accepts at least what strict mode accepts.
func FuzzVerify(f *testing.F) {
	log := mustRead(f, "testdata/worked-example.ndjson")
	f.Add(log)
	f.Add(log[:len(log)-7])
	f.Add(bytes.Replace(log, []byte(`"sequence":1`), []byte(`"sequence":2`), 1))
	f.Add([]byte("{}\n[]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		strict, err := Verify(bytes.NewReader(data), Options{})
		lenient, lerr := Verify(bytes.NewReader(data), Options{Lenient: true, AllowPartialTail: true})
		if err == nil {
			if lerr != nil {
				t.Fatalf("lenient rejects what strict accepts: %v", lerr)
			}
			if strict.EventCount != lenient.EventCount || (strict.ChainHead == nil) != (lenient.ChainHead == nil) {
				t.Fatalf("totals differ: %+v %+v", strict, lenient)
			}
			if strict.EventCount > uint64(bytes.Count(data, []byte("\n")))+1 {
				t.Fatalf("more records than lines")
			}
		}
	})
}

// FuzzRecordThenVerify: whatever events the recorder accepts, the log it
// writes verifies, record for event; when it stops at a bad event, the
// records before it verify.
func FuzzRecordThenVerify(f *testing.F) {
	f.Add([]byte(`{"type":"session_ended","ended":"e","exit_code":0}` + "\n" + `{"type":"mine","a":[1.5,"\u00e9"]}`))
	f.Add([]byte(`{"type":"url_open","request":{"request_id":"r","url":"u","child_pid":1,"session_id":"s"},"success":true}`))
	f.Add([]byte("{\"type\":\"x\"}\n\n{\"type\":\"x\",\"b\":\"\\u2028\"}\n{"))
	f.Fuzz(func(t *testing.T, events []byte) {
		var out bytes.Buffer
		rec := NewRecorder(&out)
		err := rec.AppendFrom(bytes.NewReader(events), StreamOptions{})
		res, verr := Verify(bytes.NewReader(out.Bytes()), Options{})
		if verr != nil {
			t.Fatalf("recorded log does not verify: %v\n%s", verr, out.Bytes())
		}
		if res.EventCount != rec.Count() {
			t.Fatalf("verified %d records, recorded %d", res.EventCount, rec.Count())
		}
		if err == nil {
			n := 0
			for _, l := range strings.Split(string(events), "\n") {
				if strings.TrimSpace(l) != "" {
					n++
				}
			}
			if uint64(n) != rec.Count() {
				t.Fatalf("%d events, %d records", n, rec.Count())
			}
		}
	})
}
