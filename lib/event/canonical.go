package event

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/canon"
)

// Error is an event that cannot be canonicalized. Path names the field
// (for example "capability_decision.entry.request.child_pid"); Offset is
// the byte offset in the input where the problem was found.
type Error struct {
	Path   string
	Offset int
	Msg    string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Canonicalizer turns event JSON into its canonical bytes, reusing its
// scratch space from one call to the next so that a stream of events costs
// no allocation per event. The zero value is ready to use. It is not safe
// for concurrent use; give each goroutine its own.
//
// The work is driven by the schema table: an object of a known type is
// scanned once to find where each member's value lies, then written in
// declared order, each value validated and re-encoded as it is copied.
type Canonicalizer struct {
	data    []byte
	out     []byte
	typed   bool // drop undeclared keys (upstream's typed view) instead of failing
	members []member
	slots   []span
	keys    []span // canonical keys already written, for duplicate checks
	path    []pathElem
	scratch []byte // output space of SkipValue
}

type span struct{ start, end int }

// member is one key/value pair found by scanObject. key is the decoded
// key: a slice of the input when it holds no escapes.
type member struct {
	key    []byte
	keyTok span // the key's string token, quotes included
	val    span
}

type pathElem struct {
	name  string
	index int // >= 0: an array element
}

// Canonicalize returns the canonical bytes of one event: a JSON object
// whose "type" names an upstream event type (re-encoded in declared key
// order with upstream's omission rules) or a type of the user's own
// (re-encoded compactly in input key order). It fails on invalid JSON,
// duplicate keys, invalid UTF-8, a missing or mistyped field, and any key
// a known type does not declare, so nothing is dropped silently.
func Canonicalize(raw []byte) ([]byte, error) {
	var c Canonicalizer
	return c.Append(nil, raw)
}

// Append appends the canonical form of the event in raw (one JSON object,
// surrounding whitespace allowed) to dst under Canonicalize's rules.
func (c *Canonicalizer) Append(dst, raw []byte) ([]byte, error) {
	out, _, err := c.run(dst, raw, false, false)
	return out, err
}

// AppendTyped is Append under upstream's typed reading: keys a known type
// does not declare are dropped (after checking they are valid JSON)
// instead of being an error. Verifiers use it: upstream re-serialises the
// parsed event this way before comparing it with event_json.
func (c *Canonicalizer) AppendTyped(dst, raw []byte) ([]byte, error) {
	out, _, err := c.run(dst, raw, true, false)
	return out, err
}

// AppendTypedPrefix canonicalizes, as AppendTyped does, the event object
// that starts at raw[0] and returns the number of bytes it occupied, so a
// scanner of an enclosing document needs no separate pass over it.
func (c *Canonicalizer) AppendTypedPrefix(dst, raw []byte) ([]byte, int, error) {
	return c.run(dst, raw, true, true)
}

func (c *Canonicalizer) run(dst, raw []byte, typed, prefix bool) ([]byte, int, error) {
	c.data, c.out, c.typed = raw, dst, typed
	c.members, c.slots, c.keys, c.path = c.members[:0], c.slots[:0], c.keys[:0], c.path[:0]
	defer func() { c.data, c.out = nil, nil }()
	i := skipSpace(raw, 0)
	end, err := c.event(i)
	if err != nil {
		return dst, 0, err
	}
	if !prefix {
		if j := skipSpace(raw, end); j != len(raw) {
			return dst, 0, c.syntax(j, "trailing characters after the event object")
		}
	}
	return c.out, end, nil
}

// event handles the top-level object: a known type by its schema, any
// other type in input order.
func (c *Canonicalizer) event(i int) (int, error) {
	if i >= len(c.data) || c.data[i] != '{' {
		if i >= len(c.data) {
			return 0, c.syntax(i, "empty input, expected an event object")
		}
		return 0, c.errorf(i, "event must be a JSON object, found %s", c.describe(i))
	}
	base := len(c.members)
	end, err := c.scanObject(i)
	if err != nil {
		return 0, err
	}
	defer func() { c.members = c.members[:base] }()
	return end, c.taggedMembers(i, base, &tables.events, true)
}

// taggedMembers writes the object whose members were just scanned (from
// c.members[base:]) as a variant of t. With custom, an unknown tag value
// writes the object as it came.
func (c *Canonicalizer) taggedMembers(at, base int, t *tagged, custom bool) error {
	members := c.members[base:]
	tagAt := -1
	for k := range members {
		if string(members[k].key) == t.tag {
			if tagAt >= 0 {
				return c.errorf(members[k].keyTok.start, "duplicate field %q", t.tag)
			}
			tagAt = k
		}
	}
	if tagAt < 0 {
		return c.errorf(at, "missing field %q", t.tag)
	}
	tagVal := members[tagAt].val
	if c.data[tagVal.start] != '"' {
		return c.errorf(tagVal.start, "field %q must be a string, found %s", t.tag, c.describe(tagVal.start))
	}
	// Write the tag first: its canonical bytes are also its decoded name
	// whenever it names a known variant (those are plain ASCII).
	start := len(c.out)
	c.out = append(c.out, '{')
	c.out = canon.AppendString(c.out, t.tag)
	c.out = append(c.out, ':')
	nameAt := len(c.out)
	end, err := c.str(tagVal.start)
	if err != nil {
		return err
	}
	if end != tagVal.end {
		return c.syntax(end, "invalid string")
	}
	name := c.out[nameAt+1 : len(c.out)-1]
	s := t.variants[string(name)]
	if s == nil {
		if !custom {
			return c.errorf(tagVal.start, "unknown %s %s (expected one of %s)", t.tag, c.out[nameAt:], variantNames(t))
		}
		c.out = c.out[:start]
		return c.customMembers(members)
	}
	if custom { // the event itself: its type heads every path
		c.path = append(c.path, pathElem{name: s.name, index: -1})
		defer func() { c.path = c.path[:len(c.path)-1] }()
	}
	return c.fields(at, s, members, tagAt, false)
}

// customMembers writes an object of a user's own type: members in input
// order, each value re-encoded canonically.
func (c *Canonicalizer) customMembers(members []member) error {
	keyBase := len(c.keys)
	defer func() { c.keys = c.keys[:keyBase] }()
	c.out = append(c.out, '{')
	for k, m := range members {
		if k > 0 {
			c.out = append(c.out, ',')
		}
		if err := c.key(m.keyTok, keyBase); err != nil {
			return err
		}
		c.out = append(c.out, ':')
		end, err := c.generic(m.val.start, 1)
		if err != nil {
			return err
		}
		if end != m.val.end {
			return c.syntax(end, "unexpected characters after value")
		}
	}
	c.out = append(c.out, '}')
	return nil
}

// key writes the object key whose token is tok and fails if an earlier key
// of the same object (those in c.keys[base:]) is equal. Canonical string
// encoding is one-to-one, so equal keys have equal encodings.
func (c *Canonicalizer) key(tok span, base int) error {
	ks := len(c.out)
	end, err := c.str(tok.start)
	if err != nil {
		return err
	}
	if end != tok.end {
		return c.syntax(end, "invalid object key")
	}
	k := c.out[ks:]
	earlier := c.keys[base:]
	for _, e := range earlier {
		if bytes.Equal(c.out[e.start:e.end], k) {
			return c.errorf(tok.start, "duplicate key %s", k)
		}
	}
	c.keys = append(c.keys, span{ks, len(c.out)})
	return nil
}

// object writes the object at i according to s.
func (c *Canonicalizer) object(i int, s *schema) (int, error) {
	if c.data[i] != '{' {
		return 0, c.typeError(i, "object")
	}
	base := len(c.members)
	end, err := c.scanObject(i)
	if err != nil {
		return 0, err
	}
	defer func() { c.members = c.members[:base] }()
	c.out = append(c.out, '{')
	return end, c.fields(i, s, c.members[base:], -1, true)
}

// tagged writes the object at i as a variant of t (no custom variants).
func (c *Canonicalizer) tagged(i int, t *tagged) (int, error) {
	if c.data[i] != '{' {
		return 0, c.typeError(i, "object")
	}
	base := len(c.members)
	end, err := c.scanObject(i)
	if err != nil {
		return 0, err
	}
	defer func() { c.members = c.members[:base] }()
	return end, c.taggedMembers(i, base, t, false)
}

// fields writes the members of an object in s's declared order and closes
// it. skip is the index of a member already written (the tag), or -1.
// first says no member has been written yet after the '{'.
func (c *Canonicalizer) fields(at int, s *schema, members []member, skip int, first bool) error {
	base := len(c.slots)
	for range s.fields {
		c.slots = append(c.slots, span{-1, -1})
	}
	slots := c.slots[base:]
	defer func() { c.slots = c.slots[:base] }()

	for k, m := range members {
		if k == skip {
			continue
		}
		idx, ok := s.index[string(m.key)]
		if !ok {
			if err := c.undeclared(s, members, k); err != nil {
				return err
			}
			continue
		}
		if slots[idx].start >= 0 {
			return c.errorf(m.keyTok.start, "duplicate field %q", s.fields[idx].name)
		}
		slots[idx] = m.val
	}

	for idx, fd := range s.fields {
		v := slots[idx]
		null := v.start >= 0 && c.data[v.start] == 'n'
		if v.start < 0 || null {
			switch fd.pres {
			case required:
				if v.start < 0 {
					return c.errorf(at, "missing field %q", fd.name)
				}
				c.path = append(c.path, pathElem{name: fd.name, index: -1})
				err := c.typeError(v.start, fd.kind.String())
				c.path = c.path[:len(c.path)-1]
				return err
			case omitEmpty:
				if null {
					c.path = append(c.path, pathElem{name: fd.name, index: -1})
					err := c.typeError(v.start, fd.kind.String())
					c.path = c.path[:len(c.path)-1]
					return err
				}
				continue
			case omitNone:
				if null && string(c.data[v.start:v.end]) != "null" {
					return c.syntax(v.start, "invalid literal, expected null")
				}
				continue
			case nullable:
				if null && string(c.data[v.start:v.end]) != "null" {
					return c.syntax(v.start, "invalid literal, expected null")
				}
				if !first {
					c.out = append(c.out, ',')
				}
				first = false
				c.out = append(c.out, '"')
				c.out = append(c.out, fd.name...)
				c.out = append(c.out, `":null`...)
				continue
			}
		}
		if fd.pres == omitEmpty && c.emptyArray(v.start) {
			continue
		}
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		c.out = append(c.out, '"')
		c.out = append(c.out, fd.name...)
		c.out = append(c.out, '"', ':')
		c.path = append(c.path, pathElem{name: fd.name, index: -1})
		end, err := c.value(v.start, &fd)
		c.path = c.path[:len(c.path)-1]
		if err != nil {
			return err
		}
		if end != v.end {
			return c.syntax(end, "unexpected characters after value")
		}
	}
	c.out = append(c.out, '}')
	return nil
}

// undeclared handles members[k], whose key s does not declare: an error
// for input, dropped in the typed view once it is known to be valid JSON
// and not a duplicate.
func (c *Canonicalizer) undeclared(s *schema, members []member, k int) error {
	m := members[k]
	if !c.typed {
		names := make([]string, len(s.fields))
		for i, fd := range s.fields {
			names[i] = fd.name
		}
		return c.errorf(m.keyTok.start, "unknown field %s (known: %s)",
			canon.AppendString(nil, string(m.key)), strings.Join(names, ", "))
	}
	for _, e := range members[:k] {
		if bytes.Equal(e.key, m.key) {
			return c.errorf(m.keyTok.start, "duplicate key %s", canon.AppendString(nil, string(m.key)))
		}
	}
	mark := len(c.out)
	if _, err := c.str(m.keyTok.start); err != nil {
		return err
	}
	end, err := c.generic(m.val.start, 1)
	c.out = c.out[:mark]
	if err != nil {
		return err
	}
	if end != m.val.end {
		return c.syntax(end, "unexpected characters after value")
	}
	return nil
}

func (c *Canonicalizer) emptyArray(i int) bool {
	if c.data[i] != '[' {
		return false
	}
	j := skipSpace(c.data, i+1)
	return j < len(c.data) && c.data[j] == ']'
}

// value writes the value at i as field fd requires.
func (c *Canonicalizer) value(i int, fd *field) (int, error) {
	switch fd.kind {
	case kString:
		if c.data[i] != '"' {
			return 0, c.typeError(i, "string")
		}
		return c.str(i)
	case kBool:
		switch {
		case bytes.HasPrefix(c.data[i:], []byte("true")):
			c.out = append(c.out, "true"...)
			return i + 4, nil
		case bytes.HasPrefix(c.data[i:], []byte("false")):
			c.out = append(c.out, "false"...)
			return i + 5, nil
		}
		return 0, c.typeError(i, "boolean")
	case kU16, kU32, kU64, kI32:
		return c.integer(i, fd.kind)
	case kEnum:
		return c.enum(i, fd.enum)
	case kStrings:
		return c.array(i, "array of strings", func(j int) (int, error) {
			if c.data[j] != '"' {
				return 0, c.typeError(j, "string")
			}
			return c.str(j)
		})
	case kObject:
		return c.object(i, fd.obj)
	case kObjects:
		return c.array(i, "array of objects", func(j int) (int, error) { return c.object(j, fd.obj) })
	case kRequest:
		return c.tagged(i, &tables.request)
	case kDecision:
		return c.decision(i)
	}
	return 0, c.errorf(i, "unsupported field kind")
}

// array writes the array at i, each element by elem.
func (c *Canonicalizer) array(i int, want string, elem func(int) (int, error)) (int, error) {
	if c.data[i] != '[' {
		return 0, c.typeError(i, want)
	}
	c.out = append(c.out, '[')
	j := skipSpace(c.data, i+1)
	if j < len(c.data) && c.data[j] == ']' {
		c.out = append(c.out, ']')
		return j + 1, nil
	}
	for n := 0; ; n++ {
		if j >= len(c.data) {
			return 0, c.syntax(j, "unterminated array")
		}
		c.path = append(c.path, pathElem{index: n})
		end, err := elem(j)
		c.path = c.path[:len(c.path)-1]
		if err != nil {
			return 0, err
		}
		j = skipSpace(c.data, end)
		if j >= len(c.data) {
			return 0, c.syntax(j, "unterminated array")
		}
		switch c.data[j] {
		case ',':
			c.out = append(c.out, ',')
			j = skipSpace(c.data, j+1)
		case ']':
			c.out = append(c.out, ']')
			return j + 1, nil
		default:
			return 0, c.syntax(j, "expected ',' or ']' in array")
		}
	}
}

// enum writes the string at i, which must be one of values.
func (c *Canonicalizer) enum(i int, values []string) (int, error) {
	if c.data[i] != '"' {
		return 0, c.typeError(i, "string")
	}
	mark := len(c.out)
	end, err := c.str(i)
	if err != nil {
		return 0, err
	}
	got := c.out[mark+1 : len(c.out)-1]
	for _, v := range values {
		if string(got) == v {
			return end, nil
		}
	}
	return 0, c.errorf(i, "unknown variant %s (expected one of %s)", c.out[mark:], strings.Join(values, ", "))
}

// decision writes an ApprovalDecision, externally tagged as serde does:
// "Granted", "Timeout", or {"Denied":{"reason":…}}. The map form of a unit
// variant ({"Granted":null}) reads as the unit variant.
func (c *Canonicalizer) decision(i int) (int, error) {
	switch c.data[i] {
	case '"':
		mark := len(c.out)
		end, err := c.str(i)
		if err != nil {
			return 0, err
		}
		switch string(c.out[mark:]) {
		case `"Granted"`, `"Timeout"`:
			return end, nil
		case `"Denied"`:
			return 0, c.errorf(i, `variant "Denied" needs a reason: {"Denied":{"reason":…}}`)
		}
		return 0, c.errorf(i, "unknown variant %s (expected Granted, Denied or Timeout)", c.out[mark:])
	case '{':
		base := len(c.members)
		end, err := c.scanObject(i)
		if err != nil {
			return 0, err
		}
		defer func() { c.members = c.members[:base] }()
		members := c.members[base:]
		if len(members) != 1 {
			return 0, c.errorf(i, "decision object must have exactly one key (Granted, Denied or Timeout)")
		}
		m := members[0]
		switch string(m.key) {
		case "Granted", "Timeout":
			if c.data[m.val.start] != 'n' || m.val.end-m.val.start != 4 {
				return 0, c.errorf(m.val.start, "unit variant %q takes no value", m.key)
			}
			c.out = append(c.out, '"')
			c.out = append(c.out, m.key...)
			c.out = append(c.out, '"')
			return end, nil
		case "Denied":
			c.out = append(c.out, `{"Denied":`...)
			c.path = append(c.path, pathElem{name: "Denied", index: -1})
			vend, err := c.object(m.val.start, tables.denied)
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return 0, err
			}
			if vend != m.val.end {
				return 0, c.syntax(vend, "unexpected characters after value")
			}
			c.out = append(c.out, '}')
			return end, nil
		}
		return 0, c.errorf(m.keyTok.start, "unknown variant %s (expected Granted, Denied or Timeout)",
			canon.AppendString(nil, string(m.key)))
	}
	return 0, c.typeError(i, kDecision.String())
}

