package redact

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nono-audit/nono/lib/canon"
)

// Events scrubs audit events (audit-format.md §2.2), one JSON object a
// line, leaving every byte it does not change as it was: one scan with
// canon's Scanner checks the line and finds the fields without decoding
// the others, and only a value that changes is re-encoded (canonically)
// and spliced in. A line with nothing to scrub costs that scan and a few
// lookups. An Events is not safe for concurrent use (it keeps a memo of
// recent values and its scanners).
type Events struct {
	Policy *Policy
	Rules  Rules

	sc, look canon.Scanner
	elems    []element

	// memo remembers the scrubbed form of recent field values: a log
	// repeats the same hosts, URLs, paths, reasons and commands, and
	// scrubbing is a pure function of the value.
	memo map[string]memoEntry
}

type memoEntry struct {
	out     string
	changed bool
}

const (
	memoEntries  = 8192 // the memo is emptied when it holds this many
	memoMaxValue = 512  // longer values are not remembered
)

// The fields that can carry a secret, by event type. Every member with a
// listed name is scrubbed, so a duplicated key cannot smuggle a value past.
type fieldKind uint8

const (
	fieldValue        fieldKind = iota + 1 // a string: scrubValue
	fieldArgv                              // an array of strings: ScrubArgv
	fieldEnvNames                          // an array of variable names: scrubEnvName
	fieldEnvDisplay                        // an array of {name, value_display}
	fieldObject                            // an object: its own fields
	fieldEndpointPath                      // "path" of an endpoint request: a URL path
	fieldArgs                              // arguments of the program in the sibling named by program
)

type field struct {
	kind    fieldKind
	sub     fields
	program string // fieldArgs: the sibling member naming the program
}

// fields maps member names to what is done with them; lens has bit n set
// when a name of n bytes is present, so most members are passed over
// without hashing their names.
type fields struct {
	m    map[string]field
	lens uint64
}

func newFields(m map[string]field) fields {
	f := fields{m: m}
	for k := range m {
		f.lens |= lenBit(len(k))
	}
	return f
}

func (fs fields) lookup(key []byte) (field, bool) {
	if fs.lens&lenBit(len(key)) == 0 {
		return field{}, false
	}
	f, ok := fs.m[string(key)]
	return f, ok
}

var (
	value = field{kind: fieldValue}
	argv  = field{kind: fieldArgv}

	// eventFields is built on first use (see tools).
	eventFields = sync.OnceValue(func() map[string]fields {
		return map[string]fields{
			"session_started": newFields(map[string]field{"command": argv}),
			"url_open": newFields(map[string]field{
				"request": {kind: fieldObject, sub: newFields(map[string]field{"url": value})},
				"error":   value,
			}),
			"capability_decision": newFields(map[string]field{"entry": {kind: fieldObject, sub: newFields(map[string]field{
				"request": {kind: fieldObject, sub: newFields(map[string]field{
					"reason":   value,
					"args":     {kind: fieldArgs, program: "command"},
					"command":  value,
					"upstream": value,
					"path":     {kind: fieldEndpointPath},
				})},
				"decision": {kind: fieldObject, sub: newFields(map[string]field{
					"Denied": {kind: fieldObject, sub: newFields(map[string]field{"reason": value})},
				})},
			})}}),
			"network": newFields(map[string]field{"event": {kind: fieldObject, sub: newFields(map[string]field{
				"target":                     value,
				"upstream":                   value,
				"path":                       value,
				"reason":                     value,
				"endpoint_policy_rule":       value,
				"credential_capture_command": value,
				"credential_capture_argv":    {kind: fieldArgs, program: "credential_capture_command"},
				"credential_capture_stderr":  value,
			})}}),
			"command_policy": newFields(map[string]field{"event": {kind: fieldObject, sub: newFields(map[string]field{
				"command":           value,
				"caller_command":    value,
				"reason":            value,
				"argv_display":      argv,
				"env_names_display": {kind: fieldEnvNames},
				"env_display":       {kind: fieldEnvDisplay},
				"cwd_display":       value,
			})}}),
		}
	})
)

// errInvalidJSON is the error for a line that is not JSON.
var errInvalidJSON = errors.New("invalid JSON")

// invalid wraps a scanner's error as errInvalidJSON.
func invalid(err error) error { return fmt.Errorf("%w: %v", errInvalidJSON, err) }

// edit replaces line[start:end] with with.
type edit struct {
	start, end int
	with       []byte
}

// Line appends the scrubbed form of one event line (without its newline)
// to dst. A line that is not a JSON object is an error; an object of a
// type without secret-bearing fields (or of a type this package does not
// know) is passed through as it is.
func (e *Events) Line(dst, line []byte) ([]byte, error) {
	s := &e.sc
	s.Reset(line)
	k, err := s.Peek()
	if err != nil {
		return dst, invalid(err)
	}
	if k != canon.Object {
		return dst, errors.New("not a JSON object")
	}
	typ, isString := e.memberString(line, s.Offset(), "type")
	plan, ok := eventFields()[string(typ)]
	var edits []edit
	if !ok || !isString {
		err = s.Skip()
	} else {
		err = e.walk(line, plan, &edits)
	}
	if err == nil {
		err = s.End()
	}
	if err != nil {
		return dst, invalid(err)
	}
	return applyEdits(dst, line, edits), nil
}

