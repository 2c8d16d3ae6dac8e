package event

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
)

// fieldError is an event that cannot be canonicalized. Path names the field
// (for example "capability_decision.entry.request.child_pid"); Offset is
// the byte offset in the input where the problem was found.
type fieldError struct {
	Path   string
	Offset int
	Msg    string
	err    error // the scanner's, when it found the problem
}

func (e *fieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Unwrap returns the scanner's *canon.SyntaxError behind a malformed
// input (it matches io.ErrUnexpectedEOF for a torn one).
func (e *fieldError) Unwrap() error { return e.err }

// Canonicalizer turns event JSON into its canonical bytes, reusing its
// scratch space from one call to the next so that a stream of events costs
// no allocation per event. The zero value is ready to use. It is not safe
// for concurrent use; give each goroutine its own.
//
// It reads the event once, front to back, through a canon.Scanner, and
// writes each member as it meets it, prefixed by its declared name. An
// object whose members came in declared order (canonical input, the usual
// case) is then complete; any other object is put in declared order from
// the members already written.
type Canonicalizer struct {
	sc      canon.Scanner // the input of Append
	look    canon.Scanner // finds a tag that is not an object's first member
	s       *canon.Scanner
	out     []byte
	open    bool
	members []written // members of the object being put in order
	tmp     []byte
	path    []pathElem
	unknown string // what the last event held that the schema does not know
	reorder int    // objects put in order (tests watch the in-order path)
}

// written is one member written to out, as `"name":value`, found again
// when an object must be put in order.
type written struct {
	field      int // declared index, or -1 for a member the schema does not know
	after      int // the declared index of the known member before it, or -1
	start, end int
}

// Canonicalize returns the canonical bytes of one event under the input
// rules (Append).
func Canonicalize(raw []byte) ([]byte, error) {
	var c Canonicalizer
	return c.Append(nil, raw)
}

// Append appends the canonical form of the event in raw (one JSON object,
// surrounding whitespace allowed) to dst under the input rules, those of
// nono-chain: an object whose "type" names an upstream event type is
// re-encoded in declared key order with upstream's omission rules; an
// object of a type of the user's own is re-encoded compactly in input key
// order. It fails on invalid JSON, duplicate keys, invalid UTF-8, a
// missing or mistyped field, an enum value or variant the schema does not
// list, and any key a known type does not declare, so nothing is dropped
// silently and nothing is guessed.
func (c *Canonicalizer) Append(dst, raw []byte) ([]byte, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return dst, &fieldError{Msg: "empty input, expected an event object"}
	}
	c.sc.Reset(raw)
	out, err := c.run(dst, &c.sc, false)
	if err == nil {
		if err = c.sc.End(); err != nil {
			err = c.wrap(err)
		}
	}
	if err != nil {
		return dst, err
	}
	return out, nil
}

// AppendOpen reads one event from s (the value due next) and appends its
// canonical form under the open rules, those of verification: known
// fields are held to their declared shape and order exactly as under the
// input rules, while a type, field, variant or enum value the schema does
// not know is kept as it stands (re-encoded canonically, key order kept,
// in its place among the known fields) and noted in Unknown. The event's
// integrity never depends on knowing its schema: the canonical form of an
// event a newer recorder wrote is the event itself.
func (c *Canonicalizer) AppendOpen(dst []byte, s *canon.Scanner) ([]byte, error) {
	return c.run(dst, s, true)
}

// Unknown names the first thing in the event last read by AppendOpen that
// this version's schema does not know ("network.event.spiffe_context",
// "event type \"deploy\""), or "" when it knew everything.
func (c *Canonicalizer) Unknown() string { return c.unknown }

func (c *Canonicalizer) run(dst []byte, s *canon.Scanner, open bool) ([]byte, error) {
	c.s, c.out, c.open, c.unknown = s, dst, open, ""
	c.members, c.path = c.members[:0], c.path[:0]
	defer func() { c.s, c.out = nil, nil }()
	k, err := s.Peek()
	if err != nil {
		return dst, c.wrap(err)
	}
	if k != canon.Object {
		return dst, c.errorf("event must be a JSON object, found %s", c.describe(k))
	}
	if err := c.tagged(&eventTypes, true); err != nil {
		return dst, err
	}
	return c.out, nil
}

// noteUnknown records what the schema does not know (open rules only).
func (c *Canonicalizer) noteUnknown(what string) {
	if c.unknown == "" {
		c.unknown = what
	}
}

