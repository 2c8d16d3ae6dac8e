// Package ndjson reads newline-delimited JSON streams one line at a time,
// in bounded memory, with 1-based physical line numbers for every error.
//
// It does not parse JSON: callers get each line's bytes. Whitespace-only
// lines are skipped (but counted). A last line without its newline is
// returned together with ErrTruncated: a writer that crashed mid-record
// leaves exactly that, and callers decide whether it is fatal.
package ndjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLine is the default limit on one line, newline excluded.
const DefaultMaxLine = 16 << 20

var (
	// ErrTooLong means a line exceeds the reader's limit.
	ErrTooLong = errors.New("line too long")
	// ErrTruncated means the input ended inside a line (no final newline).
	ErrTruncated = errors.New("truncated final record (no newline at end of input)")
)

// Error attaches a physical line number to a reading error.
type Error struct {
	Line int
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Reader yields the lines of an NDJSON stream.
type Reader struct {
	r          io.Reader
	buf        []byte
	start, end int // unread bytes are buf[start:end]
	line       int // physical number of the last line returned
	max        int
	eof        bool
	err        error // sticky read error
}

// readSize is the buffer a Reader starts with: a pipe's capacity, so one
// read can drain a full pipe. Every page of it that a read fills costs a
// page fault in a short-lived tool (a 256 KiB buffer costs 64 reading a
// large ledger to append one record), while reads of 64 KiB keep the
// system calls rare next to the parsing. Longer lines grow it.
const readSize = 64 << 10

// NewReader reads from r with the default line limit.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, max: DefaultMaxLine, buf: make([]byte, readSize)}
}

// SetMaxLine sets the longest line accepted, in bytes, newline excluded.
func (r *Reader) SetMaxLine(n int) { r.max = n }

// Line is the 1-based physical line number of the line last returned.
func (r *Reader) Line() int { return r.line }

// Next returns the next non-blank line without its newline. The slice is
// only valid until the following call. At the end of input it returns
// io.EOF; a final line without a newline comes with an *Error wrapping
// ErrTruncated. Errors are sticky.
func (r *Reader) Next() ([]byte, error) {
	for {
		line, err := r.next()
		if err != nil {
			return line, err
		}
		if len(bytes.TrimSpace(line)) > 0 {
			return line, nil
		}
	}
}

func (r *Reader) next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	scanned := 0 // bytes of buf[start:end] already known to hold no newline
	for {
		if i := bytes.IndexByte(r.buf[r.start+scanned:r.end], '\n'); i >= 0 {
			n := scanned + i
			r.line++
			if n > r.max {
				r.err = &Error{Line: r.line, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLong, r.max)}
				return nil, r.err
			}
			line := r.buf[r.start : r.start+n]
			r.start += n + 1
			return line, nil
		}
		scanned = r.end - r.start
		if scanned > r.max {
			r.line++
			r.err = &Error{Line: r.line, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLong, r.max)}
			return nil, r.err
		}
		if r.eof {
			if scanned == 0 {
				r.err = io.EOF
				return nil, io.EOF
			}
			r.line++
			line := r.buf[r.start:r.end]
			r.start = r.end
			if len(bytes.TrimSpace(line)) == 0 {
				r.err = io.EOF
				return nil, io.EOF
			}
			r.err = &Error{Line: r.line, Err: ErrTruncated}
			return line, r.err
		}
		r.fill()
	}
}

// fill reads more input, first making room by moving unread bytes to the
// front or growing the buffer (up to the line limit plus one read).
func (r *Reader) fill() {
	if r.start > 0 {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end = 0, n
	}
	if r.end == len(r.buf) {
		grown := make([]byte, 2*len(r.buf))
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
	n, err := r.r.Read(r.buf[r.end:])
	r.end += n
	if err == io.EOF {
		r.eof = true
	} else if err != nil {
		r.err = &Error{Line: r.line + 1, Err: err}
		r.eof = true
	}
}
