package attest

import (
	"testing"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/dsse"
)

// BenchmarkVerifySession is one `nono audit verify` attestation check of
// the spec example: read and parse the bundle, the 18 upstream checks and
// ours (which read the log's first record).
func BenchmarkVerifySession(b *testing.B) {
	dir, s := exampleDir(b)
	for b.Loop() {
		r, err := VerifySession(dir, s, "")
		if err != nil || !r.OK() {
			b.Fatalf("%v %s", err, canon.Compact(r.Value()))
		}
	}
}

// BenchmarkSign is the in-memory part of signing a session: statement,
// signature, bundle bytes.
func BenchmarkSign(b *testing.B) {
	key, err := dsse.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	s := newSession()
	for b.Loop() {
		bundle, _, err := Sign(s, canon.NullValue(), key)
		if err != nil {
			b.Fatal(err)
		}
		bundle.Encode()
	}
}