// tagged writes the object due next as a variant of t, the tag first.
// At the top level (event) a tag value the table does not list is a
// user's own type; elsewhere it is an unknown variant.
func (c *Canonicalizer) tagged(t *tagged, event bool) error {
	at := c.s.Offset()
	if err := c.s.Object(); err != nil {
		return c.wrap(err)
	}
	key, more, err := c.s.NextMember()
	if err != nil {
		return c.wrap(err)
	}
	tagFirst := more && string(key) == t.tag
	var name []byte
	if tagFirst {
		k, err := c.s.Peek()
		if err != nil {
			return c.wrap(err)
		}
		if k != canon.String {
			return c.errorf("field %q must be a string, found %s", t.tag, c.describe(k))
		}
		if name, err = c.s.String(); err != nil {
			return c.wrap(err)
		}
	} else if name, err = c.findTag(t, at); err != nil {
		return err
	}
	start := len(c.out)
	c.out = append(c.out, '{')
	c.out = canon.AppendString(c.out, t.tag)
	c.out = append(c.out, ':')
	c.out = canon.AppendStringBytes(c.out, name)
	s := t.variant(name)
	if s == nil {
		switch {
		case event && !c.open: // a user's own type: written as it came
		case event:
			c.noteUnknown(fmt.Sprintf("event type %s", canon.AppendStringBytes(nil, name)))
		case c.open:
			c.noteUnknown(fmt.Sprintf("%s %s %s", c.pathString(), t.tag, canon.AppendStringBytes(nil, name)))
		default:
			return c.errorAt(at, "unknown %s %s (expected one of %s)", t.tag, canon.AppendStringBytes(nil, name), variantNames(t))
		}
		if tagFirst {
			return c.asItStands(nil, false, false)
		}
		c.out = append(c.out[:start], '{')
		return c.asItStands(key, true, true)
	}
	if event { // the event's type heads every path
		c.path = append(c.path, s.id)
	}
	if tagFirst {
		key, more = nil, false
	}
	err = c.fields(s, at, key, more, t.tag, false)
	if event && err == nil {
		c.path = c.path[:len(c.path)-1]
	}
	return err
}

// findTag looks ahead through the object that starts at at for the value
// of t's tag, leaving c.s where it is.
func (c *Canonicalizer) findTag(t *tagged, at int) ([]byte, error) {
	c.look.ResetAt(c.s.Data(), at)
	if err := c.look.Object(); err != nil {
		return nil, c.wrap(err)
	}
	for {
		key, more, err := c.look.NextMember()
		if err != nil {
			return nil, c.wrap(err)
		}
		if !more {
			return nil, c.errorAt(at, "missing field %q", t.tag)
		}
		if string(key) != t.tag {
			continue
		}
		k, err := c.look.Peek()
		if err != nil {
			return nil, c.wrap(err)
		}
		if k != canon.String {
			return nil, c.errorAt(c.look.Offset(), "field %q must be a string, found %s", t.tag, c.describe(k))
		}
		name, err := c.look.String()
		if err != nil {
			return nil, c.wrap(err)
		}
		return name, nil
	}
}

// asItStands writes the rest of an object the schema does not describe:
// members in input order, values re-encoded canonically. key is a member
// already announced (when have), first whether nothing follows the '{'.
func (c *Canonicalizer) asItStands(key []byte, have, first bool) error {
	for {
		if !have {
			var err error
			if key, have, err = c.s.NextMember(); err != nil {
				return c.wrap(err)
			}
			if !have {
				break
			}
		}
		have = false
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		c.out = canon.AppendStringBytes(c.out, key)
		c.out = append(c.out, ':')
		var err error
		if c.out, err = c.s.AppendCompact(c.out); err != nil {
			return c.wrap(err)
		}
	}
	c.out = append(c.out, '}')
	return nil
}

// object writes the object due next according to s.
func (c *Canonicalizer) object(s *schema) error {
	at := c.s.Offset()
	if err := c.s.Object(); err != nil {
		return c.wrap(err)
	}
	c.out = append(c.out, '{')
	return c.fields(s, at, nil, false, "", true)
}

