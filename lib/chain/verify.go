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
	// Lenient accepts records written by nono-py: event_json that escapes
	// non-ASCII as \uXXXX, events outside upstream's schema (string
	// timestamps, "oauth2"), hex in either case, any whitespace and key
	// order. Such a record passes when event_json and event are the same
	// JSON value; its leaf still hashes the stored event_json bytes. The
	// lines that needed it are reported.
	Lenient bool
	// AllowPartialTail verifies the complete records before a torn final
	// record (the input ends inside one: a writer that crashed mid-write)
	// instead of failing.
	AllowPartialTail bool
	// StrictSchema fails on an event that uses a type, field, variant or
	// enum value this version does not know, instead of counting it.
	StrictSchema bool
	// MaxLine bounds one record in bytes; 0 means ndjson.DefaultMaxLine.
	MaxLine int
	// Leaf, when set, receives the leaf hash of each verified record, in
	// order, on the goroutine that called Verify (for proofs built in the
	// same pass). Records before an invalid one are passed too: discard
	// what Leaf received when Verify fails.
	Leaf func(merkle.Hash)
	// Record, when set, is called like Leaf for each verified record,
	// with its physical line number and its bytes (without the newline;
	// valid only during the call): for a reader that shows records as
	// they are verified.
	Record func(line int, record []byte)
}

// maxReportedLines bounds the line lists of a Result, so that memory does
// not grow with a log where every record needed lenient mode.
const maxReportedLines = 1000

// Result is what a verified log adds up to.
type Result struct {
	EventCount       uint64
	ChainHead        *merkle.Hash // nil for an empty log
	MerkleRoot       *merkle.Hash // nil for an empty log
	LenientLines     []int        // lines accepted only in lenient mode (the first 1000)
	LenientCount     uint64       // how many lines needed lenient mode
	UnknownLines     []int        // lines whose event this version's schema does not fully know (the first 1000)
	UnknownCount     uint64       // how many events those are
	Unknown          string       // what the first of them holds that is unknown
	TruncatedTail    bool         // a torn final record was left out (AllowPartialTail)
	TruncatedLine    int          // its physical line number
	MissingEventJSON bool         // some record lacked event_json (lenient mode only)
}

// RecordError is an invalid record: the log was altered, or is not what
// its writer should have written. Line is the 1-based physical line.
type RecordError struct {
	Line int
	Msg  string
}

func (e *RecordError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Verdict reports true: the log is invalid (exit status 1, lib/cli).
func (e *RecordError) Verdict() bool { return true }

// TornError is a log whose final record is incomplete: the input ends
// inside it, as when its writer crashed mid-write. The records before it
// can be verified with AllowPartialTail.
type TornError struct{ Line int }

// Verdict reports true: an incomplete log does not verify (exit status 1).
func (e *TornError) Verdict() bool { return true }

func (e *TornError) Error() string {
	return fmt.Sprintf("incomplete: torn final record at line %d (crash mid-write?)", e.Line)
}

// InputError is input that is not an alpha audit log at all: its first
// line is not even a JSON object with a sequence member (text, events
// instead of records). Nothing can be said about its integrity, so it is
// not a verdict (exit status 2, lib/cli).
type InputError struct {
	Line int
	Msg  string
}

func (e *InputError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Verify checks every byte of every record of an alpha log. A record
// line is valid only if it is exactly the canonical serialization of its
// fields, as upstream and nono-chain write it:
//
//	{"sequence":N,"prev_chain":null|"HEX","leaf_hash":"HEX","chain_hash":"HEX","event_json":STRING,"event":EVENT}
//
// with lower-case hex, no whitespace, EVENT in canonical form (known
// fields in declared order and shape; fields, types and values this
// version does not know kept as they stand and counted in the Result),
// and STRING the canonical encoding of EVENT's exact bytes. Then, in
// upstream's order: sequence counts from 0; prev_chain is the previous
// chain hash (null first); leaf_hash is the hash of the event bytes;
// chain_hash links it to the previous one. It returns the totals (count,
// chain head, Merkle root).
//
// A final line without its newline is a record like any other. A final
// line the input ends inside of is a *TornError (unless AllowPartialTail).
// An invalid record is a *RecordError naming the first bad line, returned
// with the totals of the records before it; an *InputError says the input
// is not a log at all. Reading problems return other errors. Memory stays
// bounded whatever the log's length: lines are processed in batches by
// one worker per CPU, and the chain and the Merkle root advance in order
// as the batches complete.
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
		var ne *ndjson.Error
		unterminated := errors.As(b.end, &ne) && errors.Is(ne.Err, ndjson.ErrTruncated)
		if unterminated {
			v.unterminated = ne.Line
		}
		err := v.consume(b.res, b.data, b.lines)
		end := b.end
		p.release(b)
		if err != nil {
			p.close()
			return v.result(), err
		}
		switch {
		case end == nil:
			continue
		case end == io.EOF, unterminated:
			return v.result(), nil
		case ne != nil && errors.Is(ne.Err, ndjson.ErrTooLong):
			return v.result(), &RecordError{Line: ne.Line, Msg: ne.Err.Error()}
		}
		return v.result(), fmt.Errorf("reading records: %w", end)
	}
}

