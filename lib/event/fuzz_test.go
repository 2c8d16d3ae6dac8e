package event

import (
	"bytes"
	"testing"

	"github.com/nono-audit/nono/lib/canon"
)

// FuzzCanonicalize checks that any input either fails cleanly or yields
// bytes that are valid JSON, a fixed point under both rule sets, and, for
// users' own types, exactly what lib/canon makes of the same document.
func FuzzCanonicalize(f *testing.F) {
	for _, line := range readLines(f, "testdata/variants.ndjson") {
		f.Add(line)
	}
	f.Add([]byte(`{"type":"x","a":[1,2.5,{"b":"\u00e9"}]}`))
	f.Add([]byte(`{"type":"session_ended","ended":"\ud83d\ude00","exit_code":-1,"x":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var c Canonicalizer
		out, err := c.Append(nil, raw)
		typed, terr := c.AppendTyped(nil, raw)
		if err == nil && terr != nil {
			t.Fatalf("input rules accept what the typed view rejects: %v", terr)
		}
		if terr != nil {
			return
		}
		if err == nil && !bytes.Equal(out, typed) {
			t.Fatalf("input rules and typed view disagree:\n%s\n%s", out, typed)
		}
		v, perr := canon.Parse(typed)
		if perr != nil {
			t.Fatalf("output is not JSON: %v\n%s", perr, typed)
		}
		again, err := c.Append(nil, typed)
		if err != nil || !bytes.Equal(again, typed) {
			t.Fatalf("output is not a fixed point: %v\n%s\n%s", err, typed, again)
		}
		if typ, _ := v.Get("type"); !Known(typ.Str) {
			in, err := canon.Parse(raw)
			if err != nil {
				t.Fatalf("accepted what canon.Parse rejects: %v", err)
			}
			if want := canon.Compact(in); !bytes.Equal(want, typed) {
				t.Fatalf("custom event differs from canon:\n got  %s\n want %s", typed, want)
			}
		}
	})
}

// FuzzFastPath: the one-pass fast path and the general path agree on
// every input: both fail, or both give the same bytes.
func FuzzFastPath(f *testing.F) {
	for _, line := range readLines(f, "testdata/variants.ndjson") {
		f.Add(line, false)
	}
	f.Add([]byte(`{"type":"session_ended","exit_code":0,"ended":"x"}`), true)
	f.Fuzz(func(t *testing.T, raw []byte, typed bool) {
		fast := Canonicalizer{}
		general := Canonicalizer{noFast: true}
		run := func(c *Canonicalizer) ([]byte, error) {
			if typed {
				return c.AppendTyped(nil, raw)
			}
			return c.Append(nil, raw)
		}
		a, aerr := run(&fast)
		b, berr := run(&general)
		if (aerr == nil) != (berr == nil) || !bytes.Equal(a, b) {
			t.Fatalf("fast: %s (%v)\ngeneral: %s (%v)", a, aerr, b, berr)
		}
	})
}
