package redact

import (
	"strings"
	"unicode"
)

// maxDepth bounds how deeply shell strings inside shell strings are
// taken apart (sh -c "ssh h 'bash -c \"…\"'").
const maxDepth = 4

// strictValue applies the Default rules' extra value rules to a string
// upstream's rules have already scrubbed.
func (p *Policy) strictValue(s string) string { return p.strictText(s, 0, false) }

// strictText: header lines with more names, shell command strings taken
// apart into words, URL forms upstream misses, NAME=VALUE and JSON
// assignments, SQL passwords, well-known token formats, and user:pass@host
// without a scheme. aws asks for AWS secret keys to be recognised too.
func (p *Policy) strictText(s string, depth int, aws bool) string {
	if s == "" || s == marker {
		return s
	}
	s = p.strictHeaderLine(s)
	if depth < maxDepth && hasBlank(s) && needsWordPass(s) {
		s = p.shellWords(s, depth, aws)
	}
	s = p.strictURLs(s)
	s = p.scrubAssignments(s)
	s = scrubSQLPasswords(s)
	s, _ = scrubTokens(s, aws)
	s = p.schemelessUserinfo(s)
	return s
}

// strictHeaderValue scrubs the value of a header flag (-H) after
// upstream's rule: more sensitive names, then the value rules.
func (p *Policy) strictHeaderValue(s string) string {
	return p.strictText(s, 0, false)
}

func hasBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			return true
		}
	}
	return false
}

// needsWordPass reports whether the argv rules could find anything in the
// words of s: a flag, an assignment, quoting, or the name of a tool with
// rules of its own. Free text ("need scratch space") skips the lexer.
func needsWordPass(s string) bool {
	if strings.IndexByte(s, '=') >= 0 || strings.IndexByte(s, '\\') >= 0 {
		return true
	}
	for i := 0; i < len(s); {
		for i < len(s) && isBlankByte(s[i]) {
			i++
		}
		start := i
		for i < len(s) && !isBlankByte(s[i]) {
			i++
		}
		word := strings.TrimLeft(s[start:i], "'\"(")
		if word == "" {
			continue
		}
		if word[0] == '-' {
			return true
		}
		if t, ok := lookupTool(strings.TrimRight(word, "'\";|&)")); ok && t != plainTool {
			return true
		}
	}
	return false
}

func isBlankByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// strictHeaderLine redacts the value of a "Name: value" line whose name
// the Default rules count as sensitive, up to the end of that line. The
// whitespace after the colon is kept, as upstream keeps it.
func (p *Policy) strictHeaderLine(s string) string {
	i := strings.IndexByte(s, ':')
	if i <= 0 || !p.secretHeader(s[:i]) {
		return s
	}
	rest := s[i+1:]
	ws := len(rest) - len(strings.TrimLeftFunc(rest, unicode.IsSpace))
	start := i + 1 + ws
	end := start + strings.IndexAny(s[start:], "\r\n")
	if end < start {
		end = len(s)
	}
	if v := s[start:end]; nothingToHide(v) {
		return s
	}
	return s[:start] + marker + s[end:]
}

// nothingToHide: an empty value, the marker, or only a reference to a
// secret ("$TOKEN", "Bearer ${TOKEN}", "$(cat token)").
func nothingToHide(v string) bool {
	return v == "" || v == marker || isVarRef(stripScheme(v))
}

// isVarRef reports whether v is only a reference to a secret, not the
// secret: $NAME, ${NAME}, $(command) or `command`.
func isVarRef(v string) bool {
	if len(v) < 2 {
		return false
	}
	switch {
	case v[0] == '`':
		return v[len(v)-1] == '`' && len(v) > 2
	case v[0] != '$':
		return false
	case v[1] == '{':
		return v[len(v)-1] == '}' && strings.IndexByte(v[2:len(v)-1], '}') < 0 && len(v) > 3
	case v[1] == '(':
		return v[len(v)-1] == ')' && len(v) > 3
	}
	for i := 1; i < len(v); i++ {
		if c := v[i]; !(isWordByte(c)) {
			return false
		}
	}
	return !('0' <= v[1] && v[1] <= '9')
}

// isNameByte: bytes of an assignment name (PG_PASSWORD, db.password,
// api-key).
func isNameByte(c byte) bool { return isWordByte(c) || c == '.' || c == '-' }

// valueStop are the bytes that end an unquoted assignment value inside
// free text.
func valueStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '&', ';', ',', '"', '\'', ')', '}', ']', '|', '<', '>', '`':
		return true
	}
	return false
}

