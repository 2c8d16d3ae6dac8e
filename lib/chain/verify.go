package chain

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/ndjson"
)

// Options tune Verify.
type Options struct {
	// Lenient accepts records written by nono-py, whose event_json may
	// escape non-ASCII as \uXXXX (and may not follow upstream's schema):
	// such a record passes when event_json and event are the same JSON
	// value; its leaf still hashes the stored event_json bytes.
	Lenient bool
	// AllowPartialTail ends the log at a truncated final line (no newline:
	// a writer that crashed mid-record) instead of failing.
	AllowPartialTail bool
	// MaxLine bounds one record in bytes; 0 means ndjson.DefaultMaxLine.
	MaxLine int
	// Leaf, when set, receives the leaf hash of each verified record, in
	// order, on the goroutine that called Verify (for proofs built in the
	// same pass). Records before an invalid one are passed too: discard
	// what Leaf received when Verify fails.
	Leaf func(merkle.Hash)
}

// maxLenientLines bounds Result.LenientLines, so that memory does not grow
// with a log where every record needed lenient mode.
const maxLenientLines = 1000

// Result is what a verified log adds up to.
type Result struct {
	EventCount       uint64
	ChainHead        *merkle.Hash // nil for an empty log
	MerkleRoot       *merkle.Hash // nil for an empty log
	LenientLines     []int        // lines accepted only in lenient mode (the first 1000)
	LenientCount     uint64       // how many lines needed lenient mode
	TruncatedTail    bool         // a partial final line was ignored
	TruncatedLine    int          // its physical line number
	MissingEventJSON bool         // some record lacked event_json
}

// RecordError is an invalid record. Line is the 1-based physical line.
type RecordError struct {
	Line int
	Msg  string
}

