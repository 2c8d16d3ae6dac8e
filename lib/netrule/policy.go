package netrule

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Policy is a session's rules. Deny rules are checked first; with no
// allow rule at all, every request no deny rule refuses is allowed.
type Policy struct {
	Allow []Rule
	Deny  []Rule
}

// Flag names, as errors and reasons quote them.
const (
	AllowFlag = "--allow-domain"
	DenyFlag  = "--deny-domain"
)

// NewPolicy parses the values of --allow-domain and --deny-domain.
func NewPolicy(allow, deny []string) (*Policy, error) {
	p := &Policy{}
	for _, list := range []struct {
		flag  string
		texts []string
		dst   *[]Rule
	}{{AllowFlag, allow, &p.Allow}, {DenyFlag, deny, &p.Deny}} {
		for _, t := range list.texts {
			r, err := Parse(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", list.flag, err)
			}
			*list.dst = append(*list.dst, r)
		}
	}
	return p, nil
}

// Request is what a decision is about.
type Request struct {
	Host string // as NormalizeHost returns it
	Port uint16
	// Tunnel is a CONNECT: the proxy sees host and port only.
	Tunnel bool
	// Scheme ("http" or "https") and Path (decoded segments, see
	// SplitPath) of a request the proxy reads.
	Scheme string
	Path   []string
}

func (q *Request) hostPort() string {
	if strings.Contains(q.Host, ":") {
		return "[" + q.Host + "]:" + strconv.Itoa(int(q.Port))
	}
	return q.Host + ":" + strconv.Itoa(int(q.Port))
}

// Denial categories, as network events name them.
const (
	HostDenied        = "host_denied"
	EndpointPolicy    = "endpoint_policy"
	ConnectBypassesL7 = "connect_bypasses_l7"
)

// Decision is the outcome for one request.
type Decision struct {
	Allow bool
	// Rule decided it; nil when none did (no allow rule matched, or there
	// are no allow rules and no deny rule matched).
	Rule *Rule
	// Flag is AllowFlag or DenyFlag when Rule is set.
	Flag string
	// Category and Reason explain a denial; Reason is one line that
	// names the rule.
	Category string
	Reason   string
	// allowing is every allow rule that would allow the request: any of
	// them may name a special address it resolves to.
	allowing []*Rule
}

// Decide applies the policy to q.
func (p *Policy) Decide(q Request) Decision {
	for i := range p.Deny {
		r := &p.Deny[i]
		if !r.MatchHost(q.Host, q.Port) {
			continue
		}
		switch {
		case !r.PathLevel():
			return deny(r, DenyFlag, HostDenied, fmt.Sprintf("denied by %s %s", DenyFlag, r.Text))
		case q.Tunnel:
			return deny(r, DenyFlag, ConnectBypassesL7, fmt.Sprintf(
				"%s %s restricts paths on %s, which a CONNECT tunnel hides", DenyFlag, r.Text, q.hostPort()))
		case r.MatchPath(q.Path): // any scheme: a deny rule fails closed
			return deny(r, DenyFlag, EndpointPolicy, fmt.Sprintf("denied by %s %s", DenyFlag, r.Text))
		}
	}
	if len(p.Allow) == 0 {
		return Decision{Allow: true}
	}
	var allowing []*Rule
	var pathOnly *Rule // an allow rule for this host that a tunnel cannot honour
	var otherPaths *Rule
	for i := range p.Allow {
		r := &p.Allow[i]
		if !r.MatchHost(q.Host, q.Port) {
			continue
		}
		switch {
		case !r.PathLevel(), !q.Tunnel && r.Scheme == q.Scheme && r.MatchPath(q.Path):
			allowing = append(allowing, r)
		case q.Tunnel:
			if pathOnly == nil {
				pathOnly = r
			}
		case otherPaths == nil:
			otherPaths = r
		}
	}
	switch {
	case len(allowing) > 0:
		return Decision{Allow: true, Rule: allowing[0], Flag: AllowFlag, allowing: allowing}
	case pathOnly != nil:
		return deny(pathOnly, AllowFlag, ConnectBypassesL7, fmt.Sprintf(
			"%s %s allows only some paths on %s, which a CONNECT tunnel hides", AllowFlag, pathOnly.Text, q.hostPort()))
	case otherPaths != nil:
		return deny(nil, "", EndpointPolicy, fmt.Sprintf(
			"the path matches no %s rule for %s (%s %s covers other paths)", AllowFlag, q.hostPort(), AllowFlag, otherPaths.Text))
	}
	return deny(nil, "", HostDenied, fmt.Sprintf("%s matches no %s rule", q.hostPort(), AllowFlag))
}

func deny(r *Rule, flag, category, reason string) Decision {
	return Decision{Rule: r, Flag: flag, Category: category, Reason: reason}
}

// CheckAddr refuses an address an allowed name resolved to when it is
// loopback, link-local, unspecified or a cloud metadata address and no
// allow rule that matched the request names it: an allowed name must not
// become a way to reach the machine's own services or its cloud
// credentials.
func (d *Decision) CheckAddr(host string, addr netip.Addr) error {
	kind := SpecialKind(addr)
	if kind == "" {
		return nil
	}
	for _, r := range d.allowing {
		if r.Names(addr) {
			return nil
		}
	}
	if addr.Unmap().String() == host {
		return fmt.Errorf("%s is a %s address, which only a rule naming it allows", host, kind)
	}
	return fmt.Errorf("%s resolves to %s, a %s address, which only a rule naming it allows", host, addr.Unmap(), kind)
}

// metadata are cloud instance metadata services outside the link-local
// range (AWS's IPv6 endpoint, Alibaba's).
var metadata = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),
	netip.MustParseAddr("100.100.100.200"),
}

// SpecialKind names the class of an address a name must not lead to
// without a rule naming it, or returns "" for an ordinary address.
func SpecialKind(addr netip.Addr) string {
	addr = addr.Unmap()
	for _, m := range metadata {
		if addr == m {
			return "cloud metadata"
		}
	}
	switch {
	case addr == netip.MustParseAddr("169.254.169.254"):
		return "cloud metadata"
	case addr.IsLoopback():
		return "loopback"
	case addr.IsUnspecified(), addr.Is4() && addr.As4()[0] == 0:
		// 0.0.0.0/8 and :: reach the local machine.
		return "unspecified (local)"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "link-local"
	}
	return ""
}

// NormalizeHost is the form of a request's host that rules match: an
// address in canonical form (IPv4-mapped IPv6 unmapped, brackets
// removed), else a name as NormalizeName returns it.
func NormalizeHost(h string) (string, error) {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
		if !strings.Contains(h, ":") {
			return "", fmt.Errorf("%q in brackets is not an IPv6 address", h)
		}
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", errors.New("an address with a zone cannot be proxied")
		}
		return a.Unmap().String(), nil
	}
	return NormalizeName(h)
}

// ErrDotSegment is a request path with a "." or ".." segment (also
// percent-encoded): what it names depends on who normalises it, so it is
// refused rather than matched.
var ErrDotSegment = errors.New("the path has a '.' or '..' segment")

// SplitPath decodes an escaped request path ("/a/b%20c") into segments
// for MatchPath.
func SplitPath(escaped string) ([]string, error) {
	if escaped == "" {
		escaped = "/"
	}
	if escaped[0] != '/' {
		return nil, errors.New("the path does not start with '/'")
	}
	raw := strings.Split(escaped[1:], "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("path segment %q: %v", s, err)
		}
		if d == "." || d == ".." {
			return nil, ErrDotSegment
		}
		segs[i] = d
	}
	return segs, nil
}
