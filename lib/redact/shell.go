package redact

import (
	"slices"
	"strings"
)

// Shell command strings (sh -c '…', ssh host '…', one argument holding
// "--token abc") are taken apart into words the way a POSIX shell would,
// each command of the string goes through the argv rules, and every word
// the rules change is written back over its own bytes of the string, so
// quoting, spacing and the rest of the text stay as they were.

type shellWord struct {
	text       string
	pos        []int // index in the source of each byte of text
	start, end int   // source span, quotes included
	op         bool  // an operator: ; & | ( ) < > or a newline
}

// lexShell splits s into words and operators. Quotes are removed,
// backslash escapes resolved, and $(…), ${…} and `…` kept whole inside
// their word. An unterminated quote runs to the end of s.
func lexShell(s string) []shellWord {
	var words []shellWord
	var text []byte
	var pos []int
	inWord := false
	start := 0
	emit := func(end int) {
		if inWord {
			words = append(words, shellWord{text: string(text), pos: slices.Clone(pos), start: start, end: end})
		}
		text, pos, inWord = text[:0], pos[:0], false
	}
	add := func(i int) {
		text = append(text, s[i])
		pos = append(pos, i)
	}
	begin := func(i int) {
		if !inWord {
			inWord, start = true, i
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case ' ', '\t', '\r':
			emit(i)
			i++
		case '\n', ';', '&', '|', '(', ')', '<', '>':
			emit(i)
			words = append(words, shellWord{text: s[i : i+1], start: i, end: i + 1, op: true})
			i++
		case '\'':
			begin(i)
			j := i + 1
			for j < len(s) && s[j] != '\'' {
				add(j)
				j++
			}
			i = j + 1
		case '"':
			begin(i)
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\' || s[j+1] == '$' || s[j+1] == '`') {
					j++
				}
				add(j)
				j++
			}
			i = j + 1
		case '\\':
			begin(i)
			if i+1 < len(s) {
				if s[i+1] != '\n' {
					add(i + 1)
				}
				i += 2
			} else {
				add(i)
				i++
			}
		case '$', '`':
			begin(i)
			j := substitutionEnd(s, i)
			for k := i; k < j; k++ {
				add(k)
			}
			i = j
		default:
			begin(i)
			add(i)
			i++
		}
	}
	emit(len(s))
	return words
}

// substitutionEnd returns the end of $(…), ${…} or `…` at s[i], or i+1 for
// a plain '$'.
func substitutionEnd(s string, i int) int {
	if s[i] == '`' {
		for j := i + 1; j < len(s); j++ {
			if s[j] == '`' {
				return j + 1
			}
		}
		return len(s)
	}
	if i+1 >= len(s) || (s[i+1] != '(' && s[i+1] != '{') {
		return i + 1
	}
	open, close := s[i+1], byte(')')
	if open == '{' {
		close = '}'
	}
	depth := 0
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// shellWords runs every command of the shell string s through the argv
// rules and writes the changed words back into s.
func (p *Policy) shellWords(s string, depth int, aws bool) string {
	words := lexShell(s)
	if len(words) < 2 {
		return s
	}
	type edit struct {
		start, end int
		with       string
	}
	var edits []edit
	for i := 0; i < len(words); {
		if words[i].op {
			i++
			continue
		}
		j := i
		for j < len(words) && !words[j].op {
			j++
		}
		argv := make([]string, j-i)
		for k := range argv {
			argv[k] = words[i+k].text
		}
		out := p.strictArgvDepth(argv, p.upstreamArgvStructural(argv), depth+1, aws)
		for k := range argv {
			if out[k] != argv[k] {
				// Only a change that hides text of the word is written
				// back: a marker for an empty value, or a header rebuilt
				// around a value the shell split off, would only add.
				st, en, with := wordEdit(s, words[i+k], out[k])
				if hidden := strings.TrimSpace(s[st:en]); !nothingToHide(hidden) {
					edits = append(edits, edit{st, en, with})
				}
			}
		}
		i = j
	}
	if len(edits) == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+len(edits)*len(marker))
	done := 0
	for _, ed := range edits {
		if ed.start < done {
			continue
		}
		b = append(b, s[done:ed.start]...)
		b = append(b, ed.with...)
		done = ed.end
	}
	return string(append(b, s[done:]...))
}

// wordEdit turns a changed word into a change of the source: the part
// between the common prefix and suffix of old and new text, mapped back
// to the bytes it came from.
func wordEdit(s string, w shellWord, newText string) (start, end int, with string) {
	old := w.text
	pre := 0
	for pre < len(old) && pre < len(newText) && old[pre] == newText[pre] {
		pre++
	}
	suf := 0
	for suf < len(old)-pre && suf < len(newText)-pre && old[len(old)-1-suf] == newText[len(newText)-1-suf] {
		suf++
	}
	with = newText[pre : len(newText)-suf]
	switch {
	case pre < len(old)-suf:
		return w.pos[pre], w.pos[len(old)-suf-1] + 1, with
	case pre < len(old):
		return w.pos[pre], w.pos[pre], with
	case len(old) > 0:
		at := w.pos[len(old)-1] + 1
		return at, at, with
	}
	at := w.start
	if at < len(s) && (s[at] == '\'' || s[at] == '"') {
		at++
	}
	return at, at, with
}

// stripScheme drops an authorization scheme before a credential, so that
// "Bearer $TOKEN" counts as the variable reference it is.
func stripScheme(v string) string {
	for _, scheme := range [...]string{"bearer ", "basic ", "token "} {
		if hasPrefixFold(v, scheme) {
			return strings.TrimSpace(v[len(scheme):])
		}
	}
	return v
}
