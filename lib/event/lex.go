package event

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/canon"
)

// The lexical layer: JSON strings decoded and re-encoded, values skipped.
// Strings dominate audit events, so the scan for the next byte that needs
// attention looks at eight bytes at a time.

// str writes the JSON string at i in canonical form: escapes decoded, then
// only '"', '\' and control characters escaped (the short forms where they
// exist, else lowercase \u00xx). Invalid UTF-8, lone surrogates and raw
// control characters are errors.
func (c *Canonicalizer) str(i int) (int, error) {
	d := c.data
	c.out = append(c.out, '"')
	j := i + 1
	start := j
	for {
		j = nextSpecial(d, j)
		if j >= len(d) {
			return 0, c.syntax(i, "unterminated string")
		}
		switch b := d[j]; {
		case b == '"':
			c.out = append(c.out, d[start:j]...)
			c.out = append(c.out, '"')
			return j + 1, nil
		case b == '\\':
			c.out = append(c.out, d[start:j]...)
			if j+1 < len(d) && (d[j+1] == '"' || d[j+1] == '\\') {
				c.out = append(c.out, '\\', d[j+1]) // already canonical
				j += 2
				start = j
				continue
			}
			r, n, err := unescape(d, j)
			if err != nil {
				return 0, c.syntax(j, err.Error())
			}
			c.out = appendRune(c.out, r)
			j += n
			start = j
		case b < 0x20:
			return 0, c.syntax(j, "control character in string must be escaped")
		default:
			r, size := utf8.DecodeRune(d[j:])
			if r == utf8.RuneError && size == 1 {
				return 0, c.syntax(j, "invalid UTF-8 in string")
			}
			j += size
		}
	}
}

// AppendUnquoted decodes the JSON string token at data[0] (a '"'),
// appends its content to dst and returns the token's length. It is
// strict: invalid UTF-8, lone surrogates and raw control characters are
// errors.
func AppendUnquoted(dst, data []byte) ([]byte, int, error) {
	if len(data) == 0 || data[0] != '"' {
		return dst, 0, fmt.Errorf("expected a string")
	}
	j := 1
	start := j
	for {
		j = nextSpecial(data, j)
		if j >= len(data) {
			return dst, 0, fmt.Errorf("unterminated string")
		}
		switch b := data[j]; {
		case b == '"':
			return append(dst, data[start:j]...), j + 1, nil
		case b == '\\':
			dst = append(dst, data[start:j]...)
			if j+1 < len(data) && (data[j+1] == '"' || data[j+1] == '\\') {
				dst = append(dst, data[j+1]) // the common case, inline
				j += 2
				start = j
				continue
			}
			r, n, err := unescape(data, j)
			if err != nil {
				return dst, 0, fmt.Errorf("at byte %d: %w", j, err)
			}
			dst = utf8.AppendRune(dst, r)
			j += n
			start = j
		case b < 0x20:
			return dst, 0, fmt.Errorf("at byte %d: control character in string must be escaped", j)
		default:
			r, size := utf8.DecodeRune(data[j:])
			if r == utf8.RuneError && size == 1 {
				return dst, 0, fmt.Errorf("at byte %d: invalid UTF-8 in string", j)
			}
			j += size
		}
	}
}