func (e *RecordError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Verdict reports true: the log is invalid (exit status 1, lib/cli).
func (e *RecordError) Verdict() bool { return true }

// TruncatedMsg is the message of a truncated final line: a crash in the
// middle of writing a record, which is not the same as tampering.
const TruncatedMsg = "truncated final record (crash mid-write?)"

// Verify checks every record of an alpha log as upstream does, in order:
// the record parses (its event as an upstream event, or as a user's own
// type); sequence counts from 0; prev_chain is the previous chain hash
// (null, or absent, on the first record); event_json parses as an event
// and equals the canonical form of event byte for byte; leaf_hash is the
// hash of the event_json bytes; chain_hash links it to the previous one.
// It returns the totals (count, chain head, Merkle root).
//
// Invalid content returns a *RecordError naming the first bad line,
// together with the totals of the records before it. Reading problems
// return other errors. Memory stays bounded whatever the log's length:
// lines are processed in batches by one worker per CPU, and the chain and
// the Merkle root advance in order as the batches complete.
func Verify(r io.Reader, opts Options) (*Result, error) {
	maxLine := opts.MaxLine
	if maxLine <= 0 {
		maxLine = ndjson.DefaultMaxLine
	}
	p := newPipeline(r, maxLine,
		func() *verifyWorker { return newVerifyWorker(opts) },
		(*verifyWorker).process)
	v := &verifier{opts: opts}
	for {
		b := p.next(nil)
		if b == nil {
			return v.result(), nil // not reached: the last batch carries its end
		}
		n := len(b.res)
		var truncated *ndjson.Error
		if errors.As(b.end, &truncated) && errors.Is(truncated.Err, ndjson.ErrTruncated) {
			if n == len(b.lines) {
				n-- // the partial line itself is never a record
			}
		} else {
			truncated = nil
		}
		err := v.consume(b.res[:n])
		end := b.end
		p.release(b)
		if err != nil {
			p.close()
			return v.result(), err
		}
		switch {
		case end == nil:
			continue
		case end == io.EOF:
			return v.result(), nil
		case truncated != nil:
			if !opts.AllowPartialTail {
				return v.result(), &RecordError{Line: truncated.Line, Msg: TruncatedMsg}
			}
			v.truncated = truncated.Line
			return v.result(), nil
		}
		var ne *ndjson.Error
		if errors.As(end, &ne) && errors.Is(ne.Err, ndjson.ErrTooLong) {
			return v.result(), &RecordError{Line: ne.Line, Msg: ne.Err.Error()}
		}
		return v.result(), fmt.Errorf("reading records: %w", end)
	}
}

// verifier is the sequential half of Verify.
type verifier struct {
	opts      Options
	count     uint64
	head      merkle.Hash
	tree      merkle.Builder
	lenient   []int
	nLenient  uint64
	missing   bool
	truncated int
}

func (v *verifier) consume(res []lineResult) error {
	for i := range res {
		r := &res[i]
		if r.stage == stageParse {
			return &RecordError{Line: r.line, Msg: r.msg}
		}
		if r.seq != v.count {
			return &RecordError{Line: r.line, Msg: fmt.Sprintf("sequence mismatch: expected %d, got %d", v.count, r.seq)}
		}
		var prev merkle.Hash
		if v.count > 0 {
			prev = v.head
		}
		if (v.count == 0) != r.prevNull || (!r.prevNull && r.prev != prev) {
			return &RecordError{Line: r.line, Msg: fmt.Sprintf("prev_chain mismatch: expected %s, found %s",
				hexOrNull(prev, v.count == 0), hexOrNull(r.prev, r.prevNull))}
		}
		if r.stage != stageOK {
			return &RecordError{Line: r.line, Msg: r.msg}
		}
		chain := ChainHash(prev, r.leaf)
		if chain != r.chain {
			return &RecordError{Line: r.line, Msg: "chain hash mismatch"}
		}
		v.tree.Append(r.leaf)
		if v.opts.Leaf != nil {
			v.opts.Leaf(r.leaf)
		}
		v.head = chain
		v.count++
		if r.lenient {
			v.nLenient++
			if len(v.lenient) < maxLenientLines {
				v.lenient = append(v.lenient, r.line)
			}
		}
		v.missing = v.missing || r.missingEventJSON
	}
	return nil
}

func (v *verifier) result() *Result {
	res := &Result{
		EventCount:       v.count,
		LenientLines:     v.lenient,
		LenientCount:     v.nLenient,
		TruncatedTail:    v.truncated > 0,
		TruncatedLine:    v.truncated,
		MissingEventJSON: v.missing,
	}
	if v.count > 0 {
		head := v.head
		root, _ := v.tree.Root()
		res.ChainHead, res.MerkleRoot = &head, &root
	}
	return res
}

func hexOrNull(h merkle.Hash, null bool) string {
	if null {
		return "null"
	}
	return merkle.Hex(h)
}

// Stages of a per-line failure, in upstream's order of checks: the
// sequential checks (sequence, prev_chain) come between parsing and the
// event checks, so a line's error is reported as upstream would.
const (
	stageOK    = iota
	stageParse // the record itself does not parse
	stageEvent // event_json invalid, or not the canonical event, or leaf mismatch
)

// lineResult is a worker's verdict on one line.
type lineResult struct {
	line             int
	stage            uint8
	msg              string
	seq              uint64
	prevNull         bool
	prev             merkle.Hash
	leaf             merkle.Hash // the stored leaf_hash (equal to the computed one when stage is OK)
	chain            merkle.Hash // the stored chain_hash
	lenient          bool
	missingEventJSON bool
}

// verifyWorker checks lines with scratch space of its own.
type verifyWorker struct {
	opts   Options
	c      event.Canonicalizer
	ej     []byte // decoded event_json
	ev     []byte // canonical event
	tmp    []byte
	keys   [][]byte // undeclared top-level keys of the current record
	h      hash.Hash
	domain []byte
	sum    []byte
	hexed  []byte
}

func newVerifyWorker(opts Options) *verifyWorker {
	return &verifyWorker{opts: opts, h: sha256.New(), domain: []byte(EventDomain), sum: make([]byte, 0, sha256.Size)}
}

func (w *verifyWorker) process(b *batch[lineResult]) {
	b.res = b.res[:0]
	for _, l := range b.lines {
		r := w.check(b.data[l.start:l.end], l.num)
		b.res = append(b.res, r)
		if r.stage != stageOK {
			break // the consumer stops here
		}
	}
}

// Members of the record envelope, as bits for duplicate detection.
const (
	hasSequence = 1 << iota
	hasPrevChain
	hasLeaf
	hasChain
	hasEventJSON
	hasEvent
)

// check verifies what one line can show on its own.
func (w *verifyWorker) check(line []byte, num int) (r lineResult) {
	r.line = num
	r.prevNull = true
	fail := func(stage uint8, format string, args ...any) lineResult {
		r.stage, r.msg = stage, fmt.Sprintf(format, args...)
		return r
	}
	var seen int
	var nullEventJSON bool
	var evSpan [2]int
	var evErr error
	w.keys = w.keys[:0]

	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return fail(stageParse, "invalid record: expected a JSON object")
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		i++
	} else {
		for {
			if i >= len(line) || line[i] != '"' {
				return fail(stageParse, "invalid record: expected an object key at byte %d", i)
			}
			key, n, err := w.key(line[i:])
			if err != nil {
				return fail(stageParse, "invalid record: key at byte %d: %v", i, err)
			}
			i = skipSpace(line, i+n)
			if i >= len(line) || line[i] != ':' {
				return fail(stageParse, "invalid record: expected ':' at byte %d", i)
			}
			i = skipSpace(line, i+1)
			bit := 0
			switch string(key) {
			case "sequence":
				bit = hasSequence
				r.seq, n, err = parseU64(line[i:])
			case "prev_chain":
				bit = hasPrevChain
				if bytes.HasPrefix(line[i:], []byte("null")) {
					r.prevNull, n = true, 4
				} else {
					r.prevNull = false
					r.prev, n, err = w.hash(line[i:])
				}
			case "leaf_hash":
				bit = hasLeaf
				r.leaf, n, err = w.hash(line[i:])
			case "chain_hash":
				bit = hasChain
				r.chain, n, err = w.hash(line[i:])
			case "event_json":
				bit = hasEventJSON
				switch {
				case bytes.HasPrefix(line[i:], []byte("null")):
					// An Option upstream: null reads as absent.
					n, nullEventJSON = 4, true
				case i < len(line) && line[i] != '"':
					err = fmt.Errorf("expected a string")
				default:
					w.ej, n, err = event.AppendUnquoted(w.ej[:0], line[i:])
				}
			case "event":
				bit = hasEvent
				w.ev, n, evErr = w.c.AppendTypedPrefix(w.ev[:0], line[i:])
				if evErr != nil {
					if !w.opts.Lenient {
						return fail(stageParse, "invalid record: event: %v", evErr)
					}
					// nono-py's own event shapes: judged by value below.
					n, err = w.c.SkipValue(line[i:])
				}
				evSpan = [2]int{i, i + n}
			default:
				for _, k := range w.keys {
					if bytes.Equal(k, key) {
						return fail(stageParse, "invalid record: duplicate key %s", canon.AppendString(nil, string(key)))
					}
				}
				w.keys = append(w.keys, key)
				n, err = w.c.SkipValue(line[i:])
			}
			if err != nil {
				return fail(stageParse, "invalid record: %s: %v", key, err)
			}
			if seen&bit != 0 {
				return fail(stageParse, "invalid record: duplicate field %q", key)
			}
			seen |= bit
			i = skipSpace(line, i+n)
			if i >= len(line) {
				return fail(stageParse, "invalid record: unterminated object")
			}
			if line[i] == ',' {
				i = skipSpace(line, i+1)
				continue
			}
			if line[i] != '}' {
				return fail(stageParse, "invalid record: expected ',' or '}' at byte %d", i)
			}
			i++
			break
		}
	}
	if j := skipSpace(line, i); j != len(line) {
		return fail(stageParse, "invalid record: trailing characters at byte %d", j)
	}
	for _, f := range []struct {
		bit  int
		name string
	}{{hasSequence, "sequence"}, {hasLeaf, "leaf_hash"}, {hasChain, "chain_hash"}, {hasEvent, "event"}} {
		if seen&f.bit == 0 {
			return fail(stageParse, "invalid record: missing field %q", f.name)
		}
	}

	input := w.ej
	if seen&hasEventJSON == 0 || nullEventJSON {
		if evErr != nil {
			return fail(stageParse, "invalid record: event: %v", evErr)
		}
		r.missingEventJSON = true
		input = w.ev
	} else if evErr != nil || !bytes.Equal(w.ev, w.ej) {
		if w.opts.Lenient && sameJSON(w.ej, line[evSpan[0]:evSpan[1]]) {
			r.lenient = true
		} else {
			if evErr != nil {
				return fail(stageParse, "invalid record: event: %v", evErr)
			}
			var err error
			if w.tmp, err = w.c.AppendTyped(w.tmp[:0], w.ej); err != nil {
				return fail(stageEvent, "invalid event_json: %v", err)
			}
			return fail(stageEvent, "event JSON mismatch: event_json is not the canonical form of event")
		}
	}
	w.h.Reset()
	w.h.Write(w.domain)
	w.h.Write(input)
	w.sum = w.h.Sum(w.sum[:0])
	if !bytes.Equal(w.sum, r.leaf[:]) {
		return fail(stageEvent, "leaf hash mismatch")
	}
	return r
}

