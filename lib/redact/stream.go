package redact

import (
	"errors"
	"fmt"
	"io"

	"github.com/nono-audit/nono/lib/ndjson"
)

// flushSize is how much output is gathered before it is written.
const flushSize = 256 << 10

// Stream copies NDJSON from r to w, scrubbing each line with line (Events.
// Line or Events.ArgvLine). Output is written in whole lines only, and
// whatever is pending is written before each read of r, so a reader of w
// sees every line as soon as the input pauses (a live tail -f), while a
// file streams in large writes. A bad line stops the copy with an error
// naming its line number, after every earlier line has been written.
// A final line without a newline is scrubbed and ended with one when it
// is complete JSON; otherwise it is an error.
func Stream(r io.Reader, w io.Writer, line func(dst, line []byte) ([]byte, error)) error {
	lw := &lineWriter{w: w, buf: make([]byte, 0, flushSize+64<<10)}
	in := ndjson.NewReader(&flushBeforeRead{r: r, w: lw})
	for {
		raw, err := in.Next()
		if err == io.EOF {
			break
		}
		truncated := errors.Is(err, ndjson.ErrTruncated)
		if err != nil && !truncated {
			if lw.err != nil {
				return fmt.Errorf("writing output: %w", lw.err)
			}
			lw.flush()
			return err
		}
		n := len(lw.buf)
		out, lerr := line(lw.buf, raw)
		if lerr != nil {
			lw.buf = lw.buf[:n]
			if err := lw.flush(); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			if truncated {
				return err
			}
			return fmt.Errorf("line %d: %w", in.Line(), lerr)
		}
		lw.buf = append(out, '\n')
		if len(lw.buf) >= flushSize {
			if err := lw.flush(); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		}
		if truncated {
			break
		}
	}
	if err := lw.flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// lineWriter gathers whole lines and writes them in one call.
type lineWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (lw *lineWriter) flush() error {
	if lw.err != nil {
		return lw.err
	}
	if len(lw.buf) == 0 {
		return nil
	}
	_, lw.err = lw.w.Write(lw.buf)
	lw.buf = lw.buf[:0]
	return lw.err
}

// flushBeforeRead writes the pending output before each read of the
// input: the read may block, and the lines already scrubbed must not wait
// behind it.
type flushBeforeRead struct {
	r io.Reader
	w *lineWriter
}

func (f *flushBeforeRead) Read(p []byte) (int, error) {
	if err := f.w.flush(); err != nil {
		return 0, err
	}
	return f.r.Read(p)
}
