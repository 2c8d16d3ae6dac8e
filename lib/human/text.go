package human

import (
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Sanitize makes an untrusted recorded string safe to print on a
// terminal: escape sequences (CSI, OSC, DCS and the other string
// controls, two-byte ESC sequences, their C1 forms) are removed, every
// other control character (C0, DEL, C1) and bidirectional formatting
// character is replaced by a space, and invalid UTF-8 by U+FFFD.
func Sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
		case r == 0x1b:
			i += escapeLen(s[i:])
			continue
		case r == 0x9b: // C1 CSI
			i += n + csiLen(s[i+n:])
			continue
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // C1 DCS SOS OSC PM APC
			i += n + stringLen(s[i+n:])
			continue
		case r < 0x20 || r >= 0x7f && r <= 0x9f || isBidiControl(r):
			b.WriteByte(' ')
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// escapeLen is the length of the escape sequence at the start of s
// (s[0] is ESC); an unterminated sequence runs to the end of s.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		return 2 + csiLen(s[2:])
	case ']', 'P', 'X', '^', '_':
		return 2 + stringLen(s[2:])
	}
	// ESC, any intermediates (0x20-0x2f), then one final byte.
	i := 1
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) {
		i++
	}
	return i
}

// csiLen is the length of a control sequence's parameters, intermediates
// and final byte.
func csiLen(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		} else if c < 0x20 || c > 0x3f {
			return i // malformed: stop before the stray byte
		}
	}
	return len(s)
}

// stringLen is the length of a control string up to and including its
// terminator: BEL, ESC \ or the C1 ST.
func stringLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
	}
	return len(s)
}

func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// shellSafe are the bytes a word may hold and still print unquoted.
func shellSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte(",._+:@%/-=", c) >= 0
}

// quoteWord quotes one argument for a POSIX shell (after Sanitize).
func quoteWord(w string) string {
	w = Sanitize(w)
	if w == "" {
		return "''"
	}
	for i := 0; i < len(w); i++ {
		if !shellSafe(w[i]) {
			return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return w
}

// QuoteCommand renders argv as one shell-quoted line.
func QuoteCommand(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = quoteWord(a)
	}
	return strings.Join(words, " ")
}

// Cut shortens s to at most n characters, ending in "..." when cut.
func Cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 3 {
		return strings.Repeat(".", max(n, 0))
	}
	i, count := 0, 0
	for i < len(s) && count < n-3 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return strings.TrimRight(s[:i], " ") + "..."
}

// ShortHex is the first 16 characters of a hex digest, as headers show it.
func ShortHex(h string) string {
	h = Sanitize(h)
	i, count := 0, 0
	for i < len(h) && count < 16 {
		_, size := utf8.DecodeRuneInString(h[i:])
		i += size
		count++
	}
	return h[:i]
}

// TildePath shows home, or a path below it, starting with ~.
func TildePath(p, home string) string {
	home = strings.TrimSuffix(home, "/")
	switch {
	case home == "":
		return p
	case p == home:
		return "~"
	case strings.HasPrefix(p, home+"/"):
		return "~" + p[len(home):]
	}
	return p
}

// Home is the user's home directory for display, "" when unknown.
func Home(getenv func(string) string) string {
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Clean(h)
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return ""
}
