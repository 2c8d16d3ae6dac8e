package merkle

import (
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
)

// object reads the members of a JSON object strictly: every key must be
// one of those asked for, each exactly once (canon.Parse already refuses
// duplicates), with the right type. The first problem is kept.
type object struct {
	what string // "inclusion proof", for messages
	v    canon.Value
	used map[string]bool
	err  error
}

func parseObject(what string, data []byte) (*object, error) {
	v, err := canon.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return newObject(what, v)
}

func newObject(what string, v canon.Value) (*object, error) {
	if v.Kind != canon.Object {
		return nil, fmt.Errorf("%s: want a JSON object, got %s", what, v.Kind)
	}
	return &object{what: what, v: v, used: map[string]bool{}}, nil
}

func (o *object) fail(format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf(o.what+": "+format, args...)
	}
}

func (o *object) get(key string) (canon.Value, bool) {
	o.used[key] = true
	v, ok := o.v.Get(key)
	if !ok {
		o.fail("missing field %q", key)
	}
	return v, ok
}

func (o *object) uint(key string) uint64 {
	v, ok := o.get(key)
	if !ok {
		return 0
	}
	n, ok := v.Uint()
	if !ok {
		o.fail("%s: want a non-negative integer, got %s", key, describe(v))
	}
	return n
}

func (o *object) hash(key string) Hash {
	v, ok := o.get(key)
	if !ok {
		return Hash{}
	}
	return o.hashValue(key, v)
}

func (o *object) hashValue(key string, v canon.Value) Hash {
	if v.Kind != canon.String {
		o.fail("%s: want a hex string, got %s", key, v.Kind)
		return Hash{}
	}
	h, err := ParseHash(v.Str)
	if err != nil {
		o.fail("%s: %v", key, err)
	}
	return h
}

func (o *object) array(key string) []canon.Value {
	v, ok := o.get(key)
	if !ok {
		return nil
	}
	if v.Kind != canon.Array {
		o.fail("%s: want an array, got %s", key, v.Kind)
		return nil
	}
	return v.Elems
}

// done reports the first problem, or an unknown key.
func (o *object) done() error {
	if o.err != nil {
		return o.err
	}
	for _, m := range o.v.Members {
		if !o.used[m.Key] {
			return fmt.Errorf("%s: unknown field %q", o.what, m.Key)
		}
	}
	return nil
}

func describe(v canon.Value) string {
	if v.Kind == canon.Number {
		return v.Num
	}
	return v.Kind.String()
}
