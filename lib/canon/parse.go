package canon

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
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
