package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/ndjson"
	"github.com/nono-audit/nono/lib/session"
)

// duplicateError refuses to commit a session a second time with a
// different digest: its session.json changed after it was recorded.
type duplicateError struct {
	Path      string
	SessionID string
	Sequence  uint64 // of the record already in the ledger
}

func (e *duplicateError) Error() string {
	return fmt.Sprintf("session %s is already in the ledger %s (sequence %d) with a different digest: its session.json changed after it was recorded, and the ledger keeps the first record", e.SessionID, e.Path, e.Sequence)
}

// Verdict reports true: the session changed after it was recorded (exit
// status 1, lib/cli).
func (e *duplicateError) Verdict() bool { return true }

// Append adds a record committing to s to the ledger of auditRoot, waiting
// at most wait for the ledger lock, and returns it.
//
// It reads only the ledger's last line (backwards from the end), checks
// that it parses and that its chain hash matches its fields, links the new
// record to it and writes the new line with one write, then fdatasyncs.
// A damaged last line is a *damagedError and nothing is written: the
// session stays recorded in its directory, and can be appended again once
// `nono audit ledger repair` has moved the damage aside.
//
// A session already in the ledger with the same digest is not added again
// (the existing record is returned); with a different digest Append
// refuses (*duplicateError). Upstream appends both, and since verifiers
// look at the last record of a session, re-appending would let an edited
// session.json pass as the one recorded.
func Append(auditRoot string, s *session.Session, wait time.Duration) (*Record, error) {
	if err := validateID(s.SessionID); err != nil {
		return nil, err
	}
	if _, err := SessionDigest(s); err != nil { // fail before taking the lock
		return nil, err
	}
	if err := session.EnsureRoot(auditRoot); err != nil {
		return nil, err
	}
	release, err := lockFile(auditRoot, true, true, wait)
	if err != nil {
		return nil, err
	}
	defer release()

	path := filepath.Join(auditRoot, FileName)
	_, statErr := os.Lstat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat ledger %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("ledger %s is not a regular file", path)
	}
	size := st.Size()

	last, unterminated, err := lastRecord(f, path, size)
	if err != nil {
		return nil, err
	}
	rec, err := newRecord(last, s)
	if err != nil {
		return nil, err
	}
	existing, err := findSession(f, path, size, s.SessionID)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		if existing.SessionDigest == rec.SessionDigest {
			return existing, nil
		}
		return nil, &duplicateError{Path: path, SessionID: s.SessionID, Sequence: existing.Sequence}
	}

	var line []byte
	if unterminated { // a whole record without its newline: finish that line first
		line = append(line, '\n')
	}
	line = append(line, rec.Encode()...)
	line = append(line, '\n')
	if n, err := f.Write(line); err != nil || n != len(line) {
		if err == nil {
			err = io.ErrShortWrite
		}
		f.Truncate(size) // never leave a partial line behind
		return nil, fmt.Errorf("write ledger %s: %w", path, err)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return nil, fmt.Errorf("sync ledger %s: %w", path, err)
	}
	if created {
		if err := atomicfile.SyncDir(auditRoot); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// maxTail bounds how far back lastRecord looks for the last line.
const maxTail = 1 << 20

// lastRecord returns the ledger's last record (nil when it has none),
// reading backwards from the end in growing windows. unterminated reports
// a last record whose newline is missing (upstream writes the line and its
// newline with two calls, so a crash can leave that): it is accepted, as
// upstream's reader accepts it, and the next write finishes the line.
func lastRecord(f *os.File, path string, size int64) (rec *Record, unterminated bool, err error) {
	for window := int64(4096); ; window *= 4 {
		window = min(window, size)
		buf := make([]byte, window)
		if _, err := f.ReadAt(buf, size-window); err != nil && err != io.EOF {
			return nil, false, fmt.Errorf("read ledger %s: %w", path, err)
		}
		whole := window == size // buf starts at the start of the file
		// Lines are buf[i+1:j] between newlines; the last one may have none.
		j := len(buf)
		for {
			i := bytes.LastIndexByte(buf[:j], '\n')
			if i < 0 && !whole {
				break // the line may start before the window
			}
			line := buf[i+1 : j]
			if len(bytes.TrimSpace(line)) > 0 {
				off := size - window + int64(i+1)
				rec, err := ParseRecord(line)
				if err == nil {
					err = rec.Check()
				}
				if err != nil {
					return nil, false, damaged(f, path, off, err.Error())
				}
				return rec, buf[len(buf)-1] != '\n', nil
			}
			if i < 0 {
				return nil, false, nil // only blank lines
			}
			j = i
		}
		if window >= maxTail {
			return nil, false, damaged(f, path, size, fmt.Sprintf("no complete record in the last %d bytes", window))
		}
	}
}

// damaged builds a *damagedError for the line starting at byte off,
// counting newlines to name it; only failures pay for the count.
func damaged(f *os.File, path string, off int64, reason string) error {
	line := 1
	buf := make([]byte, 64<<10)
	for pos := int64(0); pos < off; {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), off-pos)], pos)
		line += bytes.Count(buf[:n], []byte{'\n'})
		pos += int64(n)
		if err != nil {
			break
		}
	}
	return &damagedError{Path: path, Line: line, Reason: reason}
}

// findSession returns the last record of sessionID in the first size
// bytes of the ledger, or nil. It parses only lines that contain the id
// in quotes, so the scan runs at the speed of a byte search.
func findSession(f *os.File, path string, size int64, sessionID string) (*Record, error) {
	needle := []byte(`"` + sessionID + `"`)
	r := ndjson.NewReader(io.NewSectionReader(f, 0, size))
	var found *Record
	for {
		line, err := r.Next()
		if err == io.EOF {
			return found, nil
		}
		if err != nil && !errors.Is(err, ndjson.ErrTruncated) {
			var le *ndjson.Error
			if errors.As(err, &le) && errors.Is(err, ndjson.ErrTooLong) {
				return nil, &damagedError{Path: path, Line: le.Line, Reason: "line too long"}
			}
			return nil, fmt.Errorf("read ledger %s: %w", path, err)
		}
		if bytes.Contains(line, needle) {
			if rec, perr := ParseRecord(line); perr == nil && rec.SessionID == sessionID {
				found = rec
			}
		}
		if err != nil { // the unterminated last line
			return found, nil
		}
	}
}