// fields writes the members of the object whose '{' (and tag, if any) has
// been read and written, and closes it. key is a member already announced
// (when have); tag is a member to pass over (the tag, written already);
// first says whether nothing has been written after the '{'.
func (c *Canonicalizer) fields(s *schema, at int, key []byte, have bool, tag string, first bool) error {
	region, startFirst := len(c.out), first // members are written from region
	var seen uint64
	last, inOrder := -1, true
	for {
		var k canon.Kind
		if !have {
			var err error
			if key, k, have, err = c.s.NextMemberKind(); err != nil {
				return c.wrap(err)
			}
			if !have {
				break
			}
		} else {
			var err error
			if k, err = c.s.Peek(); err != nil {
				return c.wrap(err)
			}
		}
		have = false
		idx := s.lookup(key, last)
		if idx < 0 {
			if tag != "" && string(key) == tag {
				if err := c.s.Skip(); err != nil { // read already by findTag
					return c.wrap(err)
				}
				continue
			}
			if err := c.undeclared(s, key, &first); err != nil {
				return err
			}
			continue
		}
		if idx < last {
			inOrder = false
		}
		last = idx
		seen |= 1 << idx
		if err := c.member(&s.fields[idx], k, &first); err != nil {
			return err
		}
	}
	if seen&s.need != s.need {
		for idx := range s.fields {
			if seen&(1<<idx) != 0 {
				continue
			}
			switch s.fields[idx].pres {
			case required:
				return c.errorAt(at, "missing field %q", s.fields[idx].name)
			case nullable:
				inOrder = false // written as null in its place
			}
		}
	}
	if !inOrder {
		c.putInOrder(s, region, startFirst)
	}
	c.out = append(c.out, '}')
	return nil
}

// member writes one declared member whose value is due next. On an error
// the path to the value is left in c.path.
func (c *Canonicalizer) member(fd *field, k canon.Kind, first *bool) error {
	c.path = append(c.path, fd.id)
	if k == canon.Null {
		switch fd.pres {
		case required, omitEmpty:
			return c.typeError(fd.kind.String(), k)
		case omitNone: // None: the canonical form has no key
			if err := c.s.Null(); err != nil {
				return c.wrap(err)
			}
			c.path = c.path[:len(c.path)-1]
			return nil
		}
	}
	mark := len(c.out)
	if !*first {
		c.out = append(c.out, ',')
	}
	start := len(c.out)
	c.out = append(c.out, fd.key...)
	var err error
	if k == canon.Null { // nullable
		c.out = append(c.out, "null"...)
		err = c.wrap(c.s.Null())
	} else {
		err = c.value(fd, k)
	}
	if err != nil {
		return err
	}
	c.path = c.path[:len(c.path)-1]
	if fd.pres == omitEmpty && string(c.out[start+len(fd.name)+3:]) == "[]" {
		c.out = c.out[:mark] // an empty Vec is skipped
		return nil
	}
	*first = false
	return nil
}

// undeclared handles a member s does not declare, whose value is due
// next: an error under the input rules, kept as it stands under the open
// rules.
func (c *Canonicalizer) undeclared(s *schema, key []byte, first *bool) error {
	if !c.open {
		names := make([]string, len(s.fields))
		for i, fd := range s.fields {
			names[i] = fd.name
		}
		return c.errorf("unknown field %s (known: %s)", canon.AppendStringBytes(nil, key), strings.Join(names, ", "))
	}
	c.noteUnknown(c.pathWith(string(key)))
	if !*first {
		c.out = append(c.out, ',')
	}
	*first = false
	c.out = canon.AppendStringBytes(c.out, key)
	c.out = append(c.out, ':')
	var err error
	if c.out, err = c.s.AppendCompact(c.out); err != nil {
		return c.wrap(err)
	}
	return nil
}

// putInOrder rewrites the members written since region, which are
// canonical, in declared order: absent nullable fields as null, and each
// member the schema does not know after the known one it followed. first
// says whether nothing precedes region inside the object.
func (c *Canonicalizer) putInOrder(s *schema, region int, first bool) {
	c.reorder++
	body := c.out[region:]
	if len(body) > 0 && body[0] == ',' { // after the tag
		body = body[1:]
	}
	c.tmp = append(append(append(c.tmp[:0], '{'), body...), '}')
	c.out = c.out[:region]
	c.members = c.members[:0]
	var slot [64]int16 // index in c.members of each declared field, -1 if absent
	for i := range s.fields {
		slot[i] = -1
	}
	unknowns, last := 0, -1
	c.look.Reset(c.tmp)
	c.look.Object()
	for {
		start := c.look.Offset()
		if c.tmp[start] == ',' {
			start++
		}
		key, more, _ := c.look.NextMember()
		if !more {
			break
		}
		c.look.Skip()
		m := written{field: s.lookup(key, -1), after: last, start: start, end: c.look.Offset()}
		if m.field >= 0 {
			slot[m.field] = int16(len(c.members))
			last = m.field
		} else {
			unknowns++
		}
		c.members = append(c.members, m)
	}
	comma := func() {
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
	}
	unknownAfter := func(idx int) {
		if unknowns == 0 {
			return
		}
		for _, m := range c.members {
			if m.field < 0 && m.after == idx {
				comma()
				c.out = append(c.out, c.tmp[m.start:m.end]...)
			}
		}
	}
	unknownAfter(-1)
	for idx, fd := range s.fields {
		switch i := slot[idx]; {
		case i >= 0:
			comma()
			c.out = append(c.out, c.tmp[c.members[i].start:c.members[i].end]...)
		case fd.pres == nullable:
			comma()
			c.out = append(c.out, '"')
			c.out = append(c.out, fd.name...)
			c.out = append(c.out, `":null`...)
		}
		unknownAfter(idx)
	}
}

