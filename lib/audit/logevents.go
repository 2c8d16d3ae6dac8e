package audit

import (
	"bytes"
	"io"

	"github.com/nono-audit/nono/lib/canon"
)

// sessionEvents is what a session's log says of the session itself: its
// session_started and session_ended events, and where they are. The log
// is watched as it streams through the verifier (eventWatcher), so it is
// read once.
type sessionEvents struct {
	started []sessionEvent // every session_started, in order
	ended   []sessionEvent // every session_ended, in order
}

// sessionEvent is one session_started or session_ended event.
type sessionEvent struct {
	seq   uint64      // the record's sequence number
	event canon.Value // the event object
}

// field returns the event's member key (Kind 0, never a valid JSON kind
// of a present member, when absent).
func (e *sessionEvent) field(key string) (canon.Value, bool) {
	return e.event.Get(key)
}

// within drops the events of records past the first n (a torn tail, or
// records after the one that failed), which the verifier did not accept.
func (s *sessionEvents) within(n uint64) {
	keep := func(evs []sessionEvent) []sessionEvent {
		out := evs[:0]
		for _, e := range evs {
			if e.seq < n {
				out = append(out, e)
			}
		}
		return out
	}
	s.started, s.ended = keep(s.started), keep(s.ended)
}

var (
	sessionMarker = []byte("session_")
	startedMarker = []byte("session_started")
	endedMarker   = []byte("session_ended")
)

// eventWatcher passes a log through and picks out the records of
// session_started and session_ended events. Only lines holding one of
// those words are parsed; the rest are only searched, a cheap scan.
type eventWatcher struct {
	r      io.Reader
	carry  []byte // the start of a line that continues in the next read
	events sessionEvents
}

// maxWatchedLine bounds the carried part of a line; a longer line is
// refused by the verifier anyway.
const maxWatchedLine = 64 << 20

func (w *eventWatcher) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.feed(p[:n])
	if err == io.EOF && len(w.carry) > 0 {
		w.line(w.carry) // a final line without a newline
		w.carry = nil
	}
	return n, err
}

func (w *eventWatcher) feed(b []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(w.carry)+len(b) <= maxWatchedLine {
			w.carry = append(w.carry, b...)
		}
		return
	}
	if len(w.carry) > 0 {
		w.line(append(w.carry, b[:i]...))
		w.carry = w.carry[:0]
	} else {
		w.line(b[:i])
	}
	b = b[i+1:]
	if j := bytes.LastIndexByte(b, '\n'); j >= 0 {
		w.lines(b[:j])
		b = b[j+1:]
	}
	w.carry = append(w.carry, b...)
}

// lines looks at the whole lines of block that mention "session_".
func (w *eventWatcher) lines(block []byte) {
	for {
		k := bytes.Index(block, sessionMarker)
		if k < 0 {
			return
		}
		start := bytes.LastIndexByte(block[:k], '\n') + 1
		end := bytes.IndexByte(block[k:], '\n')
		if end < 0 {
			w.line(block[start:])
			return
		}
		w.line(block[start : k+end])
		block = block[k+end+1:]
	}
}

// line records a session_started or session_ended record. A line that
// does not parse is left to the verifier to report.
func (w *eventWatcher) line(l []byte) {
	if !bytes.Contains(l, startedMarker) && !bytes.Contains(l, endedMarker) {
		return
	}
	rec, err := canon.Parse(bytes.TrimSpace(l))
	if err != nil {
		return
	}
	seq, ok := rec.Get("sequence")
	n, isUint := seq.Uint()
	if !ok || !isUint {
		return
	}
	ev, ok := rec.Get("event")
	if !ok {
		ej, _ := rec.Get("event_json")
		if ej.Kind != canon.String {
			return
		}
		if ev, err = canon.Parse([]byte(ej.Str)); err != nil {
			return
		}
	}
	typ, _ := ev.Get("type")
	if typ.Kind != canon.String {
		return
	}
	switch typ.Str {
	case "session_started":
		w.events.started = append(w.events.started, sessionEvent{seq: n, event: ev})
	case "session_ended":
		w.events.ended = append(w.events.ended, sessionEvent{seq: n, event: ev})
	}
}