func applyEdits(dst, line []byte, edits []edit) []byte {
	done := 0
	for _, ed := range edits {
		dst = append(dst, line[done:ed.start]...)
		dst = append(dst, ed.with...)
		done = ed.end
	}
	return append(dst, line[done:]...)
}

// walk scrubs the members named in plan of the object due next in e.sc,
// recording edits in the order of the line.
func (e *Events) walk(line []byte, plan fields, edits *[]edit) error {
	s := &e.sc
	at := s.Offset()
	if err := s.Object(); err != nil {
		return err
	}
	for {
		key, more, err := s.NextMember()
		if err != nil || !more {
			return err
		}
		f, ok := plan.lookup(key)
		if !ok {
			continue // checked and skipped by the next NextMember
		}
		k, err := s.Peek()
		if err != nil {
			return err
		}
		if f.kind == fieldObject {
			if k == canon.Object {
				if err := e.walk(line, f.sub, edits); err != nil {
					return err
				}
			}
			continue
		}
		if (f.kind == fieldEnvNames || f.kind == fieldEnvDisplay) && k == canon.Array {
			base := len(e.elems)
			if e.elems, err = elements(s, e.elems); err != nil {
				return err
			}
			for _, el := range e.elems[base:] {
				switch {
				case f.kind == fieldEnvNames && el.kind == canon.String:
					e.scrubEnvName(line, el.start, el.end, edits)
				case f.kind == fieldEnvDisplay && el.kind == canon.Object:
					e.scrubEnvPair(line, el.start, edits)
				}
			}
			e.elems = e.elems[:base]
			continue
		}
		v, err := valueSpan(s)
		if err != nil {
			return err
		}
		switch f.kind {
		case fieldValue:
			e.scrubString(line, v.start, v.end, edits)
		case fieldEndpointPath:
			if t, _ := e.memberString(line, at, "capability_type"); string(t) == "endpoint" {
				e.scrubString(line, v.start, v.end, edits)
			}
		case fieldArgv:
			e.scrubArgv(line, v.start, v.end, nil, edits)
		case fieldArgs:
			// The tool's rules need its name: scrub program + args.
			program, _ := e.memberString(line, at, f.program)
			if bytes.ContainsAny(program, " \t\r\n\x00") || len(program) > 48 {
				program = nil
			}
			e.scrubArgv(line, v.start, v.end, program, edits)
		}
	}
}

// memoized returns the replacement of the JSON text v computed by scrub
// (on prefix+v), and whether there is one, remembering it under kind,
// prefix and v.
// The memo maps raw JSON text to raw JSON text, so a value seen before
// costs neither decoding nor scrubbing; scrub must be a pure function of
// its input under e's policy and rules, returning v's text when nothing
// changes.
func (e *Events) memoized(kind byte, prefix, v []byte, scrub func(string) string) (string, bool) {
	var buf [memoMaxValue]byte
	if 1+len(prefix)+len(v) > len(buf) {
		out := scrub(string(prefix) + string(v))
		return out, out != string(v)
	}
	key := append(append(append(buf[:0], kind), prefix...), v...)
	if m, ok := e.memo[string(key)]; ok {
		return m.out, m.changed
	}
	out := scrub(string(key[1:]))
	switch {
	case e.memo == nil:
		// Grown as needed: a short session scrubs a handful of values,
		// and a table sized for memoEntries is 450 KB to zero.
		e.memo = make(map[string]memoEntry)
	case len(e.memo) >= memoEntries:
		clear(e.memo) // keeps the table it has grown
	}
	m := memoEntry{changed: out != string(v)}
	if m.changed {
		m.out = out
	}
	e.memo[string(key)] = m
	return m.out, m.changed
}

// scrubString scrubs the JSON string at line[v:vEnd] as a value.
func (e *Events) scrubString(line []byte, v, vEnd int, edits *[]edit) {
	if line[v] != '"' {
		return
	}
	if out, changed := e.memoized('v', nil, line[v:vEnd], e.scrubValueJSON); changed {
		*edits = append(*edits, edit{v, vEnd, []byte(out)})
	}
}

// scrubValueJSON scrubs a JSON string token, returning it unchanged or
// the canonical token of its scrubbed value.
func (e *Events) scrubValueJSON(raw string) string {
	s := string(jsonString([]byte(raw)))
	out := e.Policy.scrubValue(e.Rules, s)
	if out == s {
		return raw
	}
	return string(canon.AppendString(nil, out))
}