// verifier is the sequential half of Verify.
type verifier struct {
	opts         Options
	count        uint64
	lines        int // records and invalid lines seen
	head         merkle.Hash
	tree         merkle.Builder
	lenient      []int
	nLenient     uint64
	unknown      []int
	nUnknown     uint64
	firstUnknown string
	missing      bool
	truncated    int
	unterminated int // the line the input ends inside of, if any
}

func (v *verifier) consume(res []lineResult, data []byte, lines []lineRef) error {
	for i := range res {
		r := &res[i]
		v.lines++
		if r.stage == stageParse {
			switch {
			case r.torn && r.line == v.unterminated:
				if !v.opts.AllowPartialTail {
					return &TornError{Line: r.line}
				}
				v.truncated = r.line
				return nil
			case v.lines == 1 && !r.sawSequence:
				return &InputError{Line: r.line, Msg: r.msg}
			}
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
		if r.unknown != "" {
			if v.opts.StrictSchema {
				return &RecordError{Line: r.line, Msg: fmt.Sprintf("unknown to this version: %s (--strict-schema)", r.unknown)}
			}
			if v.nUnknown == 0 {
				v.firstUnknown = r.unknown
			}
			v.nUnknown++
			if len(v.unknown) < maxReportedLines {
				v.unknown = append(v.unknown, r.line)
			}
		}
		v.tree.Append(r.leaf)
		if v.opts.Leaf != nil {
			v.opts.Leaf(r.leaf)
		}
		if v.opts.Record != nil {
			v.opts.Record(r.line, data[lines[i].start:lines[i].end])
		}
		v.head = chain
		v.count++
		if r.lenient {
			v.nLenient++
			if len(v.lenient) < maxReportedLines {
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
		UnknownLines:     v.unknown,
		UnknownCount:     v.nUnknown,
		Unknown:          v.firstUnknown,
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

// Warnings says, one sentence each, what a verified log holds that a
// reader should know: a torn tail left out, records accepted only in
// lenient mode, events this version does not fully know, records without
// event_json.
func (r *Result) Warnings() []string {
	if r == nil {
		return nil
	}
	var w []string
	if r.TruncatedTail {
		w = append(w, fmt.Sprintf("%s; verified the %d complete records before it", (&TornError{Line: r.TruncatedLine}).Error(), r.EventCount))
	}
	if r.LenientCount > 0 {
		w = append(w, fmt.Sprintf("%d records accepted only in lenient mode (lines %s)", r.LenientCount, lineList(r.LenientLines, r.LenientCount)))
	}
	if r.UnknownCount > 0 {
		w = append(w, fmt.Sprintf("%d events use fields unknown to this version (newer recorder?): first on line %d, %s",
			r.UnknownCount, r.UnknownLines[0], r.Unknown))
	}
	if r.MissingEventJSON {
		w = append(w, "some records lack event_json; their leaves hash the re-encoded event")
	}
	return w
}

// lineList shows up to five line numbers, and how many more there are.
func lineList(lines []int, total uint64) string {
	var b []byte
	for i, l := range lines[:min(len(lines), 5)] {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "%d", l)
	}
	if more := total - uint64(min(len(lines), 5)); more > 0 {
		b = fmt.Appendf(b, " and %d more", more)
	}
	return string(b)
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
	stageEvent // the event or the record's bytes are wrong, or the leaf does not match
)

// lineResult is a worker's verdict on one line.
type lineResult struct {
	line             int
	stage            uint8
	torn             bool // stageParse because the line ends too early
	sawSequence      bool // the line is an object with a sequence member: a record, however bad
	msg              string
	seq              uint64
	prevNull         bool
	prev             merkle.Hash
	leaf             merkle.Hash // the stored leaf_hash (equal to the computed one when stage is OK)
	chain            merkle.Hash // the stored chain_hash
	lenient          bool
	missingEventJSON bool
	unknown          string // what the event holds that the schema does not know
}

// The members of a record, in canonical order.
const (
	fSequence = iota
	fPrevChain
	fLeaf
	fChain
	fEventJSON
	fEvent
	nFields
)

var fieldNames = [nFields]string{"sequence", "prev_chain", "leaf_hash", "chain_hash", "event_json", "event"}

// separators[i] precedes the value of field i in a canonical record.
var separators = [nFields]string{`{"sequence":`, `,"prev_chain":`, `,"leaf_hash":`, `,"chain_hash":`, `,"event_json":`, `,"event":`}

// record is what one pass over a record line found.
type record struct {
	has    int             // bit i: field i present
	spans  [nFields][2]int // where each field's value lies in the line
	extra  bool            // keys other than the six
	odd    string          // why the hashes are not in canonical form, if they are not
	ejNull bool            // event_json is null
	// event_json's token is canonical: with its content (in w.ej) equal
	// to the event's bytes, it is exactly their encoding
	ejCanonical bool
}

// verifyWorker checks lines with scratch space of its own.
type verifyWorker struct {
	opts   Options
	sc     canon.Scanner
	c      event.Canonicalizer
	ev     []byte // canonical event
	ej     []byte // decoded event_json (lenient mode)
	tmp    []byte
	h      hash.Hash
	domain []byte
	sum    []byte
}

func newVerifyWorker(opts Options) *verifyWorker {
	return &verifyWorker{opts: opts, h: sha256.New(), domain: []byte(eventDomain), sum: make([]byte, 0, sha256.Size)}
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

// check verifies what one line can show on its own.
func (w *verifyWorker) check(line []byte, num int) lineResult {
	r := lineResult{line: num}
	w.strict(line, &r)
	if r.stage != stageOK && w.opts.Lenient && !r.torn {
		lr := lineResult{line: num}
		w.lenient(line, &lr)
		if lr.stage == stageOK {
			lr.lenient = true
		}
		return lr
	}
	return r
}

func (r *lineResult) fail(stage uint8, format string, args ...any) {
	r.stage, r.msg = stage, fmt.Sprintf(format, args...)
}

// failParse records a record that does not parse, telling a torn line
// (the input ended inside it) from a malformed one.
func (r *lineResult) failParse(what string, err error) {
	r.fail(stageParse, "invalid record: %s%v", what, err)
	r.torn = errors.Is(err, io.ErrUnexpectedEOF)
}

// strict checks a line as nono-chain and upstream write it.
func (w *verifyWorker) strict(line []byte, r *lineResult) {
	var rec record
	if !w.scan(line, r, &rec, true) {
		return
	}
	ev := line[rec.spans[fEvent][0]:rec.spans[fEvent][1]]
	switch {
	case !bytes.Equal(w.ev, ev):
		r.fail(stageEvent, "event JSON mismatch: event is not in canonical form")
		return
	case rec.has&(1<<fEventJSON) == 0 || rec.ejNull:
		r.fail(stageEvent, "record has no event_json: not in canonical form")
		return
	case !rec.ejCanonical || !bytes.Equal(w.ej, ev):
		r.fail(stageEvent, "event JSON mismatch: %s", w.explainMismatch(line, &rec))
		return
	}
	if w.checkLeaf(ev, r); r.stage != stageOK {
		return
	}
	if msg := form(line, &rec); msg != "" {
		r.fail(stageEvent, "record is not in canonical form: %s", msg)
		return
	}
	r.unknown = w.c.Unknown()
}

// explainMismatch says how event_json differs from event.
func (w *verifyWorker) explainMismatch(line []byte, rec *record) string {
	var err error
	w.ej, _, err = canon.AppendUnquoted(w.ej[:0], line[rec.spans[fEventJSON][0]:])
	if err != nil {
		return "event_json is not a valid string"
	}
	var s canon.Scanner
	s.Reset(w.ej)
	var c event.Canonicalizer
	if w.tmp, err = c.AppendOpen(w.tmp[:0], &s); err == nil {
		err = s.End()
	}
	if err != nil {
		return fmt.Sprintf("invalid event_json: %v", err)
	}
	if !rec.ejCanonical && bytes.Equal(w.ej, line[rec.spans[fEvent][0]:rec.spans[fEvent][1]]) {
		return "event_json escapes characters the canonical form writes as they are (\\uXXXX for non-ASCII?)"
	}
	return "event_json is not byte for byte the event"
}

// form checks that the record's bytes are exactly the canonical
// serialization of its fields: key order, no whitespace, no other keys,
// lower-case hex.
func form(line []byte, rec *record) string {
	if rec.extra {
		return "keys other than " + fmt.Sprint(fieldNames)
	}
	if rec.has != 1<<nFields-1 {
		for i := range nFields {
			if rec.has&(1<<i) == 0 {
				return fmt.Sprintf("no %s", fieldNames[i])
			}
		}
	}
	p := 0
	for i, sep := range separators {
		start := rec.spans[i][0]
		if start < p || string(line[p:start]) != sep {
			return fmt.Sprintf("byte %d: want %s (key order, spelling or whitespace differ)", p, sep)
		}
		p = rec.spans[i][1]
	}
	if string(line[p:]) != "}" {
		return fmt.Sprintf("byte %d: want the closing brace and nothing after it", p)
	}
	return rec.odd
}

// checkLeaf hashes the event bytes and compares them with the stored leaf.
func (w *verifyWorker) checkLeaf(ev []byte, r *lineResult) {
	w.h.Reset()
	w.h.Write(w.domain)
	w.h.Write(ev)
	w.sum = w.h.Sum(w.sum[:0])
	if !bytes.Equal(w.sum, r.leaf[:]) {
		r.fail(stageEvent, "leaf hash mismatch")
	}
}

// scan reads a record line: its fields into r, where they lie into rec.
// With canonicalize the event is put in canonical form into w.ev as it is
// read; otherwise it is only checked to be JSON. It returns false after
// recording a parse failure.
func (w *verifyWorker) scan(line []byte, r *lineResult, rec *record, canonicalize bool) bool {
	sc := &w.sc
	sc.Reset(line)
	r.prevNull = true
	if err := sc.Object(); err != nil {
		r.failParse("", err)
		return false
	}
	for {
		key, more, err := sc.NextMember()
		if err != nil {
			r.failParse("", err)
			return false
		}
		if !more {
			break
		}
		f := fieldIndex(key)
		if f == fSequence {
			r.sawSequence = true
		}
		if f < 0 {
			rec.extra = true
			continue // NextMember checks and skips the value
		}
		if _, err := sc.Peek(); err != nil {
			r.failParse("", err)
			return false
		}
		start := sc.Offset()
		switch f {
		case fSequence:
			r.seq, err = sc.Uint(64)
		case fPrevChain:
			if k, _ := sc.Peek(); k == canon.Null {
				err = sc.Null()
			} else {
				r.prevNull = false
				r.prev, err = w.hash(rec)
			}
		case fLeaf:
			r.leaf, err = w.hash(rec)
		case fChain:
			r.chain, err = w.hash(rec)
		case fEventJSON:
			if k, _ := sc.Peek(); k == canon.Null {
				rec.ejNull = true // an Option upstream: null reads as absent
				err = sc.Null()
			} else {
				w.ej, rec.ejCanonical, err = sc.AppendStringCanonical(w.ej[:0])
			}
		case fEvent:
			if canonicalize {
				w.ev, err = w.c.AppendOpen(w.ev[:0], sc)
			} else {
				err = sc.Skip()
			}
		}
		if err != nil {
			r.failParse(fieldNames[f]+": ", err)
			return false
		}
		rec.has |= 1 << f
		rec.spans[f] = [2]int{start, sc.Offset()}
	}
	if err := sc.End(); err != nil {
		r.failParse("", err)
		return false
	}
	for _, f := range []int{fSequence, fLeaf, fChain, fEvent} {
		if rec.has&(1<<f) == 0 {
			r.fail(stageParse, "invalid record: missing field %q", fieldNames[f])
			return false
		}
	}
	return true
}

func fieldIndex(key []byte) int {
	for i, n := range fieldNames {
		if string(key) == n {
			return i
		}
	}
	return -1
}

// hash reads a hex digest string. Canonical records hold 64 lower-case
// digits; upper case, or escapes, read the same but are noted in rec.
func (w *verifyWorker) hash(rec *record) (merkle.Hash, error) {
	var h merkle.Hash
	tok, err := w.sc.RawString()
	if err != nil {
		return h, err
	}
	digits := tok[1 : len(tok)-1]
	if bytes.IndexByte(digits, '\\') >= 0 {
		w.tmp, _, _ = canon.AppendUnquoted(w.tmp[:0], tok)
		digits = w.tmp
		if rec.odd == "" {
			rec.odd = "escapes in a hash"
		}
	}
	if len(digits) != 64 {
		return h, fmt.Errorf("expected 64 hex digits, found %d characters", len(digits))
	}
	var bad byte
	d := digits[:64]
	for k := range h {
		hi, lo := unhex[d[2*k]], unhex[d[2*k+1]]
		bad |= hi | lo
		h[k] = hi<<4 | lo&0xf
	}
	if bad&0x80 != 0 {
		return h, errors.New("expected 64 hex digits")
	}
	if bad&0x40 != 0 && rec.odd == "" {
		rec.odd = "upper-case hex in a hash"
	}
	return h, nil
}

// unhex maps a hex digit to its value, with 0x40 set for an upper-case
// one; anything else to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c-'a'+10) | 0x40
	}
	return t
}()

// lenient checks a line as nono-py writes it: any whitespace, key order
// and escapes, hex in either case, an event outside upstream's schema;
// event_json and event must be the same JSON value, and the leaf is the
// hash of the event_json bytes.
func (w *verifyWorker) lenient(line []byte, r *lineResult) {
	var rec record
	if !w.scan(line, r, &rec, false) {
		return
	}
	ev := line[rec.spans[fEvent][0]:rec.spans[fEvent][1]]
	input := w.ej
	if rec.has&(1<<fEventJSON) == 0 || rec.ejNull {
		var s canon.Scanner
		s.Reset(ev)
		var err error
		if w.ev, err = w.c.AppendOpen(w.ev[:0], &s); err != nil {
			r.fail(stageParse, "invalid record: event: %v", err)
			return
		}
		r.missingEventJSON = true
		input = w.ev
	} else if !bytes.Equal(w.ej, ev) && !sameJSON(w.ej, ev) {
		r.fail(stageEvent, "event JSON mismatch: event_json and event differ")
		return
	}
	w.checkLeaf(input, r)
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
