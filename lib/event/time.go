package event

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FormatTime formats t as upstream writes `started`, `ended` and the ledger's
// `completed_at`: RFC 3339 in t's zone with a numeric offset (never `Z`) and
// a fraction of 0, 3, 6 or 9 digits, just enough for the non-zero part.
func FormatTime(t time.Time) string {
	b := make([]byte, 0, 40)
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if ns := t.Nanosecond(); ns != 0 {
		var frac string
		switch {
		case ns%1_000_000 == 0:
			frac = fmt.Sprintf(".%03d", ns/1_000_000)
		case ns%1_000 == 0:
			frac = fmt.Sprintf(".%06d", ns/1_000)
		default:
			frac = fmt.Sprintf(".%09d", ns)
		}
		b = append(b, frac...)
	}
	return string(t.AppendFormat(b, "-07:00"))
}

// ParseTime reads a recorded timestamp: RFC 3339 (any fraction, `Z` or an
// offset) or, as old sessions hold, decimal epoch seconds.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return time.Unix(secs, 0), nil
	}
	return time.Time{}, fmt.Errorf("invalid timestamp %q: want RFC 3339 or epoch seconds", s)
}