// value writes the value due next, of JSON type k, as field fd requires.
func (c *Canonicalizer) value(fd *field, k canon.Kind) error {
	var err error
	switch fd.kind {
	case kString:
		if k != canon.String {
			return c.typeError("string", k)
		}
		c.out, err = c.s.AppendCanonicalString(c.out)
	case kBool:
		if k != canon.Bool {
			return c.typeError("boolean", k)
		}
		var b bool
		if b, err = c.s.Bool(); b {
			c.out = append(c.out, "true"...)
		} else {
			c.out = append(c.out, "false"...)
		}
	case kU16, kU32, kU64, kNanos:
		if k != canon.Number {
			return c.typeError(fd.kind.String(), k)
		}
		at := c.s.Offset()
		var v uint64
		if v, err = c.s.Uint(fd.kind.bits()); err == nil && fd.kind == kNanos && v >= 1e9 {
			return c.errorAt(at, "%d is not below 10^9: not canonical (upstream would carry it into secs_since_epoch)", v)
		}
		c.out = strconv.AppendUint(c.out, v, 10)
	case kI32:
		if k != canon.Number {
			return c.typeError("i32", k)
		}
		var v int64
		v, err = c.s.Int(32)
		c.out = strconv.AppendInt(c.out, v, 10)
	case kEnum:
		return c.enum(fd.enum, k)
	case kStrings:
		return c.array(k, "array of strings", func(k canon.Kind) error {
			if k != canon.String {
				return c.typeError("string", k)
			}
			var err error
			c.out, err = c.s.AppendCanonicalString(c.out)
			return c.wrap(err)
		})
	case kObject:
		if k != canon.Object {
			return c.typeError("object", k)
		}
		return c.object(fd.obj)
	case kObjects:
		return c.array(k, "array of objects", func(k canon.Kind) error {
			if k != canon.Object {
				return c.typeError("object", k)
			}
			return c.object(fd.obj)
		})
	case kRequest:
		if k != canon.Object {
			return c.typeError("object", k)
		}
		return c.tagged(&requestTypes, false)
	case kDecision:
		return c.decision(k)
	}
	return c.wrap(err)
}

// array writes the array due next, each element by elem.
func (c *Canonicalizer) array(k canon.Kind, want string, elem func(canon.Kind) error) error {
	if k != canon.Array {
		return c.typeError(want, k)
	}
	if err := c.s.Array(); err != nil {
		return c.wrap(err)
	}
	c.out = append(c.out, '[')
	for n := 0; ; n++ {
		more, err := c.s.NextElement()
		if err != nil {
			return c.wrap(err)
		}
		if !more {
			break
		}
		if n > 0 {
			c.out = append(c.out, ',')
		}
		k, err := c.s.Peek()
		if err != nil {
			return c.wrap(err)
		}
		c.path = append(c.path, pathElem(-n-1))
		if err = elem(k); err != nil {
			return err
		}
		c.path = c.path[:len(c.path)-1]
	}
	c.out = append(c.out, ']')
	return nil
}

// enum writes the string due next, which must be one of values (under the
// open rules another value is kept and noted).
func (c *Canonicalizer) enum(values []string, k canon.Kind) error {
	if k != canon.String {
		return c.typeError("string", k)
	}
	at := c.s.Offset()
	got, err := c.s.String()
	if err != nil {
		return c.wrap(err)
	}
	c.out = canon.AppendStringBytes(c.out, got)
	if slices.Contains(values, string(got)) {
		return nil
	}
	if c.open {
		c.noteUnknown(fmt.Sprintf("%s value %s", c.pathString(), canon.AppendStringBytes(nil, got)))
		return nil
	}
	return c.errorAt(at, "unknown variant %s (expected one of %s)", canon.AppendStringBytes(nil, got), strings.Join(values, ", "))
}