// integer writes the integer at i, which must fit k. Like serde_json, a
// literal with a fraction or exponent (or -0) is a float, never an integer.
func (c *Canonicalizer) integer(i int, k kind) (int, error) {
	d := c.data
	j := i
	neg := j < len(d) && d[j] == '-'
	if neg {
		j++
	}
	if j >= len(d) || d[j] < '0' || d[j] > '9' {
		if neg {
			return 0, c.syntax(i, "invalid number")
		}
		return 0, c.typeError(i, k.String())
	}
	var v uint64
	overflow := false
	if d[j] == '0' {
		j++
	} else {
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			x := v*10 + uint64(d[j]-'0')
			if v > (1<<64-1)/10 || x < v*10 {
				overflow = true
			}
			v = x
			j++
		}
	}
	if j < len(d) && (d[j] == '.' || d[j] == 'e' || d[j] == 'E' || (d[j] >= '0' && d[j] <= '9')) {
		n, err := canon.ScanNumber(d[i:])
		if err != nil || n <= j-i {
			return 0, c.syntax(i, "invalid number")
		}
		return 0, c.errorf(i, "expected %s, found floating point %s", k, d[i:i+n])
	}
	lit := d[i:j]
	if neg && v == 0 {
		return 0, c.errorf(i, "expected %s, found floating point -0.0", k)
	}
	var ok bool
	switch k {
	case kU16:
		ok = !neg && !overflow && v <= 1<<16-1
	case kU32:
		ok = !neg && !overflow && v <= 1<<32-1
	case kU64:
		ok = !neg && !overflow
	case kI32:
		ok = !overflow && ((!neg && v <= 1<<31-1) || (neg && v <= 1<<31))
	}
	if !ok {
		return 0, c.errorf(i, "%s out of range for %s", lit, k)
	}
	c.out = append(c.out, lit...)
	return j, nil
}

