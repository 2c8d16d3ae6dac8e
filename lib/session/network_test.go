package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/canon"
)

var testEvents = []string{
	`{"timestamp_unix_ms":1,"mode":"connect","decision":"allow","target":"example.com","port":443,"method":null,"path":null,"status":null,"reason":null}`,
	`{"decision":"deny","timestamp_unix_ms":2,"mode":"connect","denial_category":"host_denied","target":"evil.example","port":null,"method":"GET","path":"/a?b","status":403,"reason":"host evil.example not allowed","x_new":{"k":[1,2]}}`,
}

func eventsSession(t *testing.T, events NetworkEvents) *Session {
	t.Helper()
	code := int32(0)
	return &Session{
		SessionID: "s1", Started: "2026-01-01T00:00:00Z", Command: []string{"curl"},
		TrackedPaths: []string{}, MerkleRoots: []string{}, ExitCode: &code,
		NetworkEvents: events,
	}
}

func parsedEvents(t *testing.T) []canon.Value {
	t.Helper()
	var vs []canon.Value
	for _, e := range testEvents {
		v, err := canon.Parse([]byte(e))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// The streamed encoding is byte for byte the pretty encoding of the whole
// record with the events in place, and decoding keeps each event's bytes
// (key order and keys of its own included).
func TestNetworkEventsEncodeDecode(t *testing.T) {
	vs := parsedEvents(t)
	s := eventsSession(t, NetworkEventsOf(vs...))
	got, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	whole := s.Value()
	for i := range whole.Members {
		if whole.Members[i].Key == "network_events" {
			whole.Members[i].Value = canon.ArrayValue(vs...)
		}
	}
	if want := canon.Pretty(whole); string(got) != string(want) {
		t.Fatalf("encoding:\n%s\nwant:\n%s", got, want)
	}
	back, err := Decode(got)
	if err != nil {
		t.Fatal(err)
	}
	if back.NetworkEvents.Len() != 2 {
		t.Fatalf("decoded %d events", back.NetworkEvents.Len())
	}
	i := 0
	back.NetworkEvents.Each(func(ev []byte) error {
		if string(ev) != testEvents[i] {
			t.Errorf("event %d: %s", i, ev)
		}
		i++
		return nil
	})
	again, _ := back.Encode()
	if string(again) != string(got) {
		t.Fatalf("re-encoding differs:\n%s", again)
	}
}

// A spooled list encodes as the same list held in memory, and a spool that
// does not hold what it should is an error naming it, never a short record.
func TestNetworkEventsSpool(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, "network.ndjson")
	if err := os.WriteFile(spool, []byte(strings.Join(testEvents, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	held, _ := eventsSession(t, NetworkEventsOf(parsedEvents(t)...)).Encode()
	spooled, err := eventsSession(t, SpooledNetworkEvents(spool, 2)).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(spooled) != string(held) {
		t.Fatalf("spooled:\n%s\nheld:\n%s", spooled, held)
	}
	for count, want := range map[int]string{1: "2 events, want 1", 3: "2 events, want 3"} {
		_, err := eventsSession(t, SpooledNetworkEvents(spool, count)).Encode()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("count %d: %v", count, err)
		}
	}
	os.WriteFile(spool, []byte(testEvents[0]+"\n{\"a\":1,\"a\":2}\n"), 0o600)
	_, err = eventsSession(t, SpooledNetworkEvents(spool, 2)).Encode()
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
	if err := Write(dir, eventsSession(t, SpooledNetworkEvents(spool, 2))); err == nil {
		t.Error("Write with a bad spool succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !os.IsNotExist(err) {
		t.Errorf("half-written record left behind: %v", err)
	}
}

func TestNetworkEventsDecodeErrors(t *testing.T) {
	base := `{"session_id":"a","started":"1","command":["x"],"tracked_paths":[],"snapshot_count":0,"merkle_roots":[],"network_events":`
	for in, want := range map[string]string{
		base + `{}}`:              "network_events: want an array",
		base + `[1,}`:             "network_events",
		base + `[{"a":1,"a":2}]}`: "network_events[0]",
	} {
		if _, err := Decode([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	s, err := Decode([]byte(base + `null}`))
	if err != nil || s.NetworkEvents.Len() != 0 {
		t.Fatalf("null: %v %d", err, s.NetworkEvents.Len())
	}
}

// A member this version does not know may hold a "network_events" of its
// own: the events still go into the record's own array.
func TestNetworkEventsBesideNestedKey(t *testing.T) {
	in := `{"x_first":{"a":1,"network_events":[]},"session_id":"a","started":"1","command":["x"],"tracked_paths":[],"snapshot_count":0,"merkle_roots":[],"network_events":[` + testEvents[0] + `]}`
	s, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	v, err := canon.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := v.Get("x_first")
	nested, _ := x.Get("network_events")
	top, _ := v.Get("network_events")
	if len(nested.Elems) != 0 || len(top.Elems) != 1 {
		t.Fatalf("events misplaced:\n%s", out)
	}
}