// plainByte[b] is true for bytes copied unchanged inside a canonical
// string: printable ASCII other than '"' and '\'.
var plainByte = func() (t [256]bool) {
	for b := 0x20; b < 0x80; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// nextSpecial returns the offset of the first byte at or after j that is
// not plain (see plainByte), or len(d).
func nextSpecial(d []byte, j int) int {
	for j+8 <= len(d) {
		if m := specialMask(binary.LittleEndian.Uint64(d[j:])); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	for j < len(d) && plainByte[d[j]] {
		j++
	}
	return j
}

// specialMask sets the top bit of every byte of x (little endian) that is
// below 0x20, at or above 0x80, '"' or '\'. The tests are the classic
// "has a zero byte" tricks: (v - 0x01…) & ^v has the top bit set in a byte
// that is zero, and v - 0x20… borrows exactly in bytes below 0x20. A borrow
// can flag bytes above a special one spuriously, never below it, so the
// lowest flagged byte is always the first special one.
func specialMask(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	less20 := (x - lo*0x20) & ^x
	quote := x ^ (lo * '"')
	bslash := x ^ (lo * '\\')
	return (x | less20 | (quote-lo)&^quote | (bslash-lo)&^bslash) & hi
}

// unescape decodes the escape sequence at d[j] ('\') and returns the rune
// and the sequence's length.
func unescape(d []byte, j int) (rune, int, error) {
	if j+1 >= len(d) {
		return 0, 0, fmt.Errorf("unterminated escape")
	}
	switch e := d[j+1]; e {
	case '"', '\\', '/':
		return rune(e), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		hi, ok := hex4(d, j+2)
		if !ok {
			return 0, 0, fmt.Errorf("invalid \\u escape")
		}
		if !utf16.IsSurrogate(rune(hi)) {
			return rune(hi), 6, nil
		}
		if hi >= 0xdc00 {
			return 0, 0, fmt.Errorf("lone trailing surrogate in \\u escape")
		}
		if j+7 < len(d) && d[j+6] == '\\' && d[j+7] == 'u' {
			if lo, ok := hex4(d, j+8); ok && lo >= 0xdc00 && lo <= 0xdfff {
				return utf16.DecodeRune(rune(hi), rune(lo)), 12, nil
			}
		}
		return 0, 0, fmt.Errorf("lone leading surrogate in \\u escape")
	}
	return 0, 0, fmt.Errorf("invalid escape \\%c", d[j+1])
}

func hex4(d []byte, at int) (uint16, bool) {
	if at+4 > len(d) {
		return 0, false
	}
	var v uint16
	for _, b := range d[at : at+4] {
		v <<= 4
		switch {
		case b >= '0' && b <= '9':
			v |= uint16(b - '0')
		case b >= 'a' && b <= 'f':
			v |= uint16(b - 'a' + 10)
		case b >= 'A' && b <= 'F':
			v |= uint16(b - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}

const hexDigits = "0123456789abcdef"

// appendRune writes one decoded rune the canonical way.
func appendRune(dst []byte, r rune) []byte {
	switch {
	case r == '"':
		return append(dst, '\\', '"')
	case r == '\\':
		return append(dst, '\\', '\\')
	case r >= 0x20:
		return utf8.AppendRune(dst, r)
	case r == '\b':
		return append(dst, '\\', 'b')
	case r == '\f':
		return append(dst, '\\', 'f')
	case r == '\n':
		return append(dst, '\\', 'n')
	case r == '\r':
		return append(dst, '\\', 'r')
	case r == '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
}

func skipSpace(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the offset after the string token at d[i] ('"').
func skipString(d []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(d[j:], '"')
		if k < 0 {
			return 0, fmt.Errorf("unterminated string")
		}
		q := j + k
		b := q - 1
		for b > i && d[b] == '\\' {
			b--
		}
		if (q-1-b)%2 == 0 {
			return q + 1, nil
		}
		j = q + 1
	}
}

// skipValue returns the offset after the value at d[i], checking only its
// structure (brackets and strings); the caller validates the content.
func skipValue(d []byte, i int) (int, error) {
	if i >= len(d) {
		return 0, fmt.Errorf("unexpected end of input")
	}
	switch d[i] {
	case '"':
		return skipString(d, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(d); {
			switch d[j] {
			case '"':
				end, err := skipString(d, j)
				if err != nil {
					return 0, err
				}
				j = end
				continue
			case '{', '[':
				depth++
				if depth > canon.MaxDepth {
					return 0, fmt.Errorf("nesting deeper than %d", canon.MaxDepth)
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
			j++
		}
		return 0, fmt.Errorf("unterminated %s", map[byte]string{'{': "object", '[': "array"}[d[i]])
	case ',', '}', ']', ':':
		return 0, fmt.Errorf("expected a value, found %q", d[i])
	}
	j := i
	for j < len(d) {
		switch d[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
			if j == i {
				return 0, fmt.Errorf("expected a value")
			}
			return j, nil
		}
		j++
	}
	return j, nil
}
