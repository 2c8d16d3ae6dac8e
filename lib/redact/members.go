package redact

import (
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
)

// The walk over an event line is canon's Scanner: it checks the whole
// line (every value the walk does not scrub is checked as it is skipped)
// and tells where each value to scrub lies, without decoding the others,
// so a field that is not scrubbed costs only the scan over its bytes.

// span is where a value lies in the line: line[start:end].
type span struct{ start, end int }

// valueSpan reads the value due next in s and returns where it lies.
func valueSpan(s *canon.Scanner) (span, error) {
	if _, err := s.Peek(); err != nil {
		return span{}, err
	}
	start := s.Offset()
	err := s.Skip()
	return span{start, s.Offset()}, err
}

// elements reads the array due next in s and returns where its elements
// lie, with their JSON types.
func elements(s *canon.Scanner, dst []element) ([]element, error) {
	if err := s.Array(); err != nil {
		return dst, err
	}
	for {
		more, err := s.NextElement()
		if err != nil || !more {
			return dst, err
		}
		k, err := s.Peek()
		if err != nil {
			return dst, err
		}
		sp, err := valueSpan(s)
		if err != nil {
			return dst, err
		}
		dst = append(dst, element{kind: k, span: sp})
	}
}

type element struct {
	kind canon.Kind
	span
}

// memberString returns the decoded string value of the member named key
// of the object that starts at line[at], if it has one, looking ahead
// with a scanner of its own (the line has been or will be checked whole).
func (e *Events) memberString(line []byte, at int, key string) ([]byte, bool) {
	s := &e.look
	s.ResetAt(line, at)
	if s.Object() != nil {
		return nil, false
	}
	for {
		k, more, err := s.NextMember()
		if err != nil || !more {
			return nil, false
		}
		if string(k) != key {
			continue
		}
		if kind, _ := s.Peek(); kind != canon.String {
			return nil, false
		}
		v, err := s.AppendString(nil)
		return v, err == nil
	}
}

// jsonString decodes the JSON string token raw, which has been checked.
func jsonString(raw []byte) []byte {
	out, _, err := canon.AppendUnquoted(nil, raw)
	if err != nil {
		panic(fmt.Sprintf("redact: a checked string token does not decode: %v", err))
	}
	return out
}
