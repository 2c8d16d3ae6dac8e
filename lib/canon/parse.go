package canon

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxDepth bounds nesting, as serde_json's recursion limit does, so hostile
// input cannot exhaust the stack.
const maxDepth = 128

// SyntaxError describes input that is not what was asked for: malformed
// JSON, or a value of the wrong type or range. Offset is the 0-based byte
// offset in the document. Input that ends too early (a prefix of a JSON
// text, such as a torn last line) matches io.ErrUnexpectedEOF.
type SyntaxError struct {
	Offset int
	Msg    string
	eof    bool
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.Msg, e.Offset) }

// Unwrap is io.ErrUnexpectedEOF for input that ended too early.
func (e *SyntaxError) Unwrap() error {
	if e.eof {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// Parse parses exactly one JSON value (surrounding whitespace allowed)
// into a tree, with the Scanner's checks and default limits: duplicate
// object keys, invalid UTF-8, lone surrogate escapes and numbers out of the
// float64 range are errors. Numbers are kept as canonical text the way
// serde_json re-serialises them: integers that fit in u64 (or i64 when
// negative) in plain decimal, anything else as an f64 in the shortest
// round-trip form (`1.5`, `100.0`, `1e21`, `-0.0`).
func Parse(data []byte) (Value, error) {
	var s Scanner
	s.Reset(data)
	v, err := s.Value()
	if err == nil {
		err = s.End()
	}
	if err != nil {
		return Value{}, err
	}
	return v, nil
}

// ScanNumber returns the length of the JSON number at the start of data.
// On error it returns the offset where the number went wrong.
func ScanNumber(data []byte) (int, error) {
	i := 0
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	default:
		return i, errors.New("invalid number")
	}
	if i < len(data) && data[i] == '.' {
		i++
		d := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == d {
			return i, errors.New("invalid number: no digits after '.'")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		d := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == d {
			return i, errors.New("invalid number: no digits in exponent")
		}
	}
	return i, nil
}

// canonicalNumber maps a JSON number literal to the text serde_json writes
// after parsing it: u64/i64 integers stay decimal; everything else is an
// f64 formatted as Rust's ryu does.
func canonicalNumber(lit string) (string, error) {
	if !strings.ContainsAny(lit, ".eE") {
		if lit[0] != '-' {
			if _, err := strconv.ParseUint(lit, 10, 64); err == nil {
				return lit, nil
			}
		} else if lit != "-0" {
			if _, err := strconv.ParseInt(lit, 10, 64); err == nil {
				return lit, nil
			}
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return "", fmt.Errorf("number out of range: %s", lit)
	}
	return formatFloat(f), nil
}

// formatFloat formats f as serde_json (ryu) does: the shortest digits that
// round-trip, positional notation while the decimal point falls within 16
// digits (`100.0`, `0.001`), scientific otherwise (`1e21`, `1.5e-7`).
func formatFloat(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	// 'e' with precision -1 gives the shortest round-trip digits: d.ddde±XX.
	s := strconv.FormatFloat(f, 'e', -1, 64)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	length := len(digits)
	kk := exp + 1 // position of the decimal point relative to the digits
	var out strings.Builder
	if neg {
		out.WriteByte('-')
	}
	switch {
	case length <= kk && kk <= 16:
		out.WriteString(digits)
		out.WriteString(strings.Repeat("0", kk-length))
		out.WriteString(".0")
	case 0 < kk && kk <= 16:
		out.WriteString(digits[:kk])
		out.WriteByte('.')
		out.WriteString(digits[kk:])
	case -5 < kk && kk <= 0:
		out.WriteString("0.")
		out.WriteString(strings.Repeat("0", -kk))
		out.WriteString(digits)
	case length == 1:
		out.WriteString(digits)
		out.WriteByte('e')
		out.WriteString(strconv.Itoa(kk - 1))
	default:
		out.WriteString(digits[:1])
		out.WriteByte('.')
		out.WriteString(digits[1:])
		out.WriteByte('e')
		out.WriteString(strconv.Itoa(kk - 1))
	}
	return out.String()
}
