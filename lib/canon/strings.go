package canon

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Strings are most of the bytes of every audit format, so the scans here
// look at eight bytes at a time for the next one that needs attention, and
// nothing allocates beyond the caller's buffer.

// plain[b] is true for bytes that stand for themselves inside a canonical
// string: printable ASCII other than '"' and '\'.
var plain = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// nextSpecial returns the offset of the first byte of s at or after i that
// is not plain, or len(s), looking at eight bytes at a time.
func nextSpecial(s []byte, i int) int {
	for i+8 <= len(s) {
		if m := specialMask(binary.LittleEndian.Uint64(s[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// specialMask sets the top bit of every byte of x (little endian) that is
// below 0x20, at or above 0x80, '"' or '\'. These are the classic
// "has a zero byte" tricks: (v - 0x01…) &^ v has the top bit set in a byte
// that is zero, and v - 0x20… borrows exactly in the bytes below 0x20. A
// borrow can flag bytes above a special one spuriously, never below it, so
// the lowest flagged byte is always the first special one.
func specialMask(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	below20 := (x - lo*0x20) &^ x
	quote := x ^ (lo * '"')
	bslash := x ^ (lo * '\\')
	return (x | below20 | (quote-lo)&^quote | (bslash-lo)&^bslash) & hi
}

// AppendString appends s as a canonical JSON string. Invalid UTF-8 is
// written as U+FFFD, the same lossy decoding upstream applies to OS
// strings; callers that must reject it check utf8.ValidString first.
func AppendString(dst []byte, s string) []byte {
	return AppendStringBytes(dst, unsafe.Slice(unsafe.StringData(s), len(s))) // read only
}

// AppendStringBytes is AppendString for a byte slice, without a copy.
func AppendStringBytes(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		j := nextSpecial(s, i)
		dst = append(dst, s[i:j]...)
		if j == len(s) {
			break
		}
		if b := s[j]; b < utf8.RuneSelf {
			dst = appendRune(dst, rune(b))
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRune(s[j:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[j:j+size]...)
		}
		i = j + size
	}
	return append(dst, '"')
}

// appendRune writes one character the canonical way: '"', '\' and the C0
// controls escaped (short forms where serde has them), all else raw.
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

// AppendUnquoted decodes the JSON string token at token[0] (a '"'),
// appends its content to dst and returns the token's length. It is strict:
// invalid UTF-8, lone surrogates and raw control characters are errors
// (*SyntaxError, Offset relative to token).
func AppendUnquoted(dst, token []byte) ([]byte, int, error) {
	out, n, _, err := scanString(dst, token, modeDecode)
	return out, n, err
}

// appendCanonicalString re-encodes the JSON string token at token[0] in
// canonical form (escapes decoded, then written the canonical way),
// appends it to dst and returns the token's length. Errors as for
// AppendUnquoted.
func appendCanonicalString(dst, token []byte) ([]byte, int, error) {
	out, n, _, err := scanString(dst, token, modeCanonical)
	return out, n, err
}

// unquoteAt decodes the JSON string token at data[0] and returns it with
// the number of bytes it occupied.
func unquoteAt(data []byte) (string, int, error) {
	b, n, err := AppendUnquoted(nil, data)
	return string(b), n, err
}

// What scanString does with a string's content.
const (
	modeSkip      = iota // check it only
	modeDecode           // append the decoded content
	modeCanonical        // append the canonical encoding, quotes included
)

// errUnterminated is the message of every string that the input ends
// inside of (a prefix of a valid string); callers treat it as a torn
// input rather than a malformed one.
const errUnterminated = "unterminated string"

// scanString reads the string token at d[0], checking it strictly, and
// appends its content to dst as mode says. canonical reports whether the
// token is already in canonical form (every escape one the canonical
// encoding uses: raw bytes never need one).
func scanString(dst, d []byte, mode int) (out []byte, n int, canonical bool, err error) {
	if len(d) == 0 || d[0] != '"' {
		return dst, 0, false, &SyntaxError{Msg: "expected a string"}
	}
	if mode == modeCanonical {
		dst = append(dst, '"')
	}
	canonical = true
	j := 1
	start := j
	for {
		j = nextSpecial(d, j)
		if j >= len(d) {
			return dst, 0, false, &SyntaxError{Offset: j, Msg: errUnterminated}
		}
		switch b := d[j]; {
		case b == '"':
			if mode != modeSkip {
				dst = append(dst, d[start:j]...)
			}
			if mode == modeCanonical {
				dst = append(dst, '"')
			}
			return dst, j + 1, canonical, nil
		case b == '\\':
			if j+1 < len(d) && (d[j+1] == '"' || d[j+1] == '\\') {
				// The escapes of nearly every string: one byte, canonical.
				switch mode {
				case modeDecode:
					dst = append(dst, d[start:j]...)
					dst = append(dst, d[j+1])
				case modeCanonical:
					dst = append(dst, d[start:j+2]...)
				}
				j += 2
				start = j
				continue
			}
			r, n, err := unescape(d, j)
			if err != nil {
				return dst, 0, false, err
			}
			var buf [6]byte
			canonical = canonical && string(appendRune(buf[:0], r)) == string(d[j:j+n])
			switch mode {
			case modeDecode:
				dst = append(dst, d[start:j]...)
				dst = utf8.AppendRune(dst, r)
			case modeCanonical:
				dst = append(dst, d[start:j]...)
				dst = appendRune(dst, r)
			}
			j += n
			start = j
		case b < 0x20:
			return dst, 0, false, &SyntaxError{Offset: j, Msg: "control character in string must be escaped"}
		default:
			r, size := utf8.DecodeRune(d[j:])
			if r == utf8.RuneError && size == 1 {
				if !utf8.FullRune(d[j:]) {
					return dst, 0, false, &SyntaxError{Offset: len(d), Msg: errUnterminated}
				}
				return dst, 0, false, &SyntaxError{Offset: j, Msg: "invalid UTF-8 in string"}
			}
			j += size
		}
	}
}

// unescape decodes the escape sequence at d[j] ('\'): the rune and the
// sequence's length. A \u escape of a surrogate must be a valid pair.
func unescape(d []byte, j int) (rune, int, error) {
	if j+1 >= len(d) {
		return 0, 0, &SyntaxError{Offset: len(d), Msg: errUnterminated}
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
			if hexPrefix(d[j+2:]) {
				return 0, 0, &SyntaxError{Offset: len(d), Msg: errUnterminated}
			}
			return 0, 0, &SyntaxError{Offset: j, Msg: "invalid \\u escape"}
		}
		if !utf16.IsSurrogate(rune(hi)) {
			return rune(hi), 6, nil
		}
		if hi >= 0xdc00 {
			return 0, 0, &SyntaxError{Offset: j, Msg: "lone trailing surrogate in \\u escape"}
		}
		if j+7 < len(d) && d[j+6] == '\\' && d[j+7] == 'u' {
			if lo, ok := hex4(d, j+8); ok && lo >= 0xdc00 && lo <= 0xdfff {
				return utf16.DecodeRune(rune(hi), rune(lo)), 12, nil
			}
			if hexPrefix(d[j+8:]) {
				return 0, 0, &SyntaxError{Offset: len(d), Msg: errUnterminated}
			}
		} else if rest := d[j+6:]; len(rest) < 2 && bytes.HasPrefix([]byte(`\u`), rest) {
			return 0, 0, &SyntaxError{Offset: len(d), Msg: errUnterminated}
		}
		return 0, 0, &SyntaxError{Offset: j, Msg: "lone leading surrogate in \\u escape"}
	}
	return 0, 0, &SyntaxError{Offset: j, Msg: "invalid escape \\" + string(rune(d[j+1]))}
}

// hexPrefix reports whether rest is shorter than four bytes and all hex
// digits: the input ended inside a \u escape.
func hexPrefix(rest []byte) bool {
	if len(rest) >= 4 {
		return false
	}
	for _, c := range rest {
		if _, ok := hex4([]byte{c, '0', '0', '0'}, 0); !ok {
			return false
		}
	}
	return true
}

func hex4(data []byte, at int) (uint16, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	var v uint16
	for _, c := range data[at : at+4] {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint16(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint16(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v |= uint16(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}
