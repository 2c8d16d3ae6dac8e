package dsse

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// DecodeKeyText decodes base64 key material the way upstream reads key
// files, environment secrets, .pub files and session.json public keys:
// trailing whitespace and `=` padding are dropped, whitespace anywhere is
// skipped, and the standard and URL-safe alphabets may be mixed (`+` and
// `-` are 62, `/` and `_` are 63).
//
// Unlike upstream it rejects a final group that leaves bits over (a lone
// character, or non-zero padding bits), so each byte string has exactly
// one accepted text per alphabet choice and a truncated key cannot be
// silently shortened.
func DecodeKeyText(s string) ([]byte, error) {
	s = strings.TrimRight(s, " \t\r\n\v\f")
	s = strings.TrimRight(s, "=")
	out := make([]byte, 0, len(s)*3/4)
	var acc uint32 // bits collected, most significant first
	n := 0         // number of 6-bit groups in acc
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+' || c == '-':
			v = 62
		case c == '/' || c == '_':
			v = 63
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f':
			continue
		default:
			return nil, fmt.Errorf("invalid base64 character: %s", quoteByte(s, i))
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	switch n {
	case 1:
		return nil, errors.New("invalid base64 length: a final group of one character")
	case 2: // 12 bits: one byte and 4 spare bits
		if acc&0xf != 0 {
			return nil, errors.New("invalid base64: non-zero trailing bits")
		}
		out = append(out, byte(acc>>4))
	case 3: // 18 bits: two bytes and 2 spare bits
		if acc&0x3 != 0 {
			return nil, errors.New("invalid base64: non-zero trailing bits")
		}
		out = append(out, byte(acc>>10), byte(acc>>2))
	}
	return out, nil
}

// quoteByte shows the character at s[i] the way upstream names it
// ('c'), falling back to an escape for bytes that are not printable ASCII.
func quoteByte(s string, i int) string {
	c := s[i]
	if c >= 0x20 && c < 0x7f && c != '\'' {
		return "'" + string(c) + "'"
	}
	return fmt.Sprintf("%q", s[i:i+1])
}

// decodeStrict decodes the bundle's `payload` and `sig`: standard alphabet,
// canonical padding, no whitespace, no stray bits (what upstream's
// sigstore-types accepts).
func decodeStrict(s string) ([]byte, error) {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return nil, fmt.Errorf("invalid base64: line break at offset %d", i)
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}
