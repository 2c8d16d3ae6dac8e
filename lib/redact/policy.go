// Package redact scrubs secrets from command lines, header lines, URLs and
// environment pairs before they are recorded.
//
// A Policy holds four sets of names (secret-bearing flags, HTTP header
// names, URL query keys and environment variable names), built from the
// secure default and the user's [redaction] configuration. Two rule sets
// apply a policy:
//
//   - Upstream reproduces upstream nono's scrubber byte for byte, so that
//     records hash identically on both sides.
//   - Default runs the upstream rules first and then extra rules on what
//     they left: short and attached flag forms, NAME=VALUE assignments,
//     well-known token formats, URL forms upstream misses, shell strings
//     and JSON bodies. It redacts a superset of what Upstream redacts.
//
// Every rule keeps the name and replaces only the value with the marker
// "[REDACTED]", never changes the number of argv elements, and is
// idempotent: scrubbing a scrubbed value again changes nothing, and the
// Default rules' output is left alone by the Upstream rules too.
//
// Events and Stream scrub audit event lines (nono-redact); LoadConfig reads
// the [redaction] table of the user's config.toml; Diff is the
// redaction_policy recorded with a session. docs/REDACTION.md describes
// every rule.
package redact

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
)

// marker replaces every redacted value.
const marker = "[REDACTED]"

// category is one of the four name sets of a policy.
type category int

const (
	flags category = iota
	headers
	queryKeys
	envVars
	numCategories
)

func (c category) String() string {
	switch c {
	case flags:
		return "flags"
	case headers:
		return "headers"
	case queryKeys:
		return "query_keys"
	case envVars:
		return "env_vars"
	}
	return "invalid"
}

// The secure default name sets (upstream's lists).
var (
	defaultFlags = []string{
		"--token", "--password", "--api-key", "--apikey", "--secret", "--auth",
		"--bearer", "--access-token", "--client-secret",
	}
	defaultHeaders = []string{
		"authorization", "proxy-authorization", "x-api-key", "x-auth-token",
		"cookie", "set-cookie",
	}
	defaultQueryKeys = []string{
		"token", "access_token", "api_key", "apikey", "key", "secret",
		"password", "code", "state", "nonce", "client_secret",
	}
	defaultEnvVars = []string{
		"ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AZURE_OPENAI_API_KEY", "COHERE_API_KEY", "GEMINI_API_KEY", "GH_TOKEN",
		"GITHUB_TOKEN", "GOOGLE_API_KEY", "HUGGINGFACE_API_TOKEN",
		"MISTRAL_API_KEY", "NONO_PROXY_TOKEN", "OPENAI_API_KEY",
		"TOGETHER_API_KEY",
	}
)

func defaultNames(c category) []string {
	switch c {
	case flags:
		return defaultFlags
	case headers:
		return defaultHeaders
	case queryKeys:
		return defaultQueryKeys
	case envVars:
		return defaultEnvVars
	}
	return nil
}

// Policy is the set of names whose values are redacted. Names are stored
// trimmed and ASCII-lowercased, and matched against a trimmed candidate
// ignoring ASCII case only: upstream does not fold Unicode, so neither may
// we (K U+212A KELVIN SIGN is not k).
type Policy struct {
	sets [numCategories]nameSet
	// allowed holds every name the configuration asked to leave
	// unredacted, in stored form. The Default rules consult it so that an
	// explicit allowance also turns off their own rules for that name.
	allowed nameSet
}

// nameSet is a set of stored names that can say no quickly: lens has bit
// n set when a name of n bytes is in the set (bit 63: 63 or more), so most
// lookups never hash.
type nameSet struct {
	m    map[string]struct{}
	lens uint64
}

func newNameSet(n int) nameSet { return nameSet{m: make(map[string]struct{}, n)} }

func lenBit(n int) uint64 { return 1 << min(n, 63) }

func (s *nameSet) add(n string) {
	s.m[n] = struct{}{}
	s.lens |= lenBit(len(n))
}

func (s *nameSet) del(n string) {
	if _, ok := s.m[n]; !ok {
		return
	}
	delete(s.m, n)
	s.lens = 0
	for k := range s.m {
		s.lens |= lenBit(len(k))
	}
}

func (s *nameSet) contains(n string) bool {
	_, ok := s.m[n]
	return ok
}

// DefaultPolicy returns the secure default policy.
func DefaultPolicy() *Policy {
	p := &Policy{allowed: newNameSet(0)}
	for c := range numCategories {
		p.sets[c] = newNameSet(16)
		for _, n := range defaultNames(c) {
			p.sets[c].add(normalizeName(n))
		}
	}
	return p
}

// clone returns an independent copy of p.
func (p *Policy) clone() *Policy {
	q := &Policy{allowed: newNameSet(len(p.allowed.m))}
	for c := range numCategories {
		q.sets[c] = newNameSet(len(p.sets[c].m))
		for n := range p.sets[c].m {
			q.sets[c].add(n)
		}
	}
	for n := range p.allowed.m {
		q.allowed.add(n)
	}
	return q
}

