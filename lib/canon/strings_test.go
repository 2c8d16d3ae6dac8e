package canon

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// The eight-byte scan must find exactly the first byte that a byte-at-a-
// time scan finds, whatever the bytes around it.
func TestNextSpecialMatchesBytewise(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	interesting := []byte{0, 0x01, 0x1f, 0x20, 0x21, '"', '\\', '#', ']', 0x7f, 0x80, 0x9f, 0xa0, 0xdf, 0xff, 'a'}
	for range 200000 {
		n := rng.Intn(20)
		b := make([]byte, n)
		for i := range b {
			if rng.Intn(3) == 0 {
				b[i] = interesting[rng.Intn(len(interesting))]
			} else {
				b[i] = byte(rng.Intn(256))
			}
		}
		start := 0
		if n > 0 {
			start = rng.Intn(n + 1)
		}
		want := start
		for want < n && plain[b[want]] {
			want++
		}
		if got := nextSpecial(b, start); got != want {
			t.Fatalf("nextSpecial(%x, %d) = %d, want %d", b, start, got, want)
		}
	}
}

func TestAppendStringBytesMatchesString(t *testing.T) {
	for _, s := range []string{"", "plain ascii text that is longer than eight", `q"b\`, "\x00\x1f\t\n", "é✓😀 mixed", "bad\xff\xfeutf8", "\u2028"} {
		if a, b := string(AppendString(nil, s)), string(AppendStringBytes(nil, []byte(s))); a != b {
			t.Errorf("%q: AppendString %s, AppendStringBytes %s", s, a, b)
		}
	}
}

func TestAppendUnquotedAndCanonical(t *testing.T) {
	tok := []byte(`"a\"b\u00e9\/\n\u001F\ud83d\ude00"rest`)
	raw, n, err := AppendUnquoted([]byte("x"), tok)
	if err != nil || string(raw) != "xa\"bé/\n\x1f😀" || n != len(tok)-4 {
		t.Fatalf("AppendUnquoted = %q, %d, %v", raw, n, err)
	}
	c, n2, err := appendCanonicalString(nil, tok)
	if err != nil || string(c) != `"a\"bé/\n\u001f😀"` || n2 != n {
		t.Fatalf("AppendCanonicalString = %s, %d, %v", c, n2, err)
	}
	for bad, msg := range map[string]string{
		`"abc`: "unterminated string", "\"a\x01\"": "control character", "\"\xff\"": "invalid UTF-8",
		`"\x"`: "invalid escape", `"\ud800"`: "lone leading surrogate", `x`: "expected a string",
	} {
		_, _, err := AppendUnquoted(nil, []byte(bad))
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("AppendUnquoted(%q) = %v, want %q", bad, err, msg)
		}
	}
}

// FuzzAppendString: both entry points agree, and for valid UTF-8 the
// output decodes back to the input and is already canonical.
func FuzzAppendString(f *testing.F) {
	f.Add([]byte("a\"b\\c\x01\x1f\u2028é"))
	f.Add([]byte("bad\xffutf8 and a long plain run of text"))
	f.Fuzz(func(t *testing.T, s []byte) {
		enc := AppendString(nil, string(s))
		if b := AppendStringBytes(nil, s); string(b) != string(enc) {
			t.Fatalf("%q: AppendString %s, AppendStringBytes %s", s, enc, b)
		}
		dec, n, err := AppendUnquoted(nil, enc)
		if err != nil || n != len(enc) {
			t.Fatalf("%q: encoding %s does not decode: %v", s, enc, err)
		}
		if utf8.Valid(s) && string(dec) != string(s) {
			t.Fatalf("%q: round trip gave %q", s, dec)
		}
		if re, _, err := appendCanonicalString(nil, enc); err != nil || string(re) != string(enc) {
			t.Fatalf("%q: %s is not a fixed point (%s, %v)", s, enc, re, err)
		}
	})
}
