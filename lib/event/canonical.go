package event

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

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
// The work is driven by the schema table. An object whose members already
// come in declared order (canonical input, the usual case) is written in
// one pass (fast.go). Any other object is scanned once to find where each
// member's value lies, then written in declared order; either way each
// value is validated and re-encoded as it is copied.
type Canonicalizer struct {
	data    []byte
	out     []byte
	typed   bool // drop undeclared keys (upstream's typed view) instead of failing
	members []member
	slots   []span
	keys    []span // canonical keys already written, for duplicate checks
	path    []pathElem
	scratch []byte // output space of SkipValue
	general int    // objects written by the general path (tests watch the fast path)
	noFast  bool   // tests: always take the general path
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
	if !c.noFast {
		if end, ok, err := c.taggedFast(i, &tables.events, true); ok || err != nil {
			return end, err
		}
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
	if !c.noFast {
		if end, ok, err := c.objectFast(i, s); ok || err != nil {
			return end, err
		}
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
	if !c.noFast {
		if end, ok, err := c.taggedFast(i, t, false); ok || err != nil {
			return end, err
		}
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
	c.general++
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