// scrubArgv scrubs an array of strings as one argv, after program when
// it is not empty (the array then holds only the arguments); an array
// holding anything else has each of its strings scrubbed as a value.
func (e *Events) scrubArgv(line []byte, v, vEnd int, program []byte, edits *[]edit) {
	if line[v] != '[' {
		e.scrubString(line, v, vEnd, edits)
		return
	}
	var look canon.Scanner
	look.ResetAt(line, v)
	elems, _ := elements(&look, nil) // checked already
	allStrings := true
	for _, el := range elems {
		allStrings = allStrings && el.kind == canon.String
	}
	if !allStrings {
		for _, el := range elems {
			e.scrubString(line, el.start, el.end, edits)
		}
		return
	}
	var prefix []byte
	if len(program) > 0 {
		var buf [64]byte
		prefix = append(append(buf[:0], program...), 0)
	}
	if out, changed := e.memoized('a', prefix, line[v:vEnd], e.scrubArgvJSON); changed {
		*edits = append(*edits, edit{v, vEnd, []byte(out)})
	}
}

// scrubArgvJSON scrubs "[PROGRAM\x00]JSON-array": it returns the array's
// text when nothing changes and the canonical JSON of the scrubbed
// arguments if something does.
func (e *Events) scrubArgvJSON(key string) string {
	program, raw, found := strings.Cut(key, "\x00")
	if !found {
		program, raw = "", key
	}
	var args []string
	if found {
		args = append(args, program)
	}
	rawb := []byte(raw)
	var look canon.Scanner
	look.Reset(rawb)
	elems, _ := elements(&look, nil) // checked already: all strings
	for _, el := range elems {
		args = append(args, string(jsonString(rawb[el.start:el.end])))
	}
	out := e.Policy.ScrubArgv(e.Rules, args)
	if slices.Equal(out, args) {
		return raw
	}
	if found {
		out = out[1:]
	}
	return string(appendStrings(nil, out))
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = canon.AppendString(dst, s)
	}
	return append(dst, ']')
}

// scrubEnvName scrubs the variable name at line[v:vEnd] (a JSON string).
func (e *Events) scrubEnvName(line []byte, v, vEnd int, edits *[]edit) {
	if out, changed := e.memoized('n', nil, line[v:vEnd], e.scrubEnvNameJSON); changed {
		*edits = append(*edits, edit{v, vEnd, []byte(out)})
	}
}

func (e *Events) scrubEnvNameJSON(raw string) string {
	name := string(jsonString([]byte(raw)))
	if out := e.Policy.scrubEnvName(e.Rules, name); out != name {
		return string(canon.AppendString(nil, out))
	}
	return raw
}

// scrubEnvPair scrubs one {name, value_display} of a command_policy event:
// the name as scrubEnvName, the value as scrubEnvValue of the original name.
func (e *Events) scrubEnvPair(line []byte, at int, edits *[]edit) {
	var s canon.Scanner // the object has been checked
	s.ResetAt(line, at)
	var name, value span
	s.Object()
	for {
		key, more, err := s.NextMember()
		if err != nil || !more {
			break
		}
		if k, _ := s.Peek(); k != canon.String {
			continue
		}
		switch string(key) {
		case "name":
			name, _ = valueSpan(&s)
		case "value_display":
			value, _ = valueSpan(&s)
		}
	}
	mark := len(*edits)
	if name.end > 0 {
		e.scrubEnvName(line, name.start, name.end, edits)
	}
	if value.end > 0 {
		var buf [128]byte
		prefix := append(append(buf[:0], line[name.start:name.end]...), 0)
		if out, changed := e.memoized('e', prefix, line[value.start:value.end], e.scrubEnvValueJSON); changed {
			*edits = append(*edits, edit{value.start, value.end, []byte(out)})
		}
	}
	// Edits go in the order of the line.
	if ed := (*edits)[mark:]; len(ed) == 2 && ed[1].start < ed[0].start {
		ed[0], ed[1] = ed[1], ed[0]
	}
}

// scrubEnvValueJSON scrubs "NAME-TOKEN\x00VALUE-TOKEN" (JSON string
// tokens; the name token may be empty), returning the value token or its
// scrubbed replacement.
func (e *Events) scrubEnvValueJSON(pair string) string {
	nameRaw, valueRaw, _ := strings.Cut(pair, "\x00")
	name := ""
	if nameRaw != "" {
		name = string(jsonString([]byte(nameRaw)))
	}
	value := string(jsonString([]byte(valueRaw)))
	if out := e.Policy.scrubEnvValue(e.Rules, name, value); out != value {
		return string(canon.AppendString(nil, out))
	}
	return valueRaw
}

// ArgvLine appends the scrubbed form of one line holding a JSON array of
// strings, written canonically.
func (e *Events) ArgvLine(dst, line []byte) ([]byte, error) {
	s := &e.sc
	s.Reset(line)
	k, err := s.Peek()
	if err != nil {
		return dst, invalid(err)
	}
	if k != canon.Array {
		return dst, errors.New("not a JSON array of strings")
	}
	elems, err := elements(s, e.elems[:0])
	if err == nil {
		err = s.End()
	}
	if err != nil {
		return dst, invalid(err)
	}
	var args []string
	for i, el := range elems {
		if el.kind != canon.String {
			return dst, fmt.Errorf("element %d is not a string", i+1)
		}
		args = append(args, string(jsonString(line[el.start:el.end])))
	}
	return appendStrings(dst, e.Policy.ScrubArgv(e.Rules, args)), nil
}
