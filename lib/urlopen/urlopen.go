// Package urlopen lets a sandboxed command ask the supervisor to open a
// URL (an OAuth login page) that it cannot open itself.
//
// The supervisor listens on a UNIX socket whose path the command gets as
// NONO_URL_SOCKET; its BROWSER is `nono-run open-url`, the client, which
// sends {"url":"…"} and reads {"success":bool,"error":str|null}. One
// request a connection, nothing else is served. The URL is checked
// against the policy (--allow-open-url: by default http and https only),
// opened with $NONO_URL_OPENER, else xdg-open, else shown on the
// terminal, and each request is a url_open event.
package urlopen

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/nono-audit/nono/lib/canon"
)

// SocketEnv names the socket's path in the command's environment.
const SocketEnv = "NONO_URL_SOCKET"

// maxURL bounds a URL: longer ones are refused.
const maxURL = 8 << 10

// Policy is what may be opened.
type Policy struct {
	Schemes []string // lower case, without ':'
	Hosts   []string // exact hosts, or "*.domain" for its subdomains; none: any host
}

// DefaultPolicy is http and https, any host.
func DefaultPolicy() *Policy { return &Policy{Schemes: []string{"http", "https"}} }

// ParsePolicy reads --allow-open-url values: "SCHEME:" allows a scheme
// besides http and https; anything else is a host ("example.com",
// "*.example.com") and limits every URL to the hosts so named.
func ParsePolicy(values []string) (*Policy, error) {
	p := DefaultPolicy()
	for _, v := range values {
		if scheme, ok := strings.CutSuffix(v, ":"); ok {
			if !validScheme(scheme) {
				return nil, fmt.Errorf("--allow-open-url %q: not a URL scheme", v)
			}
			p.Schemes = append(p.Schemes, strings.ToLower(scheme))
			continue
		}
		host := strings.TrimPrefix(v, "*.")
		if host == "" || strings.ContainsAny(host, "/:@?#*[] ") || !utf8Printable(host) {
			return nil, fmt.Errorf("--allow-open-url %q: want a scheme (\"mailto:\") or a host (\"example.com\", \"*.example.com\")", v)
		}
		p.Hosts = append(p.Hosts, strings.ToLower(v))
	}
	return p, nil
}

func validScheme(s string) bool {
	if s == "" || !('a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for _, c := range s {
		if !(c < unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func utf8Printable(s string) bool {
	for _, c := range s {
		if c == unicode.ReplacementChar || !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// Check returns why raw may not be opened, or nil.
func (p *Policy) Check(raw string) error {
	if len(raw) > maxURL {
		return fmt.Errorf("URL longer than %d bytes", maxURL)
	}
	if !utf8Printable(raw) {
		return errors.New("URL holds control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" {
		return errors.New("not an absolute URL")
	}
	allowed := false
	for _, s := range p.Schemes {
		allowed = allowed || s == scheme
	}
	if !allowed {
		return fmt.Errorf("scheme %q is not allowed (--allow-open-url %s: would allow it)", scheme, scheme)
	}
	if (scheme == "http" || scheme == "https") && u.Hostname() == "" {
		return errors.New("URL has no host")
	}
	if len(p.Hosts) == 0 {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range p.Hosts {
		if d, ok := strings.CutPrefix(h, "*."); ok && strings.HasSuffix(host, "."+d) || h == host {
			return nil
		}
	}
	return fmt.Errorf("host %q is not allowed (--allow-open-url)", host)
}

// Event returns the canonical url_open event.
func Event(id, rawURL string, pid uint32, session string, openErr error) []byte {
	b := make([]byte, 0, 128+len(rawURL))
	b = append(b, `{"type":"url_open","request":{"request_id":`...)
	b = canon.AppendString(b, id)
	b = append(b, `,"url":`...)
	b = canon.AppendString(b, rawURL)
	b = append(b, `,"child_pid":`...)
	b = strconv.AppendUint(b, uint64(pid), 10)
	b = append(b, `,"session_id":`...)
	b = canon.AppendString(b, session)
	if openErr == nil {
		return append(b, `},"success":true,"error":null}`...)
	}
	b = append(b, `},"success":false,"error":`...)
	b = canon.AppendString(b, openErr.Error())
	return append(b, '}')
}
