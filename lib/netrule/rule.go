// Package netrule is the network policy of a proxied session: the rules of
// `--allow-domain` and `--deny-domain`, what each one matches, and the
// addresses a name may resolve to.
//
// A rule is one of
//
//	example.com             the host itself, any port
//	*.example.com           any name below example.com (not example.com itself)
//	example.com:443         the host on that port only
//	127.0.0.1, [::1]:8080   an address, with or without a port
//	*                       any host
//	https://example.com/v1/**   a path-level rule: that scheme, host and port
//	                            (default 80 for http, 443 for https), and the
//	                            paths the pattern matches
//
// Path patterns are matched segment by segment against the request's
// decoded path: `*` is exactly one segment, a final `**` is zero or more,
// anything else is literal. Only requests the proxy can read (plain HTTP,
// reverse mode) have a path; a CONNECT tunnel hides it, so path-level
// rules never allow a tunnel and a path-level deny rule refuses every
// tunnel it could concern (see Policy.Decide).
package netrule

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Rule is one parsed rule.
type Rule struct {
	// Text is the rule as written, for messages and the record.
	Text string
	// Host is the name in lower case without a trailing dot, the suffix
	// after "*." for a wildcard, an address in its canonical form, or ""
	// for "*" (any host).
	Host     string
	Wildcard bool
	// Addr is set when Host is an IP address.
	Addr netip.Addr
	// Port is the only port the rule covers; 0 means any.
	Port uint16
	// Scheme is "http" or "https" for a path-level rule, else "".
	Scheme string
	// Path is the decoded segments of a path-level rule's pattern.
	Path []string
}

// Error is a rule that cannot be parsed.
type Error struct {
	Rule string
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("rule %q: %s", e.Rule, e.Msg) }

// maxRuleLen bounds a rule: a name is at most 253 bytes, and paths in
// rules are short.
const maxRuleLen = 2048

// Parse reads one rule.
func Parse(text string) (Rule, error) {
	fail := func(format string, args ...any) (Rule, error) {
		return Rule{}, &Error{Rule: text, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case text == "":
		return fail("empty")
	case len(text) > maxRuleLen:
		return fail("longer than %d bytes", maxRuleLen)
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; c <= ' ' || c >= 0x7f {
			return fail("contains %q: write names in their ASCII (punycode) form, without spaces", rune(c))
		}
	}
	r := Rule{Text: text}
	rest := text
	if scheme, after, ok := strings.Cut(text, "://"); ok {
		switch strings.ToLower(scheme) {
		case "http", "https":
			r.Scheme = strings.ToLower(scheme)
		default:
			return fail("scheme %q: want http:// or https://", scheme)
		}
		authority, path := after, "/**"
		if i := strings.IndexByte(after, '/'); i >= 0 {
			authority, path = after[:i], after[i:]
		}
		if strings.ContainsAny(path, "?#") {
			return fail("a rule matches paths only: remove the query or fragment")
		}
		segs, err := parsePath(path)
		if err != nil {
			return fail("%v", err)
		}
		r.Path = segs
		rest = authority
	}
	if strings.Contains(rest, "@") {
		return fail("credentials do not belong in a rule")
	}
	host, port, err := splitHostPort(rest)
	if err != nil {
		return fail("%v", err)
	}
	r.Port = port
	if r.Scheme != "" && r.Port == 0 {
		r.Port = 80
		if r.Scheme == "https" {
			r.Port = 443
		}
	}
	if err := r.setHost(host); err != nil {
		return fail("%v", err)
	}
	return r, nil
}

// splitHostPort splits "host", "host:port", "[v6]", "[v6]:port" and a bare
// IPv6 address.
func splitHostPort(s string) (host string, port uint16, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, errors.New("missing ']' after an IPv6 address")
		}
		host, rest := s[1:end], s[end+1:]
		if _, err := netip.ParseAddr(host); err != nil || !strings.Contains(host, ":") {
			return "", 0, fmt.Errorf("%q in brackets is not an IPv6 address", host)
		}
		if rest == "" {
			return host, 0, nil
		}
		if rest[0] != ':' {
			return "", 0, fmt.Errorf("unexpected %q after ']'", rest)
		}
		p, err := parsePort(rest[1:])
		return host, p, err
	}
	if strings.Count(s, ":") > 1 { // a bare IPv6 address
		if _, err := netip.ParseAddr(s); err != nil {
			return "", 0, errors.New("an IPv6 address with a port is written [addr]:port")
		}
		return s, 0, nil
	}
	host, p, ok := strings.Cut(s, ":")
	if !ok {
		return host, 0, nil
	}
	port, err = parsePort(p)
	return host, port, err
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 || s[0] == '+' {
		return 0, fmt.Errorf("port %q: want 1-65535", s)
	}
	return uint16(n), nil
}

