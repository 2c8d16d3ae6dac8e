package snapshot

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
)

// reader is a strict pull parser for the manifest and changes files. It
// reads the document in place (a manifest of 300,000 files is tens of
// megabytes; a tree of canon.Values for it would be ten times that),
// rejects what canon.Parse rejects (invalid UTF-8, lone surrogates,
// duplicate keys, trailing data) and reports errors with a line number.
type reader struct {
	data []byte
	pos  int
}

// maxSkipDepth bounds the nesting of unknown values skipped for forward
// compatibility.
const maxSkipDepth = 64

// SyntaxError is a malformed manifest or changes file.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func (r *reader) errorf(format string, args ...any) error {
	at := min(r.pos, len(r.data))
	return &SyntaxError{Line: 1 + bytes.Count(r.data[:at], []byte{'\n'}), Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) ws() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *reader) peek() byte {
	r.ws()
	if r.pos >= len(r.data) {
		return 0
	}
	return r.data[r.pos]
}

func (r *reader) expect(c byte) error {
	if r.peek() != c {
		if r.pos >= len(r.data) {
			return r.errorf("unexpected end of file, want %q", c)
		}
		return r.errorf("want %q, found %q", c, r.data[r.pos])
	}
	r.pos++
	return nil
}

func (r *reader) end() error {
	r.ws()
	if r.pos != len(r.data) {
		return r.errorf("trailing data after the document")
	}
	return nil
}

func (r *reader) str() (string, error) {
	if r.peek() != '"' {
		return "", r.errorf("want a string")
	}
	s, n, err := canon.UnquoteAt(r.data[r.pos:])
	if err != nil {
		return "", r.errorf("%v", err)
	}
	r.pos += n
	return s, nil
}

func (r *reader) null() bool {
	if r.peek() == 'n' && bytes.HasPrefix(r.data[r.pos:], []byte("null")) {
		r.pos += 4
		return true
	}
	return false
}

func (r *reader) boolean() (bool, error) {
	r.ws()
	switch {
	case bytes.HasPrefix(r.data[r.pos:], []byte("true")):
		r.pos += 4
		return true, nil
	case bytes.HasPrefix(r.data[r.pos:], []byte("false")):
		r.pos += 5
		return false, nil
	}
	return false, r.errorf("want true or false")
}

// integer reads a JSON number that must be an integer in plain decimal,
// returning its sign and digits (a slice of the document).
func (r *reader) integer() (neg bool, digits []byte, err error) {
	r.ws()
	n, err := canon.ScanNumber(r.data[r.pos:])
	if err != nil {
		return false, nil, r.errorf("want a number: %v", err)
	}
	lit := r.data[r.pos : r.pos+n]
	if bytes.ContainsAny(lit, ".eE") {
		return false, nil, r.errorf("want an integer, found %s", lit)
	}
	r.pos += n
	if lit[0] == '-' {
		return true, lit[1:], nil
	}
	return false, lit, nil
}

