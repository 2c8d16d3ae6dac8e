package chain

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"
)

// benchEvents returns n event lines of mixed types (about 300 bytes each).
func benchEvents(b *testing.B, n int) []byte {
	log, _ := makeLog(b, n)
	var events bytes.Buffer
	for _, l := range lines(log) {
		i := strings.Index(l, `,"event":`)
		events.WriteString(strings.TrimSuffix(l[i+len(`,"event":`):], "}\n"))
		events.WriteByte('\n')
	}
	return events.Bytes()
}

// Verify over an in-memory log, all workers.
func BenchmarkVerify(b *testing.B) {
	log, _ := makeLog(b, 20000)
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(bytes.NewReader(log), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The per-line work of Verify on one goroutine.
func BenchmarkVerifyLine(b *testing.B) {
	log, _ := makeLog(b, 1000)
	ls := lines(log)
	w := newVerifyWorker(Options{})
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		for i, l := range ls {
			if r := w.check([]byte(strings.TrimSuffix(l, "\n")), i+1); r.stage != stageOK {
				b.Fatal(r.msg)
			}
		}
	}
}

// Events to records, all workers, output discarded.
func BenchmarkAppendFrom(b *testing.B) {
	events := benchEvents(b, 20000)
	b.SetBytes(int64(len(events)))
	b.ReportAllocs()
	for b.Loop() {
		if err := NewRecorder(io.Discard).AppendFrom(bytes.NewReader(events), StreamOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// One canonical event at a time through Recorder.Append.
func BenchmarkRecorderAppend(b *testing.B) {
	ev := vectors.Read(b, "capability_decision.json")
	ev = bytes.TrimSuffix(ev, []byte("\n"))
	rec := NewRecorder(io.Discard)
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		if err := rec.Append(ev); err != nil {
			b.Fatal(err)
		}
	}
}
