package redact

import (
	"strings"
	"unicode"
)

// This file is upstream nono's scrubber (crates/nono/src/scrub.rs), rule
// for rule. Every delimiter is ASCII, so the code indexes bytes. Each pass
// returns its input unchanged (and allocates nothing) when it finds
// nothing to redact.

// upstreamArgv scrubs an argument vector. The state is two flags: the next
// argument is a secret value (after a sensitive flag) or a header value
// (after -H/--header). The first matching rule wins, in upstream's order.
func (p *Policy) upstreamArgv(argv []string) []string {
	return p.upstreamArgvWith(argv, p.upstreamValue)
}

// upstreamArgvStructural is upstream's argv walk without its value rules:
// the words of a shell string get the flag and header rules, while the
// value rules run on the string as a whole.
func (p *Policy) upstreamArgvStructural(argv []string) []string {
	return p.upstreamArgvWith(argv, func(s string) string { return s })
}

func (p *Policy) upstreamArgvWith(argv []string, value func(string) string) []string {
	out := make([]string, len(argv))
	redactNext, headerNext := false, false
	for i, arg := range argv {
		switch {
		case redactNext:
			out[i] = marker
			redactNext = false
		case headerNext:
			out[i] = p.upstreamHeaderArgWith(arg, value)
			headerNext = false
		case p.has(flags, arg):
			out[i] = arg
			redactNext = true
		case isHeaderFlag(arg):
			out[i] = arg
			headerNext = true
		default:
			out[i] = p.upstreamEqualsArg(arg, value)
		}
	}
	return out
}

// upstreamEqualsArg handles --flag=VALUE and --header=VALUE forms, and
// otherwise scrubs the whole argument as a value.
func (p *Policy) upstreamEqualsArg(arg string, value func(string) string) string {
	if name, v, ok := strings.Cut(arg, "="); ok {
		if p.has(flags, name) {
			return name + "=" + marker
		}
		if isHeaderFlag(name) {
			return name + "=" + p.upstreamHeaderArgWith(v, value)
		}
	}
	return value(arg)
}

// isHeaderFlag: exactly -H, or --header in any ASCII case, untrimmed.
func isHeaderFlag(arg string) bool {
	return arg == "-H" || (len(arg) == 8 && strings.EqualFold(arg, "--header") && isASCII(arg))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// upstreamHeaderArg scrubs the value of a header flag. A sensitive header
// is rebuilt as "Name: [REDACTED]" (exactly one space); anything else,
// including an already redacted header, is scrubbed as a value.
func (p *Policy) upstreamHeaderArg(v string) string {
	return p.upstreamHeaderArgWith(v, p.upstreamValue)
}

func (p *Policy) upstreamHeaderArgWith(v string, value func(string) string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 && p.has(headers, v[:i]) &&
		strings.TrimLeftFunc(v[i+1:], unicode.IsSpace) != marker {
		return v[:i] + ": " + marker
	}
	return value(v)
}

// upstreamValue is scrub_value: header line, then URL userinfo, then query
// parameters, each pass working on the previous one's result.
func (p *Policy) upstreamValue(s string) string {
	s = p.upstreamHeaderLine(s)
	s = upstreamUserinfo(s)
	return p.upstreamQuery(s)
}

// upstreamHeaderLine: when the text before the first colon is a sensitive
// header name, keep it, the colon and the whitespace after it, and replace
// everything else (later lines included) with the marker.
func (p *Policy) upstreamHeaderLine(s string) string {
	i := strings.IndexByte(s, ':')
	if i < 0 || !p.has(headers, s[:i]) {
		return s
	}
	rest := s[i+1:]
	ws := len(rest) - len(strings.TrimLeftFunc(rest, unicode.IsSpace))
	return s[:i+1+ws] + marker
}

// authorityEnd returns the index in s where a URL authority starting at 0
// ends: the first of / ? # space TAB CR LF, or len(s).
func authorityEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/', '?', '#', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return len(s)
}

// upstreamUserinfo replaces the password of every scheme://user:pass@host
// with the marker. Any "://" counts; the last '@' of the authority ends
// the userinfo and its first ':' ends the user name. Userinfo without a
// colon is kept.
func upstreamUserinfo(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b []byte
	done := 0 // s[:done] is already in b
	for cursor := 0; ; {
		j := strings.Index(s[cursor:], "://")
		if j < 0 {
			break
		}
		start := cursor + j + 3
		end := start + authorityEnd(s[start:])
		auth := s[start:end]
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			if colon := strings.IndexByte(auth[:at], ':'); colon >= 0 && auth[colon+1:at] != marker {
				b = append(b, s[done:start+colon]...)
				b = append(b, ":"+marker+"@"...)
				done = start + at + 1
			}
		}
		cursor = end
	}
	if b == nil {
		return s
	}
	return string(append(b, s[done:]...))
}

// queryEnd returns the index in s where a query starting at 0 ends: the
// first of # space TAB CR LF, or len(s).
func queryEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '#', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return len(s)
}

// upstreamQuery replaces the value of every sensitive key=value segment of
// every query. Any '?' starts a query, which runs to '#' or whitespace;
// segments are separated by '&' or ';', kept in place.
func (p *Policy) upstreamQuery(s string) string {
	if strings.IndexByte(s, '?') < 0 {
		return s
	}
	var b []byte
	done := 0 // s[:done] is already in b
	for cursor := 0; ; {
		j := strings.IndexByte(s[cursor:], '?')
		if j < 0 {
			break
		}
		qs := cursor + j + 1
		qe := qs + queryEnd(s[qs:])
		seg := qs
		for k := qs; k <= qe; k++ {
			if k < qe && s[k] != '&' && s[k] != ';' {
				continue
			}
			// A value that is already the marker is left as it is: the
			// result is the same, without a copy.
			if eq := strings.IndexByte(s[seg:k], '='); eq >= 0 && s[seg+eq+1:k] != marker && p.has(queryKeys, s[seg:seg+eq]) {
				b = append(b, s[done:seg+eq+1]...)
				b = append(b, marker...)
				done = k
			}
			seg = k + 1
		}
		cursor = qe
	}
	if b == nil {
		return s
	}
	return string(append(b, s[done:]...))
}

// upstreamEnvName hides a sensitive environment variable's name itself.
func (p *Policy) upstreamEnvName(name string) string {
	if p.has(envVars, name) {
		return marker
	}
	return name
}

// upstreamEnvValue hides the value of a sensitive variable and scrubs any
// other value as a value.
func (p *Policy) upstreamEnvValue(name, value string) string {
	if p.has(envVars, name) {
		return marker
	}
	return p.upstreamValue(value)
}