// scrubAssignments redacts the values of assignments with a secret name
// inside free text: NAME=VALUE (form bodies, libpq and ADO.NET connection
// strings, shell exports, mount options), "name": "value" (JSON),
// name: value (YAML), name => value, and their quoted forms.
func (p *Policy) scrubAssignments(s string) string {
	if strings.IndexByte(s, '=') < 0 && strings.IndexByte(s, ':') < 0 {
		return s
	}
	e := scanner{s: s}
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c != '=' && c != ':' {
			continue
		}
		nameEnd := k
		sepEnd := k + 1
		switch {
		case c == '=' && sepEnd < len(s) && (s[sepEnd] == '>' || s[sepEnd] == '='):
			sepEnd++ // => and ==
		case c == ':' && sepEnd < len(s) && s[sepEnd] == '=':
			sepEnd++ // :=
		case c == '=' && k > 0 && s[k-1] == ':':
			continue // the '=' of := was handled at the ':'
		}
		if k < e.done {
			continue
		}
		if c == ':' && sepEnd == k+1 {
			// A colon separates a name only when the name is quoted
			// (JSON), a blank follows (YAML, header lines) or a quote
			// does (a JavaScript object: pwd:'x'); this keeps
			// user:password, host:port, times and URLs.
			next := byte(0)
			if sepEnd < len(s) {
				next = s[sepEnd]
			}
			if next == '/' {
				continue
			}
			prev := byte(0)
			for j := k - 1; j >= 0; j-- {
				if s[j] != ' ' && s[j] != '\t' {
					prev = s[j]
					break
				}
			}
			if prev != '"' && prev != '\'' && next != ' ' && next != '\t' && next != '\'' && next != '"' {
				continue
			}
		}
		name, quoted := assignmentName(s, nameEnd)
		if name == "" {
			continue
		}
		strength := p.keyStrength(name, c == '=' && !quoted)
		if strength == notSecret {
			continue
		}
		vs, ve, ok := assignmentValue(s, sepEnd, c == ':' && !quoted)
		if !ok {
			continue
		}
		v := s[vs:ve]
		if nothingToHide(v) || (strength == weakSecret && looksLikePath(v)) {
			continue
		}
		if quoted && c == ':' && (v == "true" || v == "false" || v == "null") {
			continue
		}
		e.replace(vs, ve, marker)
		k = ve - 1
	}
	return e.result()
}

// assignmentName returns the name ending at s[end] (exclusive), allowing
// blanks before the separator and quotes (or shell-escaped quotes) around
// the name.
func assignmentName(s string, end int) (name string, quoted bool) {
	for end > 0 && (s[end-1] == ' ' || s[end-1] == '\t') {
		end--
	}
	if end > 0 && (s[end-1] == '"' || s[end-1] == '\'') {
		q := s[end-1]
		closeAt := end - 1
		escaped := closeAt > 0 && s[closeAt-1] == '\\'
		if escaped {
			closeAt--
		}
		open := strings.LastIndexByte(s[:closeAt], q)
		if open < 0 {
			return "", false
		}
		name := s[open+1 : closeAt]
		if escaped {
			name = strings.TrimSuffix(name, "\\")
		}
		if name == "" || len(name) > 64 || strings.ContainsAny(name, " \t\n\"'") {
			return "", false
		}
		return name, true
	}
	start := end
	for start > 0 && isNameByte(s[start-1]) {
		start--
	}
	if start == end || end-start > 96 {
		return "", false
	}
	return s[start:end], false
}

// assignmentValue returns the span of the value starting at or after
// from: a quoted string's content, or an unquoted run up to a stop byte.
// toEOL lets an unquoted value run to the end of the line (YAML and
// header values have spaces).
func assignmentValue(s string, from int, toEOL bool) (start, end int, ok bool) {
	i := from
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) {
		return 0, 0, false
	}
	switch s[i] {
	case '"', '\'':
		q := s[i]
		j := i + 1
		for j < len(s) && s[j] != q {
			if s[j] == '\\' && q == '"' {
				j++ // an escaped byte inside a JSON string
			}
			j++
		}
		if j > len(s) {
			j = len(s)
		}
		return i + 1, j, j > i+1
	case '\\':
		if i+1 < len(s) && s[i+1] == '"' {
			j := strings.Index(s[i+2:], `\"`)
			if j < 0 {
				return i + 2, len(s), len(s) > i+2
			}
			return i + 2, i + 2 + j, j > 0
		}
	case '{', '[':
		return 0, 0, false
	}
	j := i
	for j < len(s) {
		c := s[j]
		if toEOL {
			if c == '\n' || c == '\r' || c == '"' || c == '\'' {
				break
			}
		} else if valueStop(c) {
			break
		}
		j++
	}
	if toEOL {
		for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
			j--
		}
	}
	return i, j, j > i
}

