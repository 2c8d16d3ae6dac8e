package report

import (
	"strings"

	"github.com/nono-audit/nono/lib/canon"
)

// field is a value found (or not) in a record parsed by canon's strict
// reader, read the forgiving way a report needs: a missing member, or
// one of the wrong kind, is simply absent or empty text.
type field struct {
	v  canon.Value
	ok bool
}

func fieldOf(v canon.Value) field { return field{v: v, ok: true} }

// Get follows a dotted path of object members ("request.url").
func (f field) Get(path string) field {
	for _, k := range strings.Split(path, ".") {
		if !f.ok {
			return f
		}
		f.v, f.ok = f.v.Get(k)
	}
	return f
}

func (f field) Exists() bool         { return f.ok }
func (f field) Is(k canon.Kind) bool { return f.ok && f.v.Kind == k }
func (f field) IsObject() bool       { return f.Is(canon.Object) }
func (f field) Bool() bool           { return f.Is(canon.Bool) && f.v.Bool }

// String is the value as text: a string's contents, a number's or a
// literal's text, "" for null or absent, JSON for the rest.
func (f field) String() string {
	if !f.ok {
		return ""
	}
	switch f.v.Kind {
	case canon.Null:
		return ""
	case canon.String:
		return f.v.Str
	}
	return f.Raw()
}

// Raw is the value as compact JSON ("" when absent).
func (f field) Raw() string {
	if !f.ok {
		return ""
	}
	return string(canon.Compact(f.v))
}

// Array is the elements of an array (none otherwise).
func (f field) Array() []field {
	if !f.Is(canon.Array) {
		return nil
	}
	out := make([]field, len(f.v.Elems))
	for i, e := range f.v.Elems {
		out[i] = fieldOf(e)
	}
	return out
}

// Members is an object's members in document order (none otherwise).
func (f field) Members() []canon.Member {
	if !f.IsObject() {
		return nil
	}
	return f.v.Members
}
