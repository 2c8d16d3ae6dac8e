package chain

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Tee writes records to a log file first and then to a downstream reader
// (a summariser at the end of a pipeline). The log is the record: it keeps
// receiving every record even after the downstream reader has gone away,
// and that failure is reported only once the input is drained.
type Tee struct {
	log    *os.File
	size   int64 // bytes of whole records in the log
	out    io.Writer
	outErr error
}

// OpenTee opens (creating it 0600 if needed) the log at path for appending;
// records also go to out.
func OpenTee(path string, out io.Writer) (*Tee, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open the log: %w", err)
	}
	return &Tee{log: f, size: st.Size(), out: out}, nil
}

// Write appends p (whole records) to the log in one call, then to out. A
// failed write (a full disk) is cut back off the log, so it never ends in
// part of a record.
func (t *Tee) Write(p []byte) (int, error) {
	if n, err := t.log.Write(p); err != nil {
		if n > 0 {
			t.log.Truncate(t.size)
		}
		return 0, fmt.Errorf("%s: %w", t.log.Name(), err)
	}
	t.size += int64(len(p))
	if t.outErr == nil {
		if _, err := t.out.Write(p); err != nil {
			t.outErr = err
		}
	}
	return len(p), nil
}

// Close makes the log durable and closes it. It reports a failure of the
// downstream writer, after the log itself is safe.
func (t *Tee) Close() error {
	err := t.log.Sync()
	if cerr := t.log.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", t.log.Name(), err)
	}
	if t.outErr != nil {
		return fmt.Errorf("the log is complete, but its downstream reader failed: %w", t.outErr)
	}
	return nil
}

// ErrStreamMismatch means a log file and the stream that claims to be it
// differ.
var ErrStreamMismatch error = &MismatchError{Msg: "the log file differs from the records streamed"}

// VerifyTeed verifies the records streamed on r, which a Tee also wrote to
// the log file at logPath, and checks that the file holds exactly the
// bytes streamed, so that a summary of the stream is a summary of the
// file without reading it again.
func VerifyTeed(r io.Reader, logPath string, opts Options) (*Result, error) {
	cr := &countingReader{r: r}
	res, err := Verify(cr, opts)
	if err != nil {
		return nil, err
	}
	st, err := os.Lstat(logPath)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() != cr.n {
		return nil, fmt.Errorf("%w: %s holds %d bytes, %d were streamed", ErrStreamMismatch, logPath, st.Size(), cr.n)
	}
	return res, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
