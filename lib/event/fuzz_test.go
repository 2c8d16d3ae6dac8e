package event

import (
	"bytes"
	"testing"

	"github.com/nono-audit/nono/lib/canon"
)

// FuzzCanonicalize checks that any input either fails cleanly or yields
// bytes that are valid JSON and a fixed point under both rule sets; that
// the open rules accept whatever the input rules accept, with the same
// bytes; and that for users' own types the output is exactly what
// lib/canon makes of the same document.
func FuzzCanonicalize(f *testing.F) {
	for _, line := range readLines(f, "testdata/variants.ndjson") {
		f.Add(line)
	}
	f.Add([]byte(`{"type":"x","a":[1,2.5,{"b":"\u00e9"}]}`))
	f.Add([]byte(`{"type":"session_ended","ended":"\ud83d\ude00","exit_code":-1,"x":1}`))
	f.Add([]byte(`{"exit_code":0,"type":"session_ended","ended":"x"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var c Canonicalizer
		out, err := c.Append(nil, raw)
		open, oerr := openForm(&c, raw)
		if err == nil && oerr != nil {
			t.Fatalf("input rules accept what the open rules reject: %v", oerr)
		}
		if oerr != nil {
			return
		}
		if err == nil && !bytes.Equal(out, open) {
			t.Fatalf("input and open rules disagree:\n%s\n%s", out, open)
		}
		v, perr := canon.Parse(open)
		if perr != nil {
			t.Fatalf("output is not JSON: %v\n%s", perr, open)
		}
		again, err := openForm(&c, open)
		if err != nil || !bytes.Equal(again, open) {
			t.Fatalf("output is not a fixed point: %v\n%s\n%s", err, open, again)
		}
		if typ, _ := v.Get("type"); !known(typ.Str) {
			in, err := canon.Parse(raw)
			if err != nil {
				t.Fatalf("accepted what canon.Parse rejects: %v", err)
			}
			if want := canon.Compact(in); !bytes.Equal(want, open) {
				t.Fatalf("custom event differs from canon:\n got  %s\n want %s", open, want)
			}
		}
	})
}