// key decodes the object key at data[0].
func (w *verifyWorker) key(data []byte) ([]byte, int, error) {
	if k := bytes.IndexByte(data[1:], '"'); k >= 0 {
		raw := data[1 : 1+k]
		if bytes.IndexByte(raw, '\\') < 0 && isPlainASCII(raw) {
			return raw, k + 2, nil
		}
	}
	key, n, err := event.AppendUnquoted(nil, data)
	return key, n, err
}

func isPlainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

// hash reads a hex digest string (either case) at data[0].
func (w *verifyWorker) hash(data []byte) (merkle.Hash, int, error) {
	var h merkle.Hash
	if len(data) == 0 || data[0] != '"' {
		return h, 0, errors.New("expected a string of 64 hex digits")
	}
	var digits []byte
	var n int
	if len(data) >= 66 && data[65] == '"' {
		digits, n = data[1:65], 66
	} else {
		var err error
		w.hexed, n, err = event.AppendUnquoted(w.hexed[:0], data)
		if err != nil {
			return h, 0, err
		}
		digits = w.hexed
	}
	if len(digits) != 64 {
		return h, 0, fmt.Errorf("expected 64 hex digits, found %d characters", len(digits))
	}
	var bad byte
	for k := range h {
		hi, lo := unhex[digits[2*k]], unhex[digits[2*k+1]]
		bad |= hi | lo
		h[k] = hi<<4 | lo&0xf
	}
	if bad&0xf0 != 0 {
		return h, 0, errors.New("expected 64 hex digits")
	}
	return h, n, nil
}

