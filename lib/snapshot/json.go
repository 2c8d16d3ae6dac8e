package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
)

// reader reads the manifest and changes files through canon's strict
// streaming Scanner (a manifest of 300,000 files is tens of megabytes; a
// tree of canon.Values for it would be ten times that), and reports
// errors with a line number.
type reader struct {
	s    canon.Scanner
	data []byte
}

func newReader(data []byte) *reader {
	r := &reader{data: data}
	r.s.SetLimits(canon.Limits{MaxSize: maxDocument})
	r.s.Reset(data)
	return r
}

// SyntaxError is a malformed manifest or changes file.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// errorf records a shape error at the current position.
func (r *reader) errorf(format string, args ...any) error {
	return r.located(r.s.Errorf(format, args...))
}

// located turns the scanner's byte offsets into line numbers.
func (r *reader) located(err error) error {
	if err == nil {
		return nil
	}
	var se *canon.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	line, _ := canon.LineCol(r.data, se.Offset)
	return &SyntaxError{Line: line, Msg: se.Msg}
}

func (r *reader) end() error { return r.located(r.s.End()) }

func (r *reader) str() (string, error) {
	b, err := r.s.String()
	return string(b), r.located(err)
}

// strBytes reads a string; the bytes alias the document or a buffer
// reused by the next string read.
func (r *reader) strBytes() ([]byte, error) {
	b, err := r.s.String()
	return b, r.located(err)
}

func (r *reader) null() bool {
	if k, err := r.s.Peek(); err == nil && k == canon.Null {
		return r.s.Null() == nil
	}
	return false
}

func (r *reader) boolean() (bool, error) {
	b, err := r.s.Bool()
	return b, r.located(err)
}

func (r *reader) uint(max uint64) (uint64, error) {
	v, err := r.s.Uint(64)
	if err == nil && v > max {
		return 0, r.errorf("want a non-negative integer up to %d", max)
	}
	return v, r.located(err)
}

func (r *reader) int() (int64, error) {
	v, err := r.s.Int(64)
	return v, r.located(err)
}

// object calls member for every key of an object; the scanner refuses
// duplicate keys.
func (r *reader) object(member func(key string) error) error {
	return r.objectRaw(func(key []byte) error { return member(string(key)) })
}

// objectRaw is object with the key as bytes (valid only during the
// call), so hot paths can switch on it without allocating.
func (r *reader) objectRaw(member func(key []byte) error) error {
	if err := r.s.Object(); err != nil {
		return r.located(err)
	}
	for {
		key, ok, err := r.s.NextMember()
		if err != nil || !ok {
			return r.located(err)
		}
		if err := member(key); err != nil {
			return err
		}
	}
}

// array calls elem for every element of an array.
func (r *reader) array(elem func() error) error {
	if err := r.s.Array(); err != nil {
		return r.located(err)
	}
	for {
		ok, err := r.s.NextElement()
		if err != nil || !ok {
			return r.located(err)
		}
		if err := elem(); err != nil {
			return err
		}
	}
}

// skip checks and passes over one value of any type (unknown keys are
// kept for forward compatibility, but must still be valid JSON).
func (r *reader) skip() error { return r.located(r.s.Skip()) }

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
