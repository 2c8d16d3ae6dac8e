package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tidwall/gjson"

	"github.com/nono-audit/nono/lib/ndjson"
)

// edgeEventTypes returns the event types of the first and the last record
// of the log at path, reading only its two ends.
func edgeEventTypes(path string) (first, last string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	line, err := ndjson.NewReader(f).Next()
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", path, err)
	}
	first = recordType(line)
	fi, err := f.Stat()
	if err != nil {
		return "", "", err
	}
	line, err = lastLine(f, fi.Size(), ndjson.DefaultMaxLine)
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", path, err)
	}
	return first, recordType(line), nil
}

// recordType is the event type of one record line (from "event", else
// from "event_json").
func recordType(line []byte) string {
	if t := gjson.GetBytes(line, "event.type"); t.Type == gjson.String {
		return t.Str
	}
	if ej := gjson.GetBytes(line, "event_json"); ej.Type == gjson.String {
		return gjson.Get(ej.Str, "type").String()
	}
	return ""
}

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
				return nil, errors.New("no records")
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
