package event

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
)

// The lexical layer: JSON strings decoded and re-encoded, values skipped.
// Strings dominate audit events, so the scan for the next byte that needs
// attention looks at eight bytes at a time.

// str writes the JSON string at i in canonical form (canon's byte rules:
// escapes decoded, then only '"', '\' and control characters escaped).
// Invalid UTF-8, lone surrogates and raw control characters are errors.
func (c *Canonicalizer) str(i int) (int, error) {
	out, n, err := canon.AppendCanonicalString(c.out, c.data[i:])
	c.out = out
	if err != nil {
		var se *canon.SyntaxError
		if errors.As(err, &se) {
			return 0, c.syntax(i+se.Offset, se.Msg)
		}
		return 0, c.syntax(i, err.Error())
	}
	return i + n, nil
}

// AppendUnquoted decodes the JSON string token at data[0] (a '"'),
// appends its content to dst and returns the token's length: canon's
// strict decoder.
func AppendUnquoted(dst, data []byte) ([]byte, int, error) {
	return canon.AppendUnquoted(dst, data)
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
