package redact

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/tidwall/gjson"
)

// Events scrubs audit events (audit-format.md §2.2), one JSON object a
// line, leaving every byte it does not change as it was: the fields are
// found with gjson without decoding the line, and only a value that
// changes is re-encoded (canonically) and spliced in. A line with nothing
// to scrub costs a validation scan and a few lookups.
type Events struct {
	Policy *Policy
	Rules  Rules

	// memo remembers the scrubbed form of recent field values: a log
	// repeats the same hosts, URLs, paths, reasons and commands, and
	// scrubbing is a pure function of the value.
	memo map[string]string
}

const (
	memoEntries  = 8192 // the memo is emptied when it holds this many
	memoMaxValue = 512  // longer values are not remembered
)

// cached returns scrub(s) for the field value s, remembering it under
// kind (scrub must be a pure function of s under e's policy and rules).
func (e *Events) cached(kind byte, s string, scrub func(string) string) string {
	if len(s) > memoMaxValue {
		return scrub(s)
	}
	var buf [memoMaxValue + 1]byte
	key := append(append(buf[:0], kind), s...)
	if out, ok := e.memo[string(key)]; ok {
		return out
	}
	out := scrub(s)
	if e.memo == nil || len(e.memo) >= memoEntries {
		e.memo = make(map[string]string, memoEntries)
	}
	k := string(key) // a copy: the memo must not keep the line alive
	if out == s {
		e.memo[k] = k[1:]
	} else {
		e.memo[k] = out
	}
	return out
}

// The fields that can carry a secret, by event type. Every member with a
// listed name is scrubbed, so a duplicated key cannot smuggle a value past.
type fieldKind uint8

const (
	fieldValue        fieldKind = iota + 1 // a string: ScrubValue
	fieldArgv                              // an array of strings: ScrubArgv
	fieldEnvNames                          // an array of variable names: ScrubEnvName
	fieldEnvDisplay                        // an array of {name, value_display}
	fieldObject                            // an object: its own fields
	fieldEndpointPath                      // "path" of an endpoint request: a URL path
)

type field struct {
	kind fieldKind
	sub  fields
}

type fields map[string]field

var (
	value = field{kind: fieldValue}
	argv  = field{kind: fieldArgv}

	eventFields = map[string]fields{
		"session_started": {"command": argv},
		"url_open": {
			"request": {kind: fieldObject, sub: fields{"url": value}},
			"error":   value,
		},
		"capability_decision": {"entry": {kind: fieldObject, sub: fields{
			"request": {kind: fieldObject, sub: fields{
				"reason":   value,
				"args":     argv,
				"command":  value,
				"upstream": value,
				"path":     {kind: fieldEndpointPath},
			}},
			"decision": {kind: fieldObject, sub: fields{
				"Denied": {kind: fieldObject, sub: fields{"reason": value}},
			}},
		}}},
		"network": {"event": {kind: fieldObject, sub: fields{
			"target":                     value,
			"upstream":                   value,
			"path":                       value,
			"reason":                     value,
			"endpoint_policy_rule":       value,
			"credential_capture_command": value,
			"credential_capture_argv":    argv,
			"credential_capture_stderr":  value,
		}}},
		"command_policy": {"event": {kind: fieldObject, sub: fields{
			"command":           value,
			"caller_command":    value,
			"reason":            value,
			"argv_display":      argv,
			"env_names_display": {kind: fieldEnvNames},
			"env_display":       {kind: fieldEnvDisplay},
			"cwd_display":       value,
		}}},
	}
)

// ErrInvalidJSON is the error for a line that is not JSON.
var ErrInvalidJSON = errors.New("invalid JSON")

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
	if !gjson.ValidBytes(line) {
		return dst, ErrInvalidJSON
	}
	if first := firstByte(line); first != '{' {
		return dst, errors.New("not a JSON object")
	}
	typ := gjson.GetBytes(line, "type")
	plan, ok := eventFields[typ.Str]
	if !ok || typ.Type != gjson.String {
		return append(dst, line...), nil
	}
	s := string(line)
	var edits []edit
	e.walk(s, skipSpace(s, 0), plan, &edits)
	return applyEdits(dst, line, edits), nil
}

func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
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

// walk scrubs the members named in plan of the object at line[at:],
// recording edits in the order of the line, and returns the object's end.
func (e *Events) walk(line string, at int, plan fields, edits *[]edit) int {
	return forEachMember(line, at, func(key string, v int) int {
		f, ok := plan[key]
		if !ok {
			return -1
		}
		if f.kind == fieldObject {
			if line[v] == '{' {
				return e.walk(line, v, f.sub, edits)
			}
			return -1
		}
		vEnd := valueEnd(line, v)
		switch f.kind {
		case fieldValue:
			e.scrubString(line, v, vEnd, edits)
		case fieldEndpointPath:
			if gjson.Get(line[at:], "capability_type").Str == "endpoint" {
				e.scrubString(line, v, vEnd, edits)
			}
		case fieldArgv:
			e.scrubArgv(line, v, vEnd, edits)
		case fieldEnvNames:
			forEachElement(line, v, func(s, sEnd int) {
				if line[s] == '"' {
					name := jsonString(line[s:sEnd])
					e.replace(s, sEnd, name, e.Policy.ScrubEnvName(e.Rules, name), edits)
				}
			})
		case fieldEnvDisplay:
			forEachElement(line, v, func(o, _ int) {
				if line[o] == '{' {
					e.scrubEnvPair(line, o, edits)
				}
			})
		}
		return vEnd
	})
}

