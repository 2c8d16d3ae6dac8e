package session

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ndjson"
)

// recordingStatus checks the event log of a session whose session.json
// says it ended: Completed when the log ends with session_ended,
// Incomplete (and why) when the recording stopped early, Damaged when
// there is no log to read.
func recordingStatus(dir string) (Status, error) {
	path := filepath.Join(dir, EventsFileName)
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return Damaged, fmt.Errorf("the event log %s is missing", EventsFileName)
	}
	if err != nil {
		return Damaged, fmt.Errorf("read the event log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Damaged, fmt.Errorf("read the event log: %w", err)
	}
	line, err := lastLine(f, fi.Size(), ndjson.DefaultMaxLine)
	switch {
	case err != nil && fi.Size() == 0 || errors.Is(err, errNoRecords):
		return Incomplete, errors.New("the event log holds no records: the recording stopped before its first event")
	case err != nil:
		return Damaged, fmt.Errorf("read the event log: %w", err)
	}
	switch t := recordType(line); t {
	case "session_ended":
		return Completed, nil
	case "":
		return Incomplete, errors.New("the event log ends in a line that is not a whole record: the recording stopped early")
	default:
		return Incomplete, fmt.Errorf("the event log ends with %q, not session_ended: the recording stopped early", t)
	}
}

// recordType is the event type of one record line (from "event", else
// from "event_json"); "" when the line is not a record with one.
func recordType(line []byte) string {
	rec, err := canon.Parse(line)
	if err != nil {
		return ""
	}
	if ev, ok := rec.Get("event"); ok && ev.Kind == canon.Object {
		return stringField(ev, "type")
	}
	if ej, ok := rec.Get("event_json"); ok && ej.Kind == canon.String {
		if ev, err := canon.Parse([]byte(ej.Str)); err == nil {
			return stringField(ev, "type")
		}
	}
	return ""
}

func stringField(v canon.Value, key string) string {
	if f, ok := v.Get(key); ok && f.Kind == canon.String {
		return f.Str
	}
	return ""
}

// errNoRecords is a log with nothing but blank lines.
var errNoRecords = errors.New("no records")

// lastLine returns the last non-blank line of the first size bytes of r,
// reading backwards in blocks; a line longer than max is an error.
func lastLine(r io.ReaderAt, size int64, max int) ([]byte, error) {
	const block = 64 << 10
	var tail []byte // the bytes from some offset to size
	end := -1       // index in tail just past the line's last non-blank byte
	for off := size; ; {
		if end >= 0 {
			if i := bytes.LastIndexByte(tail[:end], '\n'); i >= 0 {
				return tail[i+1 : end], nil
			}
		}
		if off == 0 {
			if end < 0 {
				return nil, errNoRecords
			}
			return tail[:end], nil
		}
		if end >= 0 && end > max {
			return nil, ndjson.ErrTooLong
		}
		n := int64(block)
		if off < n {
			n = off
		}
		off -= n
		buf := make([]byte, n, int(n)+len(tail))
		if _, err := r.ReadAt(buf, off); err != nil {
			return nil, err
		}
		tail = append(buf, tail...)
		if end >= 0 {
			end += int(n)
		} else if trimmed := len(bytes.TrimRight(tail, " \t\r\n")); trimmed > 0 {
			end = trimmed
		}
	}
}

// Recorded reports whether the session s in dir was recorded to the end:
// session.json says it ended and the event log ends with session_ended.
// The error says what is missing. A session that fails it is not added
// to the ledger automatically: its recording failed (a stage killed, a
// disk full), and only a user who knows that adds it by hand.
func Recorded(dir string, s *Session) error {
	if s.Ended == nil {
		return errors.New("session.json has no end (ended is null): the supervisor stopped before the command's end was recorded")
	}
	if status, err := recordingStatus(dir); status != Completed {
		return err
	}
	return nil
}
