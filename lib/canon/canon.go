// Package canon is the canonical JSON of the audit formats, the bytes
// upstream nono's serde_json writes so that hashes over them agree, and
// the one strict reader of JSON from outside the process.
//
// # Writing
//
// The rules (docs/FORMAT.md §2): compact output, object keys in the order
// given (never sorted), integers in plain decimal, and strings escaped the
// serde way: `"` `\` and C0 controls only, with the short forms \b \f \n \r
// \t and lowercase \u00xx for the rest. Everything else, including `/`,
// `<>&`, DEL, U+2028 and U+2029, is written as raw UTF-8. Go's
// encoding/json differs on several of these, hence this package.
// AppendString and AppendStringBytes write strings, AppendCompact and
// AppendPretty whole Values.
//
// # Reading: the Scanner
//
// Every reader of untrusted JSON (records, events, summaries, proofs,
// session.json, ledger lines, manifests) goes through Scanner, so that no
// two readers can disagree about one input. It is strict: duplicate object
// keys (compared after decoding escapes), invalid UTF-8, lone surrogates,
// raw control characters in strings, malformed numbers, nesting deeper
// than Limits.MaxDepth and documents larger than Limits.MaxSize are
// errors. Every error is a *SyntaxError carrying the byte offset in the
// document; input that ends too early (a torn last line) also matches
// io.ErrUnexpectedEOF. Errors are sticky.
//
// The Scanner is a pull parser over a byte slice: it never builds the
// document, and values a caller does not want are checked and skipped.
//
//	var s canon.Scanner          // zero value ready; reuse it with Reset
//	s.Reset(line)
//	if err := s.Object(); err != nil { … }
//	for {
//		key, more, err := s.NextMember() // key decoded; duplicates refused
//		if err != nil { … }
//		if !more {
//			break // the '}' is consumed
//		}
//		switch string(key) {
//		case "sequence":
//			n, err := s.Uint(64) // integers: range-checked, floats refused
//		case "name":
//			b, err := s.String() // decoded content (aliases line when plain)
//		case "items":
//			err := s.Array()
//			for more, err := s.NextElement(); more && err == nil; more, err = s.NextElement() {
//				v, err := s.Value() // or any other value method
//			}
//		default:
//			// not read: the next NextMember checks and skips it
//		}
//	}
//	if err := s.End(); err != nil { … } // only whitespace may follow
//
// Value methods read the value due next (at the top level, or after
// NextMember or NextElement announced one): Peek (its Kind, nothing
// consumed; Offset is then its first byte), Object, Array, String,
// AppendString, appendCanonicalString, RawString (the token as written),
// number (the literal), Uint and Int (with a bit width), Bool, Null, Skip,
// Raw (the value's bytes as written), AppendCompact (re-encoded
// canonically, key order kept) and Value (a tree). Errorf makes a
// caller's own shape error at the current offset; ResetAt scans a value
// inside a larger document (for a look ahead); LineCol turns an offset
// into a line and column; ReadAll reads a document with a size limit.
//
// Parse is the Scanner reading one document into a Value, a tree that
// keeps object key order, so objects from users' own flows can be
// re-encoded in the order they arrived.
package canon

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Kind is the JSON type of a Value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "invalid"
}

// Value is one JSON value. Only the fields of its Kind are meaningful.
type Value struct {
	Kind    Kind
	Bool    bool
	Num     string // canonical text of a Number (see Parse)
	Str     string
	Elems   []Value
	Members []Member
}

// Member is one key/value pair of an object, in document order.
type Member struct {
	Key   string
	Value Value
}

// Constructors for building values in code.

func NullValue() Value           { return Value{Kind: Null} }
func BoolValue(b bool) Value     { return Value{Kind: Bool, Bool: b} }
func StringValue(s string) Value { return Value{Kind: String, Str: s} }
func IntValue(n int64) Value     { return Value{Kind: Number, Num: strconv.FormatInt(n, 10)} }
func UintValue(n uint64) Value   { return Value{Kind: Number, Num: strconv.FormatUint(n, 10)} }
func ArrayValue(elems ...Value) Value {
	if elems == nil {
		elems = []Value{}
	}
	return Value{Kind: Array, Elems: elems}
}
func ObjectValue(members ...Member) Value {
	if members == nil {
		members = []Member{}
	}
	return Value{Kind: Object, Members: members}
}

// StringsValue is an array of strings.
func StringsValue(ss []string) Value {
	elems := make([]Value, len(ss))
	for i, s := range ss {
		elems[i] = StringValue(s)
	}
	return ArrayValue(elems...)
}

