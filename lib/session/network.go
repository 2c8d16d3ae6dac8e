package session

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ndjson"
)

// NetworkEvents is session.json's network_events: NetworkAuditEvent
// objects as recorded, key order included. A proxied session can make
// any number of requests, so the events are never held as parsed trees:
// each is kept as its compact JSON bytes, or streamed from a spool file
// that holds one compact event a line (how the recorder fills them in
// at the end of a session without holding them at all). The zero value
// is an empty list.
type NetworkEvents struct {
	buf  []byte // the events' compact bytes, back to back
	ends []int  // where each event ends in buf

	spool      string // a file of compact events, one a line
	spoolCount int
}

// Len is the number of events.
func (n *NetworkEvents) Len() int {
	if n.spool != "" {
		return n.spoolCount
	}
	return len(n.ends)
}

// NetworkEventsOf is a list held in memory of the events vs.
func NetworkEventsOf(vs ...canon.Value) NetworkEvents {
	var n NetworkEvents
	for _, v := range vs {
		n.buf = canon.AppendCompact(n.buf, v)
		n.ends = append(n.ends, len(n.buf))
	}
	return n
}

// SpooledNetworkEvents is the count events in the spool file at path, one
// compact JSON object a line, read each time the events are encoded or
// visited (the file must outlive those uses).
func SpooledNetworkEvents(path string, count int) NetworkEvents {
	if count == 0 {
		return NetworkEvents{}
	}
	return NetworkEvents{spool: path, spoolCount: count}
}

// maxNetworkEvent bounds one spooled event: they are a few hundred bytes.
const maxNetworkEvent = 1 << 20

// Each calls fn with each event's compact JSON, in order; the bytes are
// valid only during the call. A spooled event that is not one JSON value
// is an error naming the spool's line.
func (n *NetworkEvents) Each(fn func(ev []byte) error) error {
	if n.spool == "" {
		start := 0
		for _, end := range n.ends {
			if err := fn(n.buf[start:end]); err != nil {
				return err
			}
			start = end
		}
		return nil
	}
	f, err := os.OpenFile(n.spool, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("network events: %w", err)
	}
	defer f.Close()
	r := ndjson.NewReader(f)
	r.SetMaxLine(maxNetworkEvent)
	var sc canon.Scanner
	count := 0
	for {
		line, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("network events %s: %w", n.spool, err)
		}
		sc.Reset(line)
		if err = sc.Skip(); err == nil {
			err = sc.End()
		}
		if err != nil {
			return fmt.Errorf("network events %s: line %d: %w", n.spool, r.Line(), err)
		}
		if count++; count > n.spoolCount {
			break
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	if count != n.spoolCount {
		return fmt.Errorf("network events %s: %d events, want %d", n.spool, count, n.spoolCount)
	}
	return nil
}

// values returns the events as parsed values: for tests and small lists.
func (n *NetworkEvents) values() ([]canon.Value, error) {
	var out []canon.Value
	err := n.Each(func(ev []byte) error {
		v, err := canon.Parse(ev)
		out = append(out, v)
		return err
	})
	return out, err
}

// splitNetworkEvents takes the network_events array out of a session
// record: it returns the record with an empty array in its place (small
// enough to parse whole) and the events as compact bytes.
func splitNetworkEvents(data []byte) ([]byte, NetworkEvents, error) {
	var n NetworkEvents
	sc := canon.NewScanner(data)
	if err := sc.Object(); err != nil {
		return data, n, nil // not an object: the full parse says so
	}
	for {
		key, more, err := sc.NextMember()
		if err != nil || !more {
			return data, n, err
		}
		if string(key) != "network_events" {
			if err := sc.Skip(); err != nil {
				return data, n, err
			}
			continue
		}
		k, err := sc.Peek()
		if err != nil {
			return data, n, err
		}
		if k == canon.Null {
			return data, n, nil
		}
		if k != canon.Array {
			return data, n, fmt.Errorf("network_events: want an array, got %s", k)
		}
		start := sc.Offset()
		if err := sc.Array(); err != nil {
			return data, n, err
		}
		// The compact events take at most what the rest of the record
		// does: one buffer, instead of the copies a growing one leaves
		// behind (megabytes for a proxied session's thousands).
		n.buf = make([]byte, 0, len(data)-start)
		for {
			more, err := sc.NextElement()
			if err != nil {
				return data, n, fmt.Errorf("network_events: %w", err)
			}
			if !more {
				break
			}
			if n.buf, err = sc.AppendCompact(n.buf); err != nil {
				return data, n, fmt.Errorf("network_events[%d]: %w", len(n.ends), err)
			}
			n.ends = append(n.ends, len(n.buf))
		}
		end := sc.Offset()
		rest := make([]byte, 0, len(data)-(end-start)+2)
		rest = append(append(append(rest, data[:start]...), "[]"...), data[end:]...)
		return rest, n, nil
	}
}

// NetworkEventsSlot is where the events go in doc, the compact or pretty
// encoding of Value() (whose network_events is empty): the index of the
// top-level network_events array's ']'. Writers put doc[:i], the
// elements, then doc[i:]. The member is found by reading the object, not
// by searching its bytes: a member this version does not know may hold a
// nested "network_events" of its own.
func NetworkEventsSlot(doc []byte) (int, error) {
	sc := canon.NewScanner(doc)
	if err := sc.Object(); err != nil {
		return 0, fmt.Errorf("session: encoded record: %w", err)
	}
	for {
		key, more, err := sc.NextMember()
		if err != nil {
			return 0, fmt.Errorf("session: encoded record: %w", err)
		}
		if !more {
			return 0, errors.New("session: no network_events in the encoded record")
		}
		if string(key) != "network_events" {
			continue // NextMember skips the value not read
		}
		if err := sc.Array(); err != nil {
			return 0, fmt.Errorf("session: encoded network_events: %w", err)
		}
		if more, err := sc.NextElement(); err != nil || more {
			return 0, errors.New("session: encoded network_events is not empty")
		}
		return sc.Offset() - 1, nil
	}
}

// writeAround writes doc, the pretty encoding of Value(), with the events
// written by each in their place.
func writeAround(w io.Writer, doc []byte, each func(w io.Writer) error) error {
	cut, err := NetworkEventsSlot(doc)
	if err != nil {
		return err
	}
	if _, err := w.Write(doc[:cut]); err != nil {
		return err
	}
	if err := each(w); err != nil {
		return err
	}
	_, err = w.Write(doc[cut:])
	return err
}

// writePretty writes the events as the pretty form's array elements
// (at depth 2), then the newline and indent before the closing ']'.
func (n *NetworkEvents) writePretty(w io.Writer) error {
	if n.Len() == 0 {
		return nil
	}
	var out []byte
	first := true
	err := n.Each(func(ev []byte) error {
		v, err := canon.Parse(ev)
		if err != nil {
			return fmt.Errorf("network event: %w", err)
		}
		if err := canon.CheckUTF8(v); err != nil {
			return fmt.Errorf("network event: %w", err)
		}
		out = out[:0]
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, "\n    "...)
		// Strings hold no raw newline, so indenting after each one
		// nests the element's own pretty form two levels deeper.
		for _, c := range canon.Pretty(v) {
			out = append(out, c)
			if c == '\n' {
				out = append(out, "    "...)
			}
		}
		_, err = w.Write(out)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n  ")
	return err
}