// generic writes any JSON value canonically: objects keep their key order.
func (c *Canonicalizer) generic(i, depth int) (int, error) {
	d := c.data
	if i >= len(d) {
		return 0, c.syntax(i, "unexpected end of input")
	}
	switch b := d[i]; {
	case b == '"':
		return c.str(i)
	case b == '{':
		if depth >= canon.MaxDepth {
			return 0, c.syntax(i, fmt.Sprintf("nesting deeper than %d", canon.MaxDepth))
		}
		keyBase := len(c.keys)
		defer func() { c.keys = c.keys[:keyBase] }()
		c.out = append(c.out, '{')
		j := skipSpace(d, i+1)
		if j < len(d) && d[j] == '}' {
			c.out = append(c.out, '}')
			return j + 1, nil
		}
		for {
			if j >= len(d) || d[j] != '"' {
				return 0, c.syntax(j, "expected object key string")
			}
			kend, err := skipString(d, j)
			if err != nil {
				return 0, c.syntax(j, err.Error())
			}
			if err := c.key(span{j, kend}, keyBase); err != nil {
				return 0, err
			}
			j = skipSpace(d, kend)
			if j >= len(d) || d[j] != ':' {
				return 0, c.syntax(j, "expected ':' after object key")
			}
			c.out = append(c.out, ':')
			j, err = c.generic(skipSpace(d, j+1), depth+1)
			if err != nil {
				return 0, err
			}
			j = skipSpace(d, j)
			if j >= len(d) {
				return 0, c.syntax(j, "unterminated object")
			}
			switch d[j] {
			case ',':
				c.out = append(c.out, ',')
				j = skipSpace(d, j+1)
			case '}':
				c.out = append(c.out, '}')
				return j + 1, nil
			default:
				return 0, c.syntax(j, "expected ',' or '}' in object")
			}
		}
	case b == '[':
		if depth >= canon.MaxDepth {
			return 0, c.syntax(i, fmt.Sprintf("nesting deeper than %d", canon.MaxDepth))
		}
		c.out = append(c.out, '[')
		j := skipSpace(d, i+1)
		if j < len(d) && d[j] == ']' {
			c.out = append(c.out, ']')
			return j + 1, nil
		}
		for {
			var err error
			j, err = c.generic(j, depth+1)
			if err != nil {
				return 0, err
			}
			j = skipSpace(d, j)
			if j >= len(d) {
				return 0, c.syntax(j, "unterminated array")
			}
			switch d[j] {
			case ',':
				c.out = append(c.out, ',')
				j = skipSpace(d, j+1)
			case ']':
				c.out = append(c.out, ']')
				return j + 1, nil
			default:
				return 0, c.syntax(j, "expected ',' or ']' in array")
			}
		}
	case b == '-' || (b >= '0' && b <= '9'):
		n, err := canon.ScanNumber(d[i:])
		if err != nil {
			return 0, c.syntax(i, err.Error())
		}
		lit := d[i : i+n]
		if plainInteger(lit) {
			c.out = append(c.out, lit...)
			return i + n, nil
		}
		text, err := canon.CanonicalNumber(string(lit))
		if err != nil {
			return 0, c.syntax(i, err.Error())
		}
		c.out = append(c.out, text...)
		return i + n, nil
	case b == 't':
		return c.literal(i, "true")
	case b == 'f':
		return c.literal(i, "false")
	case b == 'n':
		return c.literal(i, "null")
	}
	return 0, c.syntax(i, fmt.Sprintf("unexpected character %q", rune(d[i])))
}

