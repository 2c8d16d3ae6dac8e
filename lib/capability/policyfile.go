package capability

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/sandbox"
)

// PolicyFile is --approve policy:FILE: allow and deny rules, one a line,
// the first that matches a request decides it; a request no rule matches
// is denied.
//
//	# VERB ACCESS GLOB
//	allow read      /usr/share/dict/**
//	deny  write     /home/me/project/.git/**
//	allow readwrite /home/me/scratch/*
//
// ACCESS is read, write, readwrite or any (the same as readwrite). An
// allow rule matches a request asking for no more than its access; a deny
// rule matches a request asking for any of its access. GLOB is an
// absolute path (or ~/…, the home directory) whose components may use
// * ? and [...] within one component, and ** for any number of them.
type PolicyFile struct {
	Path  string
	Rules []PolicyRule
}

// PolicyRule is one line of a policy file.
type PolicyRule struct {
	Allow  bool
	Access sandbox.Access
	Glob   string
	Line   int
}

// maxDoubleStars bounds the backtracking of a glob's ** components.
const maxDoubleStars = 4

// maxPolicyFile bounds what is read: a policy is a handful of lines.
const maxPolicyFile = 1 << 20

// LoadPolicyFile reads and checks a policy file.
func LoadPolicyFile(file string) (*PolicyFile, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("--approve policy:%s: %w", file, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("--approve policy:%s: not a regular file", file)
	}
	if st.Size() > maxPolicyFile {
		return nil, fmt.Errorf("--approve policy:%s: larger than %d bytes", file, maxPolicyFile)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--approve policy:%s: %w", file, err)
	}
	rules, err := ParsePolicy(data, os.Getenv("HOME"))
	if err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	return &PolicyFile{Path: file, Rules: rules}, nil
}

// LineError is a policy file error at a line.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%d: %s", e.Line, e.Msg) }

// ParsePolicy parses a policy file's text; home expands a leading "~/"
// ("" refuses it).
func ParsePolicy(data []byte, home string) ([]PolicyRule, error) {
	var rules []PolicyRule
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxPolicyFile)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if !utf8.ValidString(line) {
			return nil, &LineError{n, "not valid UTF-8"}
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		r, err := parseRule(line, home)
		if err != nil {
			return nil, &LineError{n, err.Error()}
		}
		r.Line = n
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		return nil, &LineError{n + 1, err.Error()}
	}
	return rules, nil
}

func parseRule(line, home string) (PolicyRule, error) {
	var r PolicyRule
	verb, rest, _ := strings.Cut(line, " ")
	switch verb {
	case "allow":
		r.Allow = true
	case "deny":
	default:
		return r, fmt.Errorf("%q: a rule starts with allow or deny", verb)
	}
	access, glob, _ := strings.Cut(strings.TrimSpace(rest), " ")
	switch access {
	case "read":
		r.Access = sandbox.Read
	case "write":
		r.Access = sandbox.Write
	case "readwrite", "any":
		r.Access = sandbox.ReadWrite
	case "":
		return r, fmt.Errorf("%s: missing access (read, write, readwrite or any) and path glob", verb)
	default:
		return r, fmt.Errorf("%q: access must be read, write, readwrite or any", access)
	}
	glob = strings.TrimSpace(glob)
	if rest, ok := strings.CutPrefix(glob, "~/"); ok {
		if home == "" || !path.IsAbs(home) {
			return r, fmt.Errorf("%q: ~/ needs an absolute $HOME", glob)
		}
		glob = path.Join(home, rest)
	}
	switch {
	case glob == "":
		return r, fmt.Errorf("%s %s: missing path glob", verb, access)
	case !path.IsAbs(glob):
		return r, fmt.Errorf("%q: the path glob must be absolute (or start with ~/)", glob)
	}
	stars := 0
	for _, seg := range strings.Split(glob[1:], "/") {
		if seg == "**" {
			stars++
		}
		if _, err := path.Match(seg, ""); err != nil {
			return r, fmt.Errorf("%q: bad pattern %q", glob, seg)
		}
	}
	if stars > maxDoubleStars {
		return r, fmt.Errorf("%q: at most %d ** components", glob, maxDoubleStars)
	}
	r.Glob = glob
	return r, nil
}

// Name is the backend as recorded.
func (p *PolicyFile) Name() string { return "policy" }

// Decide applies the first matching rule.
func (p *PolicyFile) Decide(_ context.Context, r *Request, _ []byte) Decision {
	if rule, ok := p.Match(r.Path, r.Access); ok {
		if rule.Allow {
			return Decision{Verdict: Granted}
		}
		return deny("%s:%d denies %s", p.Path, rule.Line, rule.Glob)
	}
	return deny("no rule of %s matches", p.Path)
}

// Match returns the first rule matching a request for access a to file.
func (p *PolicyFile) Match(file string, a sandbox.Access) (PolicyRule, bool) {
	for _, r := range p.Rules {
		if r.Allow && a&^r.Access != 0 || !r.Allow && a&r.Access == 0 {
			continue
		}
		if MatchGlob(r.Glob, file) {
			return r, true
		}
	}
	return PolicyRule{}, false
}

// MatchGlob matches an absolute path against a glob: path.Match per
// component, and a component ** for any number of components (none
// included).
func MatchGlob(glob, name string) bool {
	if !path.IsAbs(glob) || !path.IsAbs(name) {
		return false
	}
	return matchSegs(strings.Split(glob[1:], "/"), strings.Split(path.Clean(name)[1:], "/"))
}

func matchSegs(g, n []string) bool {
	for len(g) > 0 {
		if g[0] == "**" {
			for len(g) > 0 && g[0] == "**" {
				g = g[1:]
			}
			if len(g) == 0 {
				return true
			}
			for i := range n {
				if matchSegs(g, n[i:]) {
					return true
				}
			}
			return false
		}
		if len(n) == 0 {
			return false
		}
		if ok, _ := path.Match(g[0], n[0]); !ok {
			return false
		}
		g, n = g[1:], n[1:]
	}
	return len(n) == 0
}