// decision writes an ApprovalDecision, externally tagged as serde does:
// "Granted", "Timeout", or {"Denied":{"reason":…}}. The map form of a unit
// variant ({"Granted":null}) reads as the unit variant.
func (c *Canonicalizer) decision(k canon.Kind) error {
	at := c.s.Offset()
	switch k {
	case canon.String:
		name, err := c.s.String()
		if err != nil {
			return c.wrap(err)
		}
		c.out = canon.AppendStringBytes(c.out, name)
		switch string(name) {
		case "Granted", "Timeout":
			return nil
		case "Denied":
			return c.errorAt(at, `variant "Denied" needs a reason: {"Denied":{"reason":…}}`)
		}
		if c.open {
			c.noteUnknown(fmt.Sprintf("%s variant %s", c.pathString(), canon.AppendStringBytes(nil, name)))
			return nil
		}
		return c.errorAt(at, "unknown variant %s (expected Granted, Denied or Timeout)", canon.AppendStringBytes(nil, name))
	case canon.Object:
	default:
		return c.typeError(kDecision.String(), k)
	}
	if err := c.s.Object(); err != nil {
		return c.wrap(err)
	}
	key, more, err := c.s.NextMember()
	if err != nil {
		return c.wrap(err)
	}
	if !more {
		return c.errorAt(at, "decision object must have exactly one key (Granted, Denied or Timeout)")
	}
	switch string(key) {
	case "Granted", "Timeout":
		vk, err := c.s.Peek()
		if err != nil {
			return c.wrap(err)
		}
		if vk != canon.Null {
			return c.errorf("unit variant %q takes no value", key)
		}
		if err := c.s.Null(); err != nil {
			return c.wrap(err)
		}
		c.out = canon.AppendStringBytes(c.out, key)
	case "Denied":
		vk, err := c.s.Peek()
		if err != nil {
			return c.wrap(err)
		}
		c.out = append(c.out, `{"Denied":`...)
		c.path = append(c.path, deniedID)
		if vk != canon.Object {
			return c.typeError("object", vk)
		}
		if err := c.object(deniedSchema()); err != nil {
			return err
		}
		c.path = c.path[:len(c.path)-1]
		c.out = append(c.out, '}')
	default:
		if !c.open {
			return c.errorAt(at, "unknown variant %s (expected Granted, Denied or Timeout)", canon.AppendStringBytes(nil, key))
		}
		c.noteUnknown(fmt.Sprintf("%s variant %s", c.pathString(), canon.AppendStringBytes(nil, key)))
		c.out = append(c.out, '{')
		return c.asItStands(key, true, true)
	}
	if _, more, err = c.s.NextMember(); err != nil {
		return c.wrap(err)
	}
	if more {
		return c.errorAt(at, "decision object must have exactly one key (Granted, Denied or Timeout)")
	}
	return nil
}

// describe names a JSON type for messages, with the number when it is one.
func (c *Canonicalizer) describe(k canon.Kind) string {
	if k == canon.Number {
		data, at := c.s.Data(), c.s.Offset()
		if n, err := canon.ScanNumber(data[at:]); err == nil {
			return "number " + string(data[at:at+n])
		}
	}
	return k.String()
}

func (c *Canonicalizer) typeError(want string, k canon.Kind) error {
	return c.errorf("expected %s, found %s", want, c.describe(k))
}

// errorf is an error at the scanner's offset, errorAt one at another.
func (c *Canonicalizer) errorf(format string, args ...any) error {
	return c.errorAt(c.s.Offset(), format, args...)
}

func (c *Canonicalizer) errorAt(at int, format string, args ...any) error {
	return &fieldError{Path: c.pathString(), Offset: at, Msg: fmt.Sprintf(format, args...)}
}

// wrap adds the current path to an error of the scanner.
func (c *Canonicalizer) wrap(err error) error {
	if err == nil {
		return nil
	}
	return c.wrapError(err)
}

func (c *Canonicalizer) wrapError(err error) error {
	var se *canon.SyntaxError
	if errors.As(err, &se) {
		return &fieldError{Path: c.pathString(), Offset: se.Offset, Msg: se.Error(), err: se}
	}
	return err
}

func (c *Canonicalizer) pathString() string {
	var b strings.Builder
	for _, p := range c.path {
		if p < 0 {
			b.WriteString("[" + strconv.Itoa(int(-p-1)) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(pathName(p))
	}
	return b.String()
}

func (c *Canonicalizer) pathWith(name string) string {
	if p := c.pathString(); p != "" {
		return p + "." + name
	}
	return name
}

func variantNames(t *tagged) string {
	return strings.Join(slices.Sorted(maps.Keys(t.variants)), ", ")
}
