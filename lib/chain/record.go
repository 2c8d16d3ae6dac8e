package chain

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/merkle"
)

// Recorder turns canonical events into alpha records:
//
//	{"sequence":N,"prev_chain":null|HEX,"leaf_hash":HEX,"chain_hash":HEX,"event_json":STRING,"event":OBJECT}
//
// one a line, exactly as upstream writes them. Each record goes out whole
// in a single Write call, so a reader tailing the output never sees part
// of one unless the writer dies inside that call.
type Recorder struct {
	w     io.Writer
	count uint64
	head  merkle.Hash // chain hash of the last record; valid when count > 0
	buf   []byte
	err   error // sticky: after a failed write the output state is unknown
}

// NewRecorder returns a recorder that starts a new log on w.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: w} }

// Resume returns a recorder whose records continue existingLog: the next
// sequence number follows its last record and the chain links to that
// record's chain hash. The log must verify in full (strictly, with no
// truncated tail); otherwise nothing may be appended to it and Resume
// returns the verification error. Records go to w, so appending them to
// the same file is the caller's choice (for example `>> log`).
func Resume(w io.Writer, existingLog io.Reader) (*Recorder, error) {
	tail := &lastByteReader{r: existingLog}
	res, err := Verify(tail, Options{})
	if err != nil {
		return nil, fmt.Errorf("existing log does not verify: %w", err)
	}
	if tail.seen && tail.last != '\n' {
		return nil, errors.New("existing log does not end with a newline: records appended to it would join its last line")
	}
	r := &Recorder{w: w, count: res.EventCount}
	if res.ChainHead != nil {
		r.head = *res.ChainHead
	}
	return r, nil
}

// lastByteReader remembers the last byte read through it.
type lastByteReader struct {
	r    io.Reader
	last byte
	seen bool
}

func (l *lastByteReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		l.last, l.seen = p[n-1], true
	}
	return n, err
}

// Count is the number of records in the log so far, resumed ones included.
func (r *Recorder) Count() uint64 { return r.count }

// Head returns the chain hash of the last record; false for an empty log.
func (r *Recorder) Head() (merkle.Hash, bool) { return r.head, r.count > 0 }

// Append writes the record of one event. eventJSON must be the event's
// canonical bytes (lib/event's Canonicalize): they are hashed and embedded
// as they are.
func (r *Recorder) Append(eventJSON []byte) error {
	if r.err != nil {
		return r.err
	}
	leaf := LeafHash(eventJSON)
	r.buf = r.appendHead(r.buf[:0], leaf)
	r.buf = appendTail(r.buf, eventJSON)
	return r.write(r.buf)
}

func (r *Recorder) write(p []byte) error {
	if _, err := r.w.Write(p); err != nil {
		r.err = fmt.Errorf("writing records: %w", err)
		return r.err
	}
	return nil
}

// appendHead appends the first four members of the next record (through
// chain_hash) and advances the chain.
func (r *Recorder) appendHead(dst []byte, leaf merkle.Hash) []byte {
	dst = append(dst, `{"sequence":`...)
	dst = strconv.AppendUint(dst, r.count, 10)
	dst = append(dst, `,"prev_chain":`...)
	var prev merkle.Hash // all zero for the first record
	if r.count > 0 {
		prev = r.head
		dst = appendQuotedHex(dst, prev)
	} else {
		dst = append(dst, "null"...)
	}
	chain := ChainHash(prev, leaf)
	dst = append(dst, `,"leaf_hash":`...)
	dst = appendQuotedHex(dst, leaf)
	dst = append(dst, `,"chain_hash":`...)
	dst = appendQuotedHex(dst, chain)
	r.head = chain
	r.count++
	return dst
}

// appendTail appends the rest of a record: event_json, event, the closing
// brace and the newline.
func appendTail(dst, eventJSON []byte) []byte {
	dst = append(dst, `,"event_json":`...)
	dst = canon.AppendStringBytes(dst, eventJSON)
	dst = append(dst, `,"event":`...)
	dst = append(dst, eventJSON...)
	return append(dst, '}', '\n')
}

func appendQuotedHex(dst []byte, h merkle.Hash) []byte {
	dst = append(dst, '"')
	dst = merkle.AppendHex(dst, h)
	return append(dst, '"')
}
