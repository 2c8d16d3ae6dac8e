package redact

import (
	"slices"
	"strings"
)

// maxPasses bounds the fixed-point loop of the Default rules. One pass
// almost always reaches the fixed point and a second confirms it; the bound
// only guards against a rule interaction nobody has found yet.
const maxPasses = 8

// ScrubArgv returns a copy of argv with secret values replaced by the
// marker. The result has exactly as many elements as argv. Scrubbing the
// result again with the same rules changes nothing, and the Default
// rules' result is also left alone by the Upstream rules (the reverse
// cannot hold: Default finds more in upstream's output).
func (p *Policy) ScrubArgv(rules Rules, argv []string) []string {
	if rules != Default {
		return p.upstreamArgv(argv)
	}
	cur := argv
	for range maxPasses {
		next := p.argvLines(p.strictArgv(cur, p.upstreamArgv(cur)))
		if slices.Equal(next, cur) {
			break
		}
		cur = next
	}
	if len(argv) > 0 && &cur[0] == &argv[0] {
		return slices.Clone(cur)
	}
	return cur
}

// scrubValue scrubs one string: a header line, URLs (userinfo, query), and
// under the Default rules everything else this package recognises in free
// text, shell command strings included.
func (p *Policy) scrubValue(rules Rules, s string) string {
	if rules != Default {
		return p.upstreamValue(s)
	}
	return p.fixValue(s, p.strictValue)
}

// scrubURL scrubs a URL (or any text holding URLs). It is scrubValue under
// another name, for call sites that want to say what they hold.
func (p *Policy) scrubURL(rules Rules, url string) string { return p.scrubValue(rules, url) }

// scrubHeaderLine scrubs one "Name: value" header line, as written after
// curl's -H. A sensitive header keeps its name and gets "[REDACTED]" as its
// value; any other line is scrubbed as a value.
func (p *Policy) scrubHeaderLine(rules Rules, line string) string {
	if rules != Default {
		return p.upstreamHeaderArg(line)
	}
	return p.fixValue(line, func(s string) string {
		return p.strictHeaderValue(p.upstreamHeaderArg(s))
	})
}

// scrubHeader returns the value to record for header name: the marker when
// the name is sensitive. Upstream leaves other values as they are; the
// Default rules scrub them as values.
func (p *Policy) scrubHeader(rules Rules, name, value string) string {
	if p.has(headers, name) {
		return marker
	}
	if rules != Default {
		return value
	}
	if p.secretHeader(name) {
		return marker
	}
	return p.scrubValue(rules, value)
}

// scrubEnvName returns the name to record for an environment variable.
// Upstream hides the names on the policy's env list themselves; the
// Default rules hide exactly the same names (they redact values, not
// names, everywhere else).
func (p *Policy) scrubEnvName(rules Rules, name string) string {
	return p.upstreamEnvName(name)
}

// scrubEnvValue returns the value to record for the environment variable
// name: the marker for a sensitive name, else the value scrubbed as a
// value. The Default rules also count names that look secret (*_TOKEN,
// *_KEY, *PASSWORD*, *SECRET*, ...) as sensitive.
func (p *Policy) scrubEnvValue(rules Rules, name, value string) string {
	if rules != Default {
		return p.upstreamEnvValue(name, value)
	}
	if p.has(envVars, name) {
		return marker
	}
	switch p.assignmentStrength(name) {
	case strongSecret:
		if !nothingToHide(value) {
			return marker
		}
	case weakSecret:
		if !nothingToHide(value) && !looksLikePath(value) {
			return marker
		}
	}
	return p.scrubValue(rules, value)
}

// scrubEnv scrubs one environment pair: the name as scrubEnvName, the
// value as scrubEnvValue.
func (p *Policy) scrubEnv(rules Rules, name, value string) (string, string) {
	return p.scrubEnvName(rules, name), p.scrubEnvValue(rules, name, value)
}

// fixValue runs upstream's value rules followed by pass until nothing
// changes.
func (p *Policy) fixValue(s string, pass func(string) string) string {
	for range maxPasses {
		next := pass(p.upstreamValue(s))
		if next == s {
			break
		}
		s = next
	}
	return s
}

// argvLines scrubs each line of a multi-line argument as if the lines
// were arguments of their own: "--token\nVALUE" is a secret flag and its
// value, whichever way the program splits it. Arguments without a newline
// are returned as they are.
func (p *Policy) argvLines(argv []string) []string {
	for i, a := range argv {
		if !strings.Contains(a, "\n") {
			continue
		}
		lines := strings.Split(a, "\n")
		scrubbed := p.strictArgv(lines, p.upstreamArgv(lines))
		if !slices.Equal(scrubbed, lines) {
			argv[i] = strings.Join(scrubbed, "\n")
		}
	}
	return argv
}