// looksLikePath: a value that is a file name rather than a secret.
func looksLikePath(v string) bool {
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") ||
		strings.HasPrefix(v, "~/") || strings.HasPrefix(v, "@") || strings.HasPrefix(v, "file://") ||
		strings.HasPrefix(v, "$HOME/") {
		return true
	}
	dot := strings.LastIndexByte(v, '.')
	if dot <= 0 {
		return false
	}
	switch asciiLower(v[dot+1:]) {
	case "pem", "key", "json", "p12", "pfx", "crt", "cer", "der", "jks", "asc", "gpg",
		"txt", "env", "yaml", "yml", "toml", "kdbx", "ppk", "pub", "conf", "cfg", "ini", "keystore":
		return true
	}
	return false
}

// scrubSQLPasswords redacts the quoted string after PASSWORD or
// IDENTIFIED BY (CREATE/ALTER USER, CREATE ROLE … PASSWORD '…').
func scrubSQLPasswords(s string) string {
	if !containsSQLKeyword(s) {
		return s
	}
	e := scanner{s: s}
	for i := 0; i < len(s); i++ {
		if i > 0 && isWordByte(s[i-1]) {
			continue
		}
		var after int
		switch {
		case hasPrefixFold(s[i:], "password"):
			after = i + len("password")
		case hasPrefixFold(s[i:], "identified"):
			j := skipBlanks(s, i+len("identified"))
			if j == i+len("identified") || !hasPrefixFold(s[j:], "by") {
				continue
			}
			after = j + 2
		default:
			continue
		}
		j := skipBlanks(s, after)
		if j == after || j >= len(s) || (s[j] != '\'' && s[j] != '"') {
			continue
		}
		q := s[j]
		end := strings.IndexByte(s[j+1:], q)
		if end <= 0 {
			continue
		}
		if v := s[j+1 : j+1+end]; !nothingToHide(v) {
			e.replace(j+1, j+1+end, marker)
		}
		i = j + 1 + end
	}
	return e.result()
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// containsSQLKeyword: s holds "password" or "identified" in any case.
func containsSQLKeyword(s string) bool {
	for i := 0; i+8 <= len(s); i++ {
		switch s[i] | 0x20 {
		case 'p':
			if hasPrefixFold(s[i:], "password") {
				return true
			}
		case 'i':
			if hasPrefixFold(s[i:], "identified") {
				return true
			}
		}
	}
	return false
}

// schemelessUserinfo redacts the password of user:password@host forms
// that have no scheme (rsync, scp-like and driver strings).
func (p *Policy) schemelessUserinfo(s string) string {
	if strings.IndexByte(s, '@') < 0 || strings.IndexByte(s, ':') < 0 {
		return s
	}
	e := scanner{s: s}
	for i := 0; i < len(s); i++ {
		if i > 0 && !userinfoBoundary(s[i-1]) {
			continue
		}
		j := i
		for j < len(s) && isUserByte(s[j]) {
			j++
		}
		if j == i || j >= len(s) || s[j] != ':' || strings.HasPrefix(s[j:], "://") {
			continue
		}
		user := asciiLower(s[i:j])
		if user == "mailto" || user == "http" || user == "https" || user == "jdbc" || user == "urn" {
			continue
		}
		// The password runs to the last '@' of the word that is followed
		// by a host name.
		wordEnd := j
		for wordEnd < len(s) && !valueStop(s[wordEnd]) {
			wordEnd++
		}
		at := -1
		for k := wordEnd - 1; k > j; k-- {
			if s[k] == '@' && hostFollows(s[k+1:wordEnd]) {
				at = k
				break
			}
		}
		if at < 0 || at == j+1 {
			i = wordEnd
			continue
		}
		pass := s[j+1 : at]
		if !nothingToHide(pass) && !allDigits(pass) && strings.IndexByte(pass, '/') < 0 {
			e.replace(j+1, at, marker)
		}
		i = wordEnd
	}
	return e.result()
}

func userinfoBoundary(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '=', '(', ',', ';':
		return true
	}
	return false
}

func isUserByte(c byte) bool { return isWordByte(c) || c == '.' || c == '-' || c == '%' || c == '+' }

// hostFollows: s starts with a host name, then ends or goes on with a
// port, a path or a quote.
func hostFollows(s string) bool {
	i := 0
	dots := 0
	for i < len(s) && (isWordByte(s[i]) || s[i] == '.' || s[i] == '-') {
		if s[i] == '.' {
			dots++
		}
		i++
	}
	if i == 0 {
		return false
	}
	if i < len(s) && s[i] != ':' && s[i] != '/' {
		return false
	}
	return dots > 0 || i == len(s) || s[i] == ':' || asciiLower(s[:i]) == "localhost"
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