// magnitude is the value of decimal digits; ok is false past 2^64-1.
func magnitude(digits []byte) (v uint64, ok bool) {
	for _, c := range digits {
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

func (r *reader) uint(max uint64) (uint64, error) {
	neg, digits, err := r.integer()
	if err != nil {
		return 0, err
	}
	v, ok := magnitude(digits)
	if neg && v != 0 || !ok || v > max {
		return 0, r.errorf("want a non-negative integer up to %d", max)
	}
	return v, nil
}

func (r *reader) int() (int64, error) {
	neg, digits, err := r.integer()
	if err != nil {
		return 0, err
	}
	v, ok := magnitude(digits)
	switch {
	case !ok, !neg && v > 1<<63-1, neg && v > 1<<63:
		return 0, r.errorf("want a 64-bit integer")
	case neg:
		return -int64(v), nil
	}
	return int64(v), nil
}

// object calls member for every key of an object; duplicate keys are
// errors.
func (r *reader) object(member func(key string) error) error {
	return r.objectRaw(func(key []byte) error { return member(string(key)) })
}

// objectRaw is object with the key as bytes (valid only during the
// call), so hot paths can switch on it without allocating.
func (r *reader) objectRaw(member func(key []byte) error) error {
	if err := r.expect('{'); err != nil {
		return err
	}
	if r.peek() == '}' {
		r.pos++
		return nil
	}
	// Most objects have a handful of keys: a slice is cheaper than a map
	// until it is not.
	var fewArr [16][]byte
	few := fewArr[:0]
	var many map[string]bool
	for {
		key, err := r.strBytes()
		if err != nil {
			return err
		}
		if many != nil {
			if many[string(key)] {
				return r.errorf("duplicate key %q", key)
			}
			many[string(key)] = true
		} else {
			for _, k := range few {
				if bytes.Equal(k, key) {
					return r.errorf("duplicate key %q", key)
				}
			}
			few = append(few, key)
			if len(few) > 16 {
				many = make(map[string]bool, 64)
				for _, k := range few {
					many[string(k)] = true
				}
			}
		}
		if err := r.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.pos++
		case '}':
			r.pos++
			return nil
		default:
			return r.errorf("want ',' or '}' in object")
		}
	}
}

// strBytes reads a string. A plain ASCII string without escapes comes
// back as a slice of the document (no copy); anything else is decoded
// and validated by canon.
func (r *reader) strBytes() ([]byte, error) {
	if r.peek() != '"' {
		return nil, r.errorf("want a string")
	}
	for i := r.pos + 1; i < len(r.data); i++ {
		c := r.data[i]
		if c == '"' {
			b := r.data[r.pos+1 : i]
			r.pos = i + 1
			return b, nil
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	s, err := r.str()
	return []byte(s), err
}

// array calls elem for every element of an array.
func (r *reader) array(elem func() error) error {
	if err := r.expect('['); err != nil {
		return err
	}
	if r.peek() == ']' {
		r.pos++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.pos++
		case ']':
			r.pos++
			return nil
		default:
			return r.errorf("want ',' or ']' in array")
		}
	}
}

// skip checks and passes over one value of any type (unknown keys are
// kept for forward compatibility, but must still be valid JSON).
func (r *reader) skip(depth int) error {
	if depth > maxSkipDepth {
		return r.errorf("nesting deeper than %d", maxSkipDepth)
	}
	switch c := r.peek(); {
	case c == '{':
		return r.object(func(string) error { return r.skip(depth + 1) })
	case c == '[':
		return r.array(func() error { return r.skip(depth + 1) })
	case c == '"':
		_, err := r.str()
		return err
	case c == 't' || c == 'f':
		_, err := r.boolean()
		return err
	case c == 'n':
		if !r.null() {
			return r.errorf("invalid literal")
		}
		return nil
	default:
		n, err := canon.ScanNumber(r.data[r.pos:])
		if err != nil {
			return r.errorf("invalid value: %v", err)
		}
		r.pos += n
		return nil
	}
}

func (r *reader) stringList() ([]string, error) {
	var out []string
	err := r.array(func() error {
		s, err := r.str()
		out = append(out, s)
		return err
	})
	return out, err
}

// prettyAt appends v in the pretty form as it appears nested depth levels
// deep: canon's pretty output with every line break indented further.
// JSON strings never hold a raw newline, so this is exact.
func prettyAt(dst []byte, v canon.Value, depth int) []byte {
	start := len(dst)
	dst = canon.AppendPretty(dst, v)
	if depth == 0 || bytes.IndexByte(dst[start:], '\n') < 0 {
		return dst
	}
	indent := "\n" + strings.Repeat("  ", depth)
	out := bytes.ReplaceAll(dst[start:], []byte("\n"), []byte(indent))
	return append(dst[:start], out...)
}

// objectWriter writes a pretty JSON object member by member, so a large
// map never has to exist as one canon.Value.
type objectWriter struct {
	buf   []byte
	depth int
	n     int
}

func (w *objectWriter) begin() { w.buf = append(w.buf, '{') }

func (w *objectWriter) key(k string) {
	if w.n > 0 {
		w.buf = append(w.buf, ',')
	}
	w.n++
	w.buf = append(w.buf, '\n')
	for range w.depth + 1 {
		w.buf = append(w.buf, ' ', ' ')
	}
	w.buf = canon.AppendString(w.buf, k)
	w.buf = append(w.buf, ':', ' ')
}

func (w *objectWriter) value(k string, v canon.Value) {
	w.key(k)
	w.buf = prettyAt(w.buf, v, w.depth+1)
}

func (w *objectWriter) end() {
	if w.n == 0 {
		w.buf = append(w.buf, '}')
		return
	}
	w.buf = append(w.buf, '\n')
	for range w.depth {
		w.buf = append(w.buf, ' ', ' ')
	}
	w.buf = append(w.buf, '}')
}

// nested starts an object as the value of key k.
func (w *objectWriter) nested(k string) *objectWriter {
	w.key(k)
	sub := &objectWriter{buf: w.buf, depth: w.depth + 1}
	sub.begin()
	return sub
}

// close ends a nested object and takes its bytes back.
func (w *objectWriter) close(sub *objectWriter) {
	sub.end()
	w.buf = sub.buf
}