// plainInteger reports whether lit is an integer literal that serde_json
// writes back unchanged: no fraction or exponent, not -0, and few enough
// digits to fit in an i64 whatever they are.
func plainInteger(lit []byte) bool {
	if len(lit) == 0 || len(lit) > 18 {
		return false
	}
	for _, b := range lit[1:] {
		if b < '0' || b > '9' {
			return false
		}
	}
	return (lit[0] >= '0' && lit[0] <= '9') || (lit[0] == '-' && len(lit) > 1 && string(lit) != "-0")
}

func (c *Canonicalizer) literal(i int, word string) (int, error) {
	if !bytes.HasPrefix(c.data[i:], []byte(word)) {
		return 0, c.syntax(i, "invalid literal, expected "+word)
	}
	c.out = append(c.out, word...)
	return i + len(word), nil
}

// scanObject finds the members of the object at i ('{'), appending them
// to c.members, and returns the offset after its '}'. Values are only
// skipped here; whoever writes them validates them.
func (c *Canonicalizer) scanObject(i int) (int, error) {
	d := c.data
	j := skipSpace(d, i+1)
	if j < len(d) && d[j] == '}' {
		return j + 1, nil
	}
	for {
		if j >= len(d) || d[j] != '"' {
			return 0, c.syntax(j, "expected object key string")
		}
		kstart := j
		kend, err := skipString(d, j)
		if err != nil {
			return 0, c.syntax(j, err.Error())
		}
		key := d[kstart+1 : kend-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			s, _, err := canon.UnquoteAt(d[kstart:kend])
			if err != nil {
				return 0, c.syntax(kstart, err.Error())
			}
			key = []byte(s)
		}
		j = skipSpace(d, kend)
		if j >= len(d) || d[j] != ':' {
			return 0, c.syntax(j, "expected ':' after object key")
		}
		j = skipSpace(d, j+1)
		vend, err := skipValue(d, j)
		if err != nil {
			return 0, c.syntax(j, err.Error())
		}
		c.members = append(c.members, member{key: key, keyTok: span{kstart, kend}, val: span{j, vend}})
		j = skipSpace(d, vend)
		if j >= len(d) {
			return 0, c.syntax(j, "unterminated object")
		}
		switch d[j] {
		case ',':
			j = skipSpace(d, j+1)
		case '}':
			return j + 1, nil
		default:
			return 0, c.syntax(j, "expected ',' or '}' in object")
		}
	}
}

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
		for j+8 <= len(d) && plain8(d[j:j+8]) {
			j += 8
		}
		for j < len(d) && plainByte[d[j]] {
			j++
		}
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
		for j+8 <= len(data) && plain8(data[j:j+8]) {
			j += 8
		}
		for j < len(data) && plainByte[data[j]] {
			j++
		}
		if j >= len(data) {
			return dst, 0, fmt.Errorf("unterminated string")
		}
		switch b := data[j]; {
		case b == '"':
			return append(dst, data[start:j]...), j + 1, nil
		case b == '\\':
			dst = append(dst, data[start:j]...)
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

// plain8 reports whether all eight bytes are plain (see plainByte), eight
// at a time: no byte below 0x20, at or above 0x80, '"' or '\'.
func plain8(b []byte) bool {
	x := binary.LittleEndian.Uint64(b)
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	less20 := (x - lo*0x20) & ^x
	quote := x ^ (lo * '"')
	bslash := x ^ (lo * '\\')
	hasQuote := (quote - lo) & ^quote
	hasBslash := (bslash - lo) & ^bslash
	return (x|less20|hasQuote|hasBslash)&hi == 0
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

// SkipValue validates the JSON value at the start of data and returns its
// length, using c's scratch space.
func (c *Canonicalizer) SkipValue(data []byte) (int, error) {
	c.data, c.out = data, c.scratch[:0]
	c.keys, c.path = c.keys[:0], c.path[:0]
	defer func() { c.data, c.scratch, c.out = nil, c.out[:0], nil }()
	return c.generic(0, 0)
}

// describe names the JSON type of the value at i for messages.
func (c *Canonicalizer) describe(i int) string {
	if i >= len(c.data) {
		return "end of input"
	}
	switch b := c.data[i]; {
	case b == '"':
		return "string"
	case b == '{':
		return "object"
	case b == '[':
		return "array"
	case b == 't' || b == 'f':
		return "boolean"
	case b == 'n':
		return "null"
	case b == '-' || (b >= '0' && b <= '9'):
		n, err := canon.ScanNumber(c.data[i:])
		if err == nil {
			return "number " + string(c.data[i:i+n])
		}
		return "number"
	}
	return fmt.Sprintf("%q", rune(c.data[i]))
}

func (c *Canonicalizer) typeError(i int, want string) error {
	return c.errorf(i, "expected %s, found %s", want, c.describe(i))
}

func (c *Canonicalizer) errorf(i int, format string, args ...any) error {
	return &Error{Path: c.pathString(), Offset: i, Msg: fmt.Sprintf(format, args...)}
}

func (c *Canonicalizer) syntax(i int, msg string) error {
	return &Error{Path: c.pathString(), Offset: i, Msg: fmt.Sprintf("invalid JSON at byte %d: %s", i, msg)}
}

func (c *Canonicalizer) pathString() string {
	var b strings.Builder
	for _, p := range c.path {
		if p.index >= 0 {
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.name)
	}
	return b.String()
}

func variantNames(t *tagged) string {
	return strings.Join(slices.Sorted(maps.Keys(t.variants)), ", ")
}
