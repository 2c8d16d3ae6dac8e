package integrity

import (
	"bufio"
	"bytes"
	"fmt"
	"os"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ndjson"
	"github.com/nono-audit/nono/lib/session"
)

// networkSpool copies the NetworkAuditEvent of every `network` record of
// the log, as the record holds it (redacted, canonical), to a temporary
// file in the session directory, one compact event a line, as the
// records stream past the verifier: session.json's network_events are
// then written from the file, so neither the log nor the events are held
// in memory however many requests the session made. It sees every byte
// the verifier reads (an io.Writer behind a TeeReader); the verifier
// decides whether the log is good, the spool only what it holds. It
// also keeps the last session_ended event's time and status, which are
// session.json's ended and exit_code (Options.EndFromLog).
type networkSpool struct {
	dir     string   // where the spool file is made, at the first event
	f       *os.File // nil until then
	path    string
	w       *bufio.Writer
	partial []byte // the start of a line not yet complete
	maxLine int
	long    bool // the current line outgrew the limit: skip to its end
	count   int
	err     error
	sc      canon.Scanner
	out     []byte
	end     *sessionEnd // the last session_ended event, if any
}

// sessionEnd is what a session_ended event says.
type sessionEnd struct {
	Ended    string
	ExitCode int32
}

// networkMarker is in every record whose event is a network event: the
// record's event member holds it unescaped (in event_json, and in any
// string, the quotes are escaped). endMarker is so in a session_ended
// record.
var (
	networkMarker = []byte(`"type":"network"`)
	endMarker     = []byte(`"type":"session_ended"`)
)

func newNetworkSpool(dir string, maxLine int) *networkSpool {
	if maxLine <= 0 {
		maxLine = ndjson.DefaultMaxLine
	}
	return &networkSpool{dir: dir, maxLine: maxLine}
}

// Write takes the next bytes of the stream. It never fails: a spool that
// cannot be written is reported by finish, and the stream goes on.
func (n *networkSpool) Write(p []byte) (int, error) {
	size := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			n.hold(p)
			break
		}
		line := p[:i]
		if len(n.partial) > 0 || n.long {
			n.hold(line)
			line = n.partial
		}
		if !n.long {
			n.line(line)
		}
		n.partial, n.long = n.partial[:0], false
		p = p[i+1:]
	}
	return size, nil
}

// hold keeps the start of an incomplete line, up to the verifier's own
// limit on a record (a longer one fails verification anyway).
func (n *networkSpool) hold(p []byte) {
	if n.long || len(n.partial)+len(p) > n.maxLine {
		n.long, n.partial = true, n.partial[:0]
		return
	}
	n.partial = append(n.partial, p...)
}

// line spools the NetworkAuditEvent of one record, if it is a network
// event. A record this cannot read is left to the verifier.
func (n *networkSpool) line(rec []byte) {
	if bytes.Contains(rec, endMarker) {
		if end, ok := n.sessionEnd(rec); ok {
			n.end = end
		}
		return
	}
	if n.err != nil || !bytes.Contains(rec, networkMarker) {
		return
	}
	ev, ok := n.networkEvent(rec)
	if !ok {
		return
	}
	if n.f == nil {
		// Most sessions have no network event, and no spool file.
		f, path, err := atomicfile.CreateTemp(n.dir, 0o600)
		if err != nil {
			n.err = err
			return
		}
		n.f, n.path, n.w = f, path, bufio.NewWriterSize(f, 64<<10)
	}
	n.count++
	if _, err := n.w.Write(append(ev, '\n')); err != nil {
		n.err = err
	}
}

// networkEvent finds record.event.event when record.event.type is
// "network", and returns it compact.
func (n *networkSpool) networkEvent(rec []byte) ([]byte, bool) {
	n.out = n.out[:0]
	found := false
	typ, ok := n.eventMembers(rec, func(key []byte) bool {
		if string(key) != "event" {
			return true
		}
		if k, err := n.sc.Peek(); err != nil || k != canon.Object {
			return false
		}
		var err error
		n.out, err = n.sc.AppendCompact(n.out)
		found = err == nil
		return found
	})
	return n.out, ok && found && typ == "network"
}

// sessionEnd reads record.event when it is a session_ended event.
func (n *networkSpool) sessionEnd(rec []byte) (*sessionEnd, bool) {
	var end sessionEnd
	var haveEnded, haveCode bool
	typ, ok := n.eventMembers(rec, func(key []byte) bool {
		switch string(key) {
		case "ended":
			s, err := n.sc.String()
			end.Ended, haveEnded = string(s), err == nil
			return haveEnded
		case "exit_code":
			c, err := n.sc.Int(32)
			end.ExitCode, haveCode = int32(c), err == nil
			return haveCode
		}
		return true
	})
	return &end, ok && typ == "session_ended" && haveEnded && haveCode
}

// eventMembers reads record.event's members: its "type", which it
// returns, and every other one through member, called with n.sc at the
// member's value (one it does not read is skipped). It returns false when
// the record cannot be read that far or member returned false.
func (n *networkSpool) eventMembers(rec []byte, member func(key []byte) bool) (typ string, ok bool) {
	sc := &n.sc
	sc.Reset(rec)
	if !enter(sc, "event") {
		return "", false
	}
	for {
		key, more, err := sc.NextMember()
		if err != nil {
			return "", false
		}
		if !more {
			return typ, true
		}
		if string(key) == "type" {
			s, err := sc.String()
			if err != nil {
				return "", false
			}
			typ = string(s)
		} else if !member(key) {
			return "", false
		}
	}
}

// enter moves sc into the object that is the value of key in the
// top-level object.
func enter(sc *canon.Scanner, key string) bool {
	if sc.Object() != nil {
		return false
	}
	for {
		k, more, err := sc.NextMember()
		if err != nil || !more {
			return false
		}
		if string(k) == key {
			return sc.Object() == nil
		}
	}
}

// finish flushes the spool: the events, ready for session.json, or the
// error that kept them from being spooled.
func (n *networkSpool) finish() (session.NetworkEvents, error) {
	if n.f == nil { // no event, or no spool file
		if n.err != nil {
			return session.NetworkEvents{}, fmt.Errorf("network events spool: %w", n.err)
		}
		return session.NetworkEvents{}, nil
	}
	if n.err == nil {
		n.err = n.w.Flush()
	}
	if err := n.f.Close(); n.err == nil {
		n.err = err
	}
	if n.err != nil {
		return session.NetworkEvents{}, fmt.Errorf("network events spool %s: %w", n.path, n.err)
	}
	return session.SpooledNetworkEvents(n.path, n.count), nil
}

// remove deletes the spool.
func (n *networkSpool) remove() {
	if n.f != nil {
		n.f.Close()
		os.Remove(n.path)
	}
}