// add puts names into category c. Names are trimmed and ASCII-lowercased;
// empty ones are ignored.
func (p *Policy) add(c category, names ...string) {
	for _, n := range names {
		if n = normalizeName(n); n != "" {
			p.sets[c].add(n)
		}
	}
}

// allow removes each name from all four categories (upstream's
// allow_unredacted_defaults) and remembers it, so that the Default rules
// leave it alone too.
func (p *Policy) allow(names ...string) {
	for _, n := range names {
		if n = normalizeName(n); n != "" {
			for c := range numCategories {
				p.sets[c].del(n)
			}
			p.allowed.add(n)
		}
	}
}

// names returns the stored names of category c, sorted bytewise.
func (p *Policy) names(c category) []string {
	out := make([]string, 0, len(p.sets[c].m))
	for n := range p.sets[c].m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// has reports whether name, trimmed, matches category c ignoring ASCII case.
func (p *Policy) has(c category, name string) bool {
	return hasName(&p.sets[c], strings.TrimSpace(name))
}

// allowedName reports whether the configuration allowed name (already
// trimmed) to stay unredacted.
func (p *Policy) allowedName(name string) bool {
	return len(p.allowed.m) > 0 && hasName(&p.allowed, name)
}

// hasName looks up name (already trimmed) ignoring ASCII case, without
// allocating for names of ordinary length.
func hasName(set *nameSet, name string) bool {
	if len(name) == 0 || set.lens&lenBit(len(name)) == 0 {
		return false
	}
	var buf [64]byte
	if len(name) > len(buf) {
		return set.contains(asciiLower(name))
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return set.contains(string(b))
}

// normalizeName is the stored form of a name: trimmed, ASCII-lowercased.
func normalizeName(s string) string { return asciiLower(strings.TrimSpace(s)) }

// asciiLower lowers A-Z only, leaving every other byte (and so every
// non-ASCII letter) as it is.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// diffKeys are the policy-diff keys in their serialised order.
var diffKeys = [2 * numCategories]string{
	"added_flags", "removed_flags", "added_headers", "removed_headers",
	"added_query_keys", "removed_query_keys", "added_env_vars", "removed_env_vars",
}

// Diff returns the difference from the secure default in upstream's
// ScrubPolicyDiff shape: an object with the keys of diffKeys in that order,
// each present only when its sorted list is non-empty. It returns canon
// Null when the policy equals the secure default; the caller then leaves
// the redaction_policy field out.
func (p *Policy) Diff() canon.Value {
	def := DefaultPolicy()
	var members []canon.Member
	for c := range numCategories {
		var added, removed []string
		for n := range p.sets[c].m {
			if !def.sets[c].contains(n) {
				added = append(added, n)
			}
		}
		for n := range def.sets[c].m {
			if !p.sets[c].contains(n) {
				removed = append(removed, n)
			}
		}
		if len(added) > 0 {
			slices.Sort(added)
			members = append(members, canon.Member{Key: diffKeys[2*c], Value: canon.StringsValue(added)})
		}
		if len(removed) > 0 {
			slices.Sort(removed)
			members = append(members, canon.Member{Key: diffKeys[2*c+1], Value: canon.StringsValue(removed)})
		}
	}
	if len(members) == 0 {
		return canon.NullValue()
	}
	return canon.ObjectValue(members...)
}

// PolicyFromDiff rebuilds a policy from a recorded diff: Null (or an empty
// object) is the secure default; otherwise the added names are added to
// and the removed names taken from the default sets. Missing keys mean
// empty lists; an unknown key or a value that is not an array of strings
// is an error.
func PolicyFromDiff(diff canon.Value) (*Policy, error) {
	p := DefaultPolicy()
	switch diff.Kind {
	case canon.Null:
		return p, nil
	case canon.Object:
	default:
		return nil, fmt.Errorf("redaction policy: want an object or null, got %s", diff.Kind)
	}
	seen := map[string]bool{}
	for _, m := range diff.Members {
		i := slices.Index(diffKeys[:], m.Key)
		if i < 0 {
			return nil, fmt.Errorf("redaction policy: unknown key %q", m.Key)
		}
		if seen[m.Key] {
			return nil, fmt.Errorf("redaction policy: duplicate key %q", m.Key)
		}
		seen[m.Key] = true
		names, ok := m.Value.Strings()
		if !ok {
			return nil, fmt.Errorf("redaction policy: %s: want an array of strings", m.Key)
		}
		c := category(i / 2)
		for _, n := range names {
			if n = normalizeName(n); n == "" {
				continue
			}
			if i%2 == 0 {
				p.sets[c].add(n)
			} else {
				// A removed default was allowed by the configuration:
				// the Default rules leave it alone too.
				p.sets[c].del(n)
				p.allowed.add(n)
			}
		}
	}
	return p, nil
}

// equal reports whether p and q hold the same names in every category.
func (p *Policy) equal(q *Policy) bool {
	for c := range numCategories {
		if len(p.sets[c].m) != len(q.sets[c].m) {
			return false
		}
		for n := range p.sets[c].m {
			if !q.sets[c].contains(n) {
				return false
			}
		}
	}
	return true
}
