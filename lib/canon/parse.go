package canon

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds nesting, as serde_json's recursion limit does, so hostile
// input cannot exhaust the stack.
const MaxDepth = 128

// SyntaxError describes malformed input. Offset is the 0-based byte offset
// within the parsed document.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.Msg, e.Offset) }

// Parse parses exactly one JSON value (surrounding whitespace allowed).
// It is strict where the audit formats need it to be: duplicate object keys,
// invalid UTF-8, lone surrogate escapes and numbers out of the float64 range
// are errors. Numbers are kept as canonical text the way serde_json
// re-serialises them: integers that fit in u64 (or i64 when negative) in
// plain decimal, anything else as an f64 in the shortest round-trip form
// (`1.5`, `100.0`, `1e21`, `-0.0`).
func Parse(data []byte) (Value, error) {
	p := parser{data: data}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return Value{}, p.errorf("trailing characters after JSON value")
	}
	return v, nil
}

type parser struct {
	data []byte
	pos  int
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if p.pos >= len(p.data) {
		return Value{}, p.errorf("unexpected end of JSON input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		if depth >= MaxDepth {
			return Value{}, p.errorf("nesting deeper than %d", MaxDepth)
		}
		return p.object(depth)
	case c == '[':
		if depth >= MaxDepth {
			return Value{}, p.errorf("nesting deeper than %d", MaxDepth)
		}
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		return Value{Kind: String, Str: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return Value{Kind: Bool, Bool: true}, p.literal("true")
	case c == 'f':
		return Value{Kind: Bool}, p.literal("false")
	case c == 'n':
		return Value{Kind: Null}, p.literal("null")
	default:
		return Value{}, p.errorf("unexpected character %q", rune(c))
	}
}

func (p *parser) literal(word string) error {
	if !strings.HasPrefix(string(p.data[p.pos:min(len(p.data), p.pos+len(word))]), word) {
		return p.errorf("invalid literal, expected %s", word)
	}
	p.pos += len(word)
	return nil
}

func (p *parser) object(depth int) (Value, error) {
	p.pos++ // '{'
	v := Value{Kind: Object, Members: []Member{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return Value{}, p.errorf("expected object key string")
		}
		keyAt := p.pos
		key, err := p.string()
		if err != nil {
			return Value{}, err
		}
		for _, m := range v.Members {
			if m.Key == key {
				return Value{}, &SyntaxError{Offset: keyAt, Msg: fmt.Sprintf("duplicate key %q", key)}
			}
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return Value{}, p.errorf("expected ':' after object key")
		}
		p.pos++
		p.skipSpace()
		elem, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Members = append(v.Members, Member{Key: key, Value: elem})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.errorf("unexpected end of JSON input in object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return v, nil
		default:
			return Value{}, p.errorf("expected ',' or '}' in object")
		}
	}
}

func (p *parser) array(depth int) (Value, error) {
	p.pos++ // '['
	v := Value{Kind: Array, Elems: []Value{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		p.skipSpace()
		elem, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Elems = append(v.Elems, elem)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.errorf("unexpected end of JSON input in array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return v, nil
		default:
			return Value{}, p.errorf("expected ',' or ']' in array")
		}
	}
}

// string parses a JSON string starting at the opening quote.
func (p *parser) string() (string, error) {
	s, n, err := UnquoteAt(p.data[p.pos:])
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			se.Offset += p.pos
		}
		return "", err
	}
	p.pos += n
	return s, nil
}

// UnquoteAt decodes the JSON string that starts at data[0] (a '"') and
// returns it with the number of bytes it occupied. Raw bytes must be valid
// UTF-8 and control characters must be escaped.
func UnquoteAt(data []byte) (string, int, error) {
	var b []byte // nil until the first escape: most strings need no copy
	i := 1
	start := 1
	for {
		if i >= len(data) {
			return "", 0, &SyntaxError{Offset: i, Msg: "unterminated string"}
		}
		c := data[i]
		switch {
		case c == '"':
			if b == nil {
				return string(data[start:i]), i + 1, nil
			}
			b = append(b, data[start:i]...)
			return string(b), i + 1, nil
		case c == '\\':
			b = append(b, data[start:i]...)
			if i+1 >= len(data) {
				return "", 0, &SyntaxError{Offset: i, Msg: "unterminated escape"}
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
				i += 2
			case 'b':
				b = append(b, '\b')
				i += 2
			case 'f':
				b = append(b, '\f')
				i += 2
			case 'n':
				b = append(b, '\n')
				i += 2
			case 'r':
				b = append(b, '\r')
				i += 2
			case 't':
				b = append(b, '\t')
				i += 2
			case 'u':
				r, n, err := unicodeEscape(data, i)
				if err != nil {
					return "", 0, err
				}
				b = utf8.AppendRune(b, r)
				i += n
			default:
				return "", 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("invalid escape \\%c", e)}
			}
			start = i
		case c < 0x20:
			return "", 0, &SyntaxError{Offset: i, Msg: "control character in string must be escaped"}
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return "", 0, &SyntaxError{Offset: i, Msg: "invalid UTF-8 in string"}
			}
			i += size
		}
	}
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at data[i].
func unicodeEscape(data []byte, i int) (rune, int, error) {
	hi, ok := hex4(data, i+2)
	if !ok {
		return 0, 0, &SyntaxError{Offset: i, Msg: "invalid \\u escape"}
	}
	if !utf16.IsSurrogate(rune(hi)) {
		return rune(hi), 6, nil
	}
	if hi >= 0xdc00 {
		return 0, 0, &SyntaxError{Offset: i, Msg: "lone trailing surrogate in \\u escape"}
	}
	if i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
		if lo, ok := hex4(data, i+8); ok && lo >= 0xdc00 && lo <= 0xdfff {
			return utf16.DecodeRune(rune(hi), rune(lo)), 12, nil
		}
	}
	return 0, 0, &SyntaxError{Offset: i, Msg: "lone leading surrogate in \\u escape"}
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

func (p *parser) number() (Value, error) {
	start := p.pos
	n, err := ScanNumber(p.data[p.pos:])
	if err != nil {
		return Value{}, p.errorf("%v", err)
	}
	p.pos += n
	text, err := CanonicalNumber(string(p.data[start:p.pos]))
	if err != nil {
		return Value{}, &SyntaxError{Offset: start, Msg: err.Error()}
	}
	return Value{Kind: Number, Num: text}, nil
}

// ScanNumber returns the length of the JSON number at the start of data.
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
		return 0, errors.New("invalid number")
	}
	if i < len(data) && data[i] == '.' {
		i++
		d := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, errors.New("invalid number: no digits after '.'")
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
			return 0, errors.New("invalid number: no digits in exponent")
		}
	}
	return i, nil
}

// CanonicalNumber maps a JSON number literal to the text serde_json writes
// after parsing it: u64/i64 integers stay decimal; everything else is an
// f64 formatted as Rust's ryu does.
func CanonicalNumber(lit string) (string, error) {
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
	return FormatFloat(f), nil
}

// FormatFloat formats f as serde_json (ryu) does: the shortest digits that
// round-trip, positional notation while the decimal point falls within 16
// digits (`100.0`, `0.001`), scientific otherwise (`1e21`, `1.5e-7`).
func FormatFloat(f float64) string {
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