// jsonString decodes the JSON string raw (quotes included). Strings
// without escapes are sliced, not copied.
func jsonString(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	return gjson.Parse(raw).Str
}

func (e *Events) scrubString(line string, v, vEnd int, edits *[]edit) {
	if line[v] != '"' {
		return
	}
	s := jsonString(line[v:vEnd])
	e.replace(v, vEnd, s, e.cached('v', s, e.scrubValue), edits)
}

func (e *Events) scrubValue(s string) string { return e.Policy.ScrubValue(e.Rules, s) }

// replace records an edit of line[start:end], holding the string s, when
// its scrubbed form differs.
func (e *Events) replace(start, end int, s, scrubbed string, edits *[]edit) {
	if scrubbed == s {
		return
	}
	*edits = append(*edits, edit{start, end, canon.AppendString(nil, scrubbed)})
}

// scrubArgv scrubs an array of strings as one argv; an array holding
// anything else has each of its strings scrubbed as a value.
func (e *Events) scrubArgv(line string, v, vEnd int, edits *[]edit) {
	if line[v] != '[' {
		e.scrubString(line, v, vEnd, edits)
		return
	}
	allStrings := true
	forEachElement(line, v, func(s, _ int) { allStrings = allStrings && line[s] == '"' })
	if !allStrings {
		forEachElement(line, v, func(s, sEnd int) { e.scrubString(line, s, sEnd, edits) })
		return
	}
	// The memo maps the array's JSON text to its replacement, or to
	// itself when nothing changes.
	raw := line[v:vEnd]
	if out := e.cached('a', raw, e.scrubArgvJSON); out != raw {
		*edits = append(*edits, edit{v, vEnd, []byte(out)})
	}
}

// scrubArgvJSON scrubs the JSON array of strings raw, returning raw itself
// when nothing changes and the canonical JSON of the scrubbed argv if
// something does.
func (e *Events) scrubArgvJSON(raw string) string {
	var args []string
	forEachElement(raw, 0, func(s, sEnd int) { args = append(args, jsonString(raw[s:sEnd])) })
	out := e.Policy.ScrubArgv(e.Rules, args)
	if slices.Equal(out, args) {
		return raw
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

// scrubEnvPair scrubs one {name, value_display} of a command_policy event:
// the name as ScrubEnvName, the value as ScrubEnvValue of the original name.
func (e *Events) scrubEnvPair(line string, at int, edits *[]edit) {
	var name string
	forEachMember(line, at, func(key string, v int) int {
		vEnd := valueEnd(line, v)
		if key == "name" && line[v] == '"' {
			name = jsonString(line[v:vEnd])
		}
		return vEnd
	})
	forEachMember(line, at, func(key string, v int) int {
		vEnd := valueEnd(line, v)
		if line[v] != '"' {
			return vEnd
		}
		s := jsonString(line[v:vEnd])
		switch key {
		case "name":
			e.replace(v, vEnd, s, e.Policy.ScrubEnvName(e.Rules, s), edits)
		case "value_display":
			_, scrubbed, _ := strings.Cut(e.cached('e', name+"\x00"+s, e.scrubEnvValue), "\x00")
			e.replace(v, vEnd, s, scrubbed, edits)
		}
		return vEnd
	})
}

// scrubEnvValue scrubs "NAME\x00VALUE" (the memo key of an env pair).
func (e *Events) scrubEnvValue(pair string) string {
	name, value, _ := strings.Cut(pair, "\x00")
	return name + "\x00" + e.Policy.ScrubEnvValue(e.Rules, name, value)
}

// ArgvLine appends the scrubbed form of one line holding a JSON array of
// strings, written canonically.
func (e *Events) ArgvLine(dst, line []byte) ([]byte, error) {
	if !gjson.ValidBytes(line) {
		return dst, ErrInvalidJSON
	}
	arr := gjson.ParseBytes(line)
	if !arr.IsArray() {
		return dst, errors.New("not a JSON array of strings")
	}
	var args []string
	var bad error
	arr.ForEach(func(k, v gjson.Result) bool {
		if v.Type != gjson.String {
			bad = fmt.Errorf("element %d is not a string", len(args)+1)
			return false
		}
		args = append(args, v.Str)
		return true
	})
	if bad != nil {
		return dst, bad
	}
	return appendStrings(dst, e.Policy.ScrubArgv(e.Rules, args)), nil
}
