package integrity

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/session"
)

// The log's network events become session.json's network_events, as the
// log holds them, streamed or read from the file, in chunks of any size;
// other events (a user's own type carrying a "network" of its own
// included) are not taken for them; nothing is left in the directory.
func TestSummarizeSetsNetworkEvents(t *testing.T) {
	var want []string
	evs := []string{events[0]}
	for i := range 3 {
		n := event.Network{TimestampUnixMs: uint64(1000 + i), Mode: "connect", Decision: "allow", Target: fmt.Sprintf("h%d.test", i), Port: 443, Method: "CONNECT", Status: 200}
		evs = append(evs, string(event.AppendNetwork(nil, &n)))
		want = append(want, string(event.AppendNetworkAuditEvent(nil, &n)))
		evs = append(evs, `{"type":"mine","inner":{"type":"network","event":{"x":1}}}`)
	}
	evs = append(evs, events[1])
	dir, log := newSession(t, evs...)
	for _, stream := range []bool{false, true} {
		opts := Options{}
		if stream {
			opts.Stream = iotest.OneByteReader(bytes.NewReader(log))
		}
		if _, err := Summarize(dir, opts); err != nil {
			t.Fatal(err)
		}
		s, err := session.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		s.NetworkEvents.Each(func(ev []byte) error { got = append(got, string(ev)); return nil })
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("stream=%v: network_events\n%s\nwant\n%s", stream, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 2 {
			t.Errorf("stream=%v: the directory holds %d entries, want session.json and the log", stream, len(ents))
		}
	}
}

// A spool line longer than the limit is skipped, not held.
func TestNetworkSpoolSkipsLongLines(t *testing.T) {
	sp := newNetworkSpool(t.TempDir(), 64)
	defer sp.remove()
	ok := `{"event":{"type":"network","event":{"a":1}}}`
	long := `{"event":{"type":"network","event":{"a":"` + strings.Repeat("x", 100) + `"}}}`
	sp.Write([]byte(long[:50]))
	sp.Write([]byte(long[50:] + "\n" + ok + "\n"))
	if sp.count != 1 || len(sp.partial) != 0 {
		t.Fatalf("count %d, partial %q", sp.count, sp.partial)
	}
}

// A session without network events makes no spool file.
func TestNetworkSpoolNoEvents(t *testing.T) {
	dir := t.TempDir()
	sp := newNetworkSpool(dir, 0)
	sp.Write([]byte(`{"event":{"type":"session_started"}}` + "\n"))
	events, err := sp.finish()
	if err != nil || events.Len() != 0 {
		t.Fatalf("finish: %d events, %v", events.Len(), err)
	}
	sp.remove()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left in the session directory: %v", entries)
	}
}

// The spool reads any bytes in chunks of any size alike: what it takes
// (network events, the session's end) does not depend on where the
// stream's reads fall, and nothing it is given makes it panic.
func FuzzNetworkSpool(f *testing.F) {
	f.Add([]byte(`{"event":{"type":"network","event":{"a":1}}}`+"\n"+`{"event":{"type":"session_ended","ended":"2026-01-01T00:00:00Z","exit_code":3}}`+"\n"), uint8(7))
	f.Add([]byte(`{"event":{"type":"session_ended","ended":1,"exit_code":"x"}}`+"\n"+`{"event":{"type":"session_ended","exit_code":99999999999}}`), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		whole, pieces := newNetworkSpool(t.TempDir(), 256), newNetworkSpool(t.TempDir(), 256)
		defer whole.remove()
		defer pieces.remove()
		whole.Write(data)
		n := int(chunk)%16 + 1
		for p := data; len(p) > 0; {
			k := min(n, len(p))
			pieces.Write(p[:k])
			p = p[k:]
		}
		// (fmt prints a pointer to a struct as &{…}: the ends' contents.)
		if whole.count != pieces.count || fmt.Sprint(whole.end) != fmt.Sprint(pieces.end) {
			t.Errorf("whole: %d events, end %v; in chunks of %d: %d, %v", whole.count, whole.end, n, pieces.count, pieces.end)
		}
	})
}
