package plan

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// hostile are arguments that break careless quoting.
var hostile = []string{
	"",
	"plain",
	"it's",
	"'",
	"''",
	`'\''`,
	`"double"`,
	"$(touch pwned)",
	"`touch pwned`",
	"${HOME}",
	"$'\\x41'",
	`back\slash`,
	`\`,
	`trailing\`,
	"new\nline",
	"\n",
	"tab\there",
	"cr\rlf",
	"\x01\x02\x1b[31m",
	"del\x7f",
	"é ü 漢字 🙂",
	"\xff\xfe invalid utf-8 \xc3",
	"\x81'", // a GBK lead byte before a quote
	"\x81\\",
	"; rm -rf / #",
	"a b  c",
	"*",
	"~",
	"!!",
	"-n",
	"--",
	"x=1",
	"\u2028\u2029",
}

// unquote reads back one word of AppendQuoted's output: a run of
// '...' and \' pieces, or one $'...' string.
func unquote(word []byte) (string, error) {
	var out []byte
	i := 0
	if bytes.HasPrefix(word, []byte("$'")) {
		i = 2
		for i < len(word) {
			c := word[i]
			switch {
			case c == '\'':
				if i != len(word)-1 {
					return "", errors.New("text after $'...'")
				}
				return string(out), nil
			case c == '\\':
				if i+1 >= len(word) {
					return "", errors.New("dangling backslash")
				}
				switch word[i+1] {
				case '\\', '\'':
					out = append(out, word[i+1])
					i += 2
				case 'x':
					if i+3 >= len(word) {
						return "", errors.New("short \\x")
					}
					var v byte
					for _, h := range word[i+2 : i+4] {
						d := strings.IndexByte(hexDigits, h)
						if d < 0 {
							return "", errors.New("bad hex digit")
						}
						v = v<<4 | byte(d)
					}
					out = append(out, v)
					i += 4
				default:
					return "", errors.New("unexpected escape")
				}
			case c < 0x20 || c >= 0x7f:
				return "", errors.New("raw non-printable byte in $'...'")
			default:
				out = append(out, c)
				i++
			}
		}
		return "", errors.New("unterminated $'...'")
	}
	for i < len(word) {
		switch {
		case word[i] == '\'':
			end := bytes.IndexByte(word[i+1:], '\'')
			if end < 0 {
				return "", errors.New("unterminated '...'")
			}
			out = append(out, word[i+1:i+1+end]...)
			i += end + 2
		case bytes.HasPrefix(word[i:], []byte(`\'`)):
			out = append(out, '\'')
			i += 2
		default:
			return "", errors.New("unquoted text")
		}
	}
	if len(word) == 0 {
		return "", errors.New("empty word")
	}
	return string(out), nil
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range hostile {
		q := AppendQuoted(nil, s)
		got, err := unquote(q)
		if err != nil || got != s {
			t.Errorf("%q quoted as %s reads back as %q, %v", s, q, got, err)
		}
		if bytes.ContainsAny(q, "\n\r\x00") || !plain(string(q)) {
			t.Errorf("%q quoted as %q: not one line of printable ASCII", s, q)
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := AppendQuoted(nil, s)
		got, err := unquote(q)
		if err != nil || got != s {
			t.Fatalf("%q quoted as %s reads back as %q, %v", s, q, got, err)
		}
		if !plain(string(q)) {
			t.Fatalf("%q quoted as %q: not printable ASCII", s, q)
		}
	})
}

// bashEval evals script in bash and returns the words of the array
// "${words[@]}" as bash sees them.
func bashEval(t *testing.T, locale, script string) []string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", `eval "$1" && printf '%s\0' "${words[@]}"`, "bash", script)
	cmd.Dir = t.TempDir() // where a successful injection would leave its mark
	cmd.Env = []string{"LC_ALL=" + locale, "PATH=/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	words := strings.Split(string(out), "\x00")
	return words[:len(words)-1]
}

func TestQuoteBash(t *testing.T) {
	words := append([]string{}, hostile...)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(1 + rng.IntN(255)) // bash arguments cannot hold NUL
		}
		words = append(words, string(b))
	}
	script := appendArray(nil, "words", words)
	for _, locale := range []string{"C", "C.UTF-8"} {
		got := bashEval(t, locale, string(script))
		if len(got) != len(words) {
			t.Fatalf("%s: bash read %d words, want %d", locale, len(got), len(words))
		}
		for i := range words {
			if got[i] != words[i] {
				t.Errorf("%s: word %d %q came back as %q", locale, i, words[i], got[i])
			}
		}
	}
}

// splitWords splits an array body of AppendQuoted words at the spaces
// between them.
func splitWords(t *testing.T, body string) []string {
	var words []string
	for body != "" {
		end := 0
		if strings.HasPrefix(body, "$'") {
			end = 2
			for end < len(body) && body[end] != '\'' {
				if body[end] == '\\' {
					end++
				}
				end++
			}
			end++
		} else {
			for end < len(body) && body[end] != ' ' {
				if body[end] == '\\' {
					end += 2
					continue
				}
				if body[end] == '\'' {
					end += strings.IndexByte(body[end+1:], '\'') + 1
				}
				end++
			}
		}
		if end > len(body) {
			t.Fatalf("unterminated word in %q", body)
		}
		w, err := unquote([]byte(body[:end]))
		if err != nil {
			t.Fatalf("word %q: %v", body[:end], err)
		}
		words = append(words, w)
		body = strings.TrimPrefix(body[end:], " ")
	}
	return words
}

func FuzzPlanShell(f *testing.F) {
	f.Add("echo", "it's", "\xff\n", "/state/x y")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, a, b, c, dir string) {
		p := &Plan{SessionDir: dir, SignKey: c, RedactArgs: []string{}, SnapshotArgs: []string{"--rollback-exclude=" + b},
			RunArgs: []string{}, Command: []string{a, b, c}}
		lines := strings.Split(strings.TrimSuffix(string(p.Shell()), "\n"), "\n")
		if len(lines) != 15 {
			t.Fatalf("%d lines", len(lines))
		}
		values := map[string]string{}
		for _, l := range lines {
			name, value, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("line %q", l)
			}
			values[name] = value
		}
		if w := splitWords(t, values["session_dir"]); len(w) != 1 || w[0] != dir {
			t.Errorf("session_dir read back as %q", w)
		}
		arr := values["command"]
		if !strings.HasPrefix(arr, "(") || !strings.HasSuffix(arr, ")") {
			t.Fatalf("command = %q", arr)
		}
		got := splitWords(t, arr[1:len(arr)-1])
		if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
			t.Errorf("command read back as %q, want %q", got, []string{a, b, c})
		}
	})
}