// unhex maps a hex digit (either case) to its value, anything else to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// parseU64 reads a non-negative integer that fits in a u64. Like serde, a
// literal with a fraction or exponent is a float and no u64.
func parseU64(data []byte) (uint64, int, error) {
	i := 0
	var v uint64
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		d := uint64(data[i] - '0')
		if v > (1<<64-1-d)/10 {
			return 0, 0, errors.New("out of range for u64")
		}
		v = v*10 + d
		i++
	}
	switch {
	case i == 0:
		return 0, 0, errors.New("expected an unsigned integer")
	case i > 1 && data[0] == '0':
		return 0, 0, errors.New("invalid number (leading zero)")
	case i < len(data) && (data[i] == '.' || data[i] == 'e' || data[i] == 'E'):
		return 0, 0, errors.New("expected an unsigned integer, found a float")
	}
	return v, i, nil
}

func skipSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// sameJSON reports whether a and b are the same JSON value, objects
// compared as unordered maps: nono-py's test of event_json against event.
func sameJSON(a, b []byte) bool {
	va, err := canon.Parse(a)
	if err != nil {
		return false
	}
	vb, err := canon.Parse(b)
	if err != nil {
		return false
	}
	return equalUnordered(va, vb)
}

func equalUnordered(a, b canon.Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case canon.Array:
		if len(a.Elems) != len(b.Elems) {
			return false
		}
		for i := range a.Elems {
			if !equalUnordered(a.Elems[i], b.Elems[i]) {
				return false
			}
		}
		return true
	case canon.Object:
		if len(a.Members) != len(b.Members) {
			return false
		}
		for _, m := range a.Members {
			o, ok := b.Get(m.Key)
			if !ok || !equalUnordered(m.Value, o) {
				return false
			}
		}
		return true
	}
	return canon.Equal(a, b)
}