func (r *Rule) setHost(h string) error {
	if h == "*" {
		r.Wildcard = true
		return nil
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return errors.New("an address with a zone cannot be proxied")
		}
		r.Addr = a.Unmap()
		r.Host = r.Addr.String()
		return nil
	}
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		r.Wildcard = true
		h = rest
	}
	name, err := NormalizeName(h)
	r.Host = name
	return err
}

// NormalizeName lower-cases a DNS name and drops one trailing dot. It
// fails on anything that is not a plain ASCII name: empty labels, labels
// over 63 bytes, names over 253, characters other than letters, digits,
// '-' and '_' (a '*' anywhere but a rule's leading "*." included).
func NormalizeName(h string) (string, error) {
	h = strings.TrimSuffix(h, ".")
	switch {
	case h == "":
		return "", errors.New("missing host")
	case len(h) > 253:
		return "", errors.New("host name longer than 253 bytes")
	}
	b := []byte(h)
	label := 0
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			if label == 0 {
				return "", fmt.Errorf("host %q has an empty label", h)
			}
			label = 0
			continue
		case c == '*':
			return "", fmt.Errorf("host %q: '*' is allowed only as a leading \"*.\"", h)
		default:
			return "", fmt.Errorf("host %q: %q is not allowed in a host name", h, rune(c))
		}
		if label++; label > 63 {
			return "", fmt.Errorf("host %q has a label longer than 63 bytes", h)
		}
	}
	if label == 0 {
		return "", fmt.Errorf("host %q has an empty label", h)
	}
	// No top-level domain is numeric: "127.000.0.1" or "0x7f.1" is an
	// address in a form some resolvers read differently, not a name.
	last := b[strings.LastIndexByte(string(b), '.')+1:]
	if strings.Trim(string(last), "0123456789") == "" || (len(last) > 2 && string(last[:2]) == "0x") {
		return "", fmt.Errorf("host %q is neither a name nor an address in standard form (numeric last label)", h)
	}
	return string(b), nil
}

// parsePath splits a path pattern into decoded segments, checking that
// "**" comes last and "*" stands alone.
func parsePath(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, errors.New("a path must start with '/'")
	}
	raw := strings.Split(p[1:], "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		switch {
		case s == "**" && i != len(raw)-1:
			return nil, errors.New("\"**\" may only end a path")
		case s != "*" && s != "**" && strings.Contains(s, "*"):
			return nil, fmt.Errorf("segment %q: '*' must be a whole segment", s)
		case s == "." || s == "..":
			return nil, fmt.Errorf("segment %q: paths are matched as written, without dot segments", s)
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("segment %q: %v", s, err)
		}
		segs[i] = d
	}
	return segs, nil
}

// PathLevel reports whether the rule restricts paths.
func (r *Rule) PathLevel() bool { return r.Scheme != "" }

// MatchHost reports whether host (as NormalizeHost returns it) and port
// are within the rule, ignoring any scheme and path.
func (r *Rule) MatchHost(host string, port uint16) bool {
	if r.Port != 0 && r.Port != port {
		return false
	}
	switch {
	case r.Wildcard && r.Host == "":
		return true
	case r.Wildcard:
		return len(host) > len(r.Host) && strings.HasSuffix(host, r.Host) && host[len(host)-len(r.Host)-1] == '.'
	}
	return host == r.Host
}

// MatchPath reports whether segs, a request's decoded path segments (see
// SplitPath), match the rule's pattern. A rule without a path matches
// every path.
func (r *Rule) MatchPath(segs []string) bool {
	if r.Path == nil {
		return true
	}
	for i, p := range r.Path {
		if p == "**" {
			return true
		}
		if i >= len(segs) || (p != "*" && p != segs[i]) {
			return false
		}
	}
	return len(segs) == len(r.Path)
}

// Names reports whether the rule names addr itself, which is what lets a
// request reach a loopback, link-local or metadata address: the rule is
// that address, or "localhost" for a loopback address.
func (r *Rule) Names(addr netip.Addr) bool {
	addr = addr.Unmap()
	if r.Wildcard {
		return false
	}
	if r.Addr.IsValid() {
		return r.Addr == addr
	}
	return r.Host == "localhost" && addr.IsLoopback()
}

func (r *Rule) String() string { return r.Text }
