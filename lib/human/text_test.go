package human

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	cases := map[string]string{
		"plain text":                      "plain text",
		"caf\u00e9 \u2603":                "caf\u00e9 \u2603",
		"red \x1b[31mALERT\x1b[0m":        "red ALERT",
		"title\x1b]0;pwned\x07done":       "titledone",
		"title\x1b]8;;http://x\x1b\\link": "titlelink",
		"dcs\x1bPq#0;2;0;0;0\x1b\\end":    "dcsend",
		"two\x1b(Bbyte":                   "twobyte",
		"line\nbreak\ttab\rcr\x00nul\x7f": "line break tab cr nul ",
		"c1\u009b31mcsi\u0085nel":         "c1csi nel",
		"osc\u009d0;x\u009cafter":         "oscafter",
		"bidi\u202eevil\u2066x\u2069":     "bidi evil x ",
		"bad\xffutf8":                     "bad\ufffdutf8",
		"unterminated\x1b[31":             "unterminated",
		"trailing esc\x1b":                "trailing esc",
		"csi stray\x1b[1\x01m":            "csi stray m",
	}
	for in, want := range cases {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"a\x1b[1mb", "\x1b]0;x\x07", "\u009b1m", "\xff\xfe", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if r < 0x20 || r >= 0x7f && r <= 0x9f || isBidiControl(r) {
				t.Fatalf("control %U left in %q (from %q)", r, out, s)
			}
		}
		if Sanitize(out) != out {
			t.Fatalf("not idempotent on %q", s)
		}
	})
}

func TestQuoteCommand(t *testing.T) {
	cases := []struct {
		argv []string
		want string
	}{
		{[]string{"ls", "-la", "/tmp/x_y.z"}, "ls -la /tmp/x_y.z"},
		{[]string{"echo", "hello world"}, "echo 'hello world'"},
		{[]string{"sh", "-c", "echo 'hi'"}, `sh -c 'echo '\''hi'\'''`},
		{[]string{"x", ""}, "x ''"},
		{[]string{"--key=[REDACTED]"}, "'--key=[REDACTED]'"},
		{[]string{"a\x1b[2Jb"}, "ab"},
		{[]string{"a\nb"}, "'a b'"},
	}
	for _, c := range cases {
		if got := QuoteCommand(c.argv); got != c.want {
			t.Errorf("QuoteCommand(%q) = %q, want %q", c.argv, got, c.want)
		}
	}
}

func TestCut(t *testing.T) {
	if got := Cut("short", 35); got != "short" {
		t.Errorf("Cut short = %q", got)
	}
	long := strings.Repeat("x", 40)
	if got := Cut(long, 35); got != strings.Repeat("x", 32)+"..." || len(got) != 35 {
		t.Errorf("Cut long = %q", got)
	}
	if got := Cut(strings.Repeat("é", 40), 10); got != strings.Repeat("é", 7)+"..." {
		t.Errorf("Cut runes = %q", got)
	}
	if got := Cut("abcdef", 2); got != ".." {
		t.Errorf("Cut tiny = %q", got)
	}
}

func TestShortHex(t *testing.T) {
	if got := ShortHex(strings.Repeat("ab", 32)); got != strings.Repeat("ab", 8) {
		t.Errorf("ShortHex = %q", got)
	}
	if got := ShortHex("abc"); got != "abc" {
		t.Errorf("ShortHex short = %q", got)
	}
}