// Get returns the member named key of an object.
func (v Value) Get(key string) (Value, bool) {
	if v.Kind != Object {
		return Value{}, false
	}
	for _, m := range v.Members {
		if m.Key == key {
			return m.Value, true
		}
	}
	return Value{}, false
}

// Uint returns the value of a non-negative integer Number.
func (v Value) Uint() (uint64, bool) {
	if v.Kind != Number {
		return 0, false
	}
	n, err := strconv.ParseUint(v.Num, 10, 64)
	return n, err == nil
}

// Int returns the value of an integer Number that fits in an int64.
func (v Value) Int() (int64, bool) {
	if v.Kind != Number {
		return 0, false
	}
	n, err := strconv.ParseInt(v.Num, 10, 64)
	return n, err == nil
}

// Strings returns the elements of an array of strings.
func (v Value) Strings() ([]string, bool) {
	if v.Kind != Array {
		return nil, false
	}
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		if e.Kind != String {
			return nil, false
		}
		out[i] = e.Str
	}
	return out, true
}

// Equal reports whether a and b are the same JSON value, key order included.
func Equal(a, b Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case Null:
		return true
	case Bool:
		return a.Bool == b.Bool
	case Number:
		return a.Num == b.Num
	case String:
		return a.Str == b.Str
	case Array:
		if len(a.Elems) != len(b.Elems) {
			return false
		}
		for i := range a.Elems {
			if !Equal(a.Elems[i], b.Elems[i]) {
				return false
			}
		}
		return true
	case Object:
		if len(a.Members) != len(b.Members) {
			return false
		}
		for i := range a.Members {
			if a.Members[i].Key != b.Members[i].Key || !Equal(a.Members[i].Value, b.Members[i].Value) {
				return false
			}
		}
		return true
	}
	return false
}

const hexDigits = "0123456789abcdef"

// AppendCompact appends the canonical compact encoding of v.
func AppendCompact(dst []byte, v Value) []byte {
	switch v.Kind {
	case Null:
		return append(dst, "null"...)
	case Bool:
		if v.Bool {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return append(dst, v.Num...)
	case String:
		return AppendString(dst, v.Str)
	case Array:
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendCompact(dst, e)
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		for i, m := range v.Members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, m.Key)
			dst = append(dst, ':')
			dst = AppendCompact(dst, m.Value)
		}
		return append(dst, '}')
	}
	return dst
}

// Compact returns the canonical compact encoding of v.
func Compact(v Value) []byte { return AppendCompact(nil, v) }

// AppendPretty appends v in serde_json's pretty form: two-space indent,
// `"key": value`, `[]` and `{}` for empty containers, no trailing newline.
// session.json, manifests and bundles use it.
func AppendPretty(dst []byte, v Value) []byte { return appendPretty(dst, v, 0) }

// Pretty returns the pretty encoding of v.
func Pretty(v Value) []byte { return AppendPretty(nil, v) }

func appendPretty(dst []byte, v Value, depth int) []byte {
	switch v.Kind {
	case Array:
		if len(v.Elems) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendIndent(dst, depth+1)
			dst = appendPretty(dst, e, depth+1)
		}
		dst = appendIndent(dst, depth)
		return append(dst, ']')
	case Object:
		if len(v.Members) == 0 {
			return append(dst, "{}"...)
		}
		dst = append(dst, '{')
		for i, m := range v.Members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendIndent(dst, depth+1)
			dst = AppendString(dst, m.Key)
			dst = append(dst, ':', ' ')
			dst = appendPretty(dst, m.Value, depth+1)
		}
		dst = appendIndent(dst, depth)
		return append(dst, '}')
	}
	return AppendCompact(dst, v)
}

func appendIndent(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, ' ', ' ')
	}
	return dst
}

// CheckUTF8 returns an error naming the first string or key of v (by its
// path, like `command[2]`) that is not valid UTF-8. The encoders write such
// bytes as U+FFFD, so two different values would encode alike: whatever is
// hashed or stored must pass this first.
func CheckUTF8(v Value) error { return checkUTF8(v, "") }

func checkUTF8(v Value, at string) error {
	switch v.Kind {
	case String:
		if !utf8.ValidString(v.Str) {
			return fmt.Errorf("%s: %.60q is not valid UTF-8", at, v.Str)
		}
	case Array:
		for i, e := range v.Elems {
			if err := checkUTF8(e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case Object:
		for _, m := range v.Members {
			if !utf8.ValidString(m.Key) {
				return fmt.Errorf("%s: key %.60q is not valid UTF-8", at, m.Key)
			}
			name := m.Key
			if at != "" {
				name = at + "." + m.Key
			}
			if err := checkUTF8(m.Value, name); err != nil {
				return err
			}
		}
	}
	return nil
}
