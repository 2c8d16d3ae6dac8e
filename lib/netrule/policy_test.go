package netrule

import (
	"net/netip"
	"strings"
	"testing"
)

func policy(t *testing.T, allow, deny []string) *Policy {
	t.Helper()
	p, err := NewPolicy(allow, deny)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func tunnel(host string, port uint16) Request {
	return Request{Host: host, Port: port, Tunnel: true}
}

func l7(t *testing.T, scheme, host string, port uint16, path string) Request {
	segs, err := SplitPath(path)
	if err != nil {
		t.Fatal(err)
	}
	return Request{Host: host, Port: port, Scheme: scheme, Path: segs}
}

func TestDecide(t *testing.T) {
	p := policy(t,
		[]string{"example.com", "*.github.com:443", "http://api.test/v1/**", "https://files.test/pub/**"},
		[]string{"secret.github.com", "http://api.test/v1/admin/**"})
	for _, tc := range []struct {
		name     string
		req      Request
		allow    bool
		rule     string
		category string
		reason   string
	}{
		{"host rule", tunnel("example.com", 443), true, "example.com", "", ""},
		{"host rule, any port", tunnel("example.com", 8080), true, "example.com", "", ""},
		{"wildcard", tunnel("api.github.com", 443), true, "*.github.com:443", "", ""},
		{"wildcard, wrong port", tunnel("api.github.com", 80), false, "", HostDenied, "api.github.com:80 matches no --allow-domain rule"},
		{"deny beats allow", tunnel("secret.github.com", 443), false, "secret.github.com", HostDenied, "denied by --deny-domain secret.github.com"},
		{"unlisted", tunnel("evil.test", 443), false, "", HostDenied, "evil.test:443 matches no --allow-domain rule"},
		{"ipv6 reason", tunnel("::1", 443), false, "", HostDenied, "[::1]:443 matches no"},
		{"path rule allows", l7(t, "http", "api.test", 80, "/v1/models"), true, "http://api.test/v1/**", "", ""},
		{"path rule, other path", l7(t, "http", "api.test", 80, "/v2"), false, "", EndpointPolicy, "the path matches no --allow-domain rule for api.test:80 (--allow-domain http://api.test/v1/** covers other paths)"},
		{"path deny beats path allow", l7(t, "http", "api.test", 80, "/v1/admin/users"), false, "http://api.test/v1/admin/**", EndpointPolicy, "denied by --deny-domain http://api.test/v1/admin/**"},
		{"path deny applies to https too", l7(t, "https", "api.test", 80, "/v1/admin"), false, "http://api.test/v1/admin/**", EndpointPolicy, ""},
		{"path allow needs its scheme", l7(t, "https", "api.test", 80, "/v1/x"), false, "", EndpointPolicy, ""},
		{"tunnel to a path-restricted host", tunnel("files.test", 443), false, "https://files.test/pub/**", ConnectBypassesL7, "--allow-domain https://files.test/pub/** allows only some paths on files.test:443, which a CONNECT tunnel hides"},
		{"tunnel under a path deny", tunnel("api.test", 80), false, "http://api.test/v1/admin/**", ConnectBypassesL7, "--deny-domain http://api.test/v1/admin/** restricts paths on api.test:80"},
		{"tunnel, other port of a path-rule host", tunnel("files.test", 22), false, "", HostDenied, ""},
		{"reverse to the path-restricted host", l7(t, "https", "files.test", 443, "/pub/a.tgz"), true, "https://files.test/pub/**", "", ""},
	} {
		d := p.Decide(tc.req)
		rule := ""
		if d.Rule != nil {
			rule = d.Rule.Text
		}
		if d.Allow != tc.allow || rule != tc.rule || d.Category != tc.category || !strings.Contains(d.Reason, tc.reason) {
			t.Errorf("%s: got %+v (rule %q)", tc.name, d, rule)
		}
		if d.Allow && d.Reason != "" || !d.Allow && d.Reason == "" {
			t.Errorf("%s: reason %q for allow=%v", tc.name, d.Reason, d.Allow)
		}
		if strings.Contains(d.Reason, "\n") {
			t.Errorf("%s: reason spans lines", tc.name)
		}
	}
}

func TestDenyListOnly(t *testing.T) {
	p := policy(t, nil, []string{"*.ads.test"})
	if d := p.Decide(tunnel("x.ads.test", 443)); d.Allow {
		t.Error("denied host allowed")
	}
	if d := p.Decide(tunnel("example.com", 443)); !d.Allow || d.Rule != nil {
		t.Errorf("deny-list policy: %+v", d)
	}
}

func TestNewPolicyNamesTheFlag(t *testing.T) {
	_, err := NewPolicy([]string{"ok.test"}, []string{"bad rule"})
	if err == nil || !strings.HasPrefix(err.Error(), `--deny-domain: rule "bad rule"`) {
		t.Errorf("got %v", err)
	}
}

func TestCheckAddr(t *testing.T) {
	byRule := func(text string) Decision {
		return policy(t, []string{text}, nil).Decide(tunnel(mustParse(t, text).Host, 1))
	}
	for _, tc := range []struct {
		rule, host, addr string
		want             string // "" = allowed
	}{
		{"127.0.0.1", "127.0.0.1", "127.0.0.1", ""},
		{"example.com", "example.com", "93.184.216.34", ""},
		{"example.com", "example.com", "127.0.0.1", "example.com resolves to 127.0.0.1, a loopback address"},
		{"example.com", "example.com", "::ffff:127.0.0.1", "resolves to 127.0.0.1"},
		{"example.com", "example.com", "169.254.169.254", "cloud metadata"},
		{"example.com", "example.com", "fd00:ec2::254", "cloud metadata"},
		{"example.com", "example.com", "100.100.100.200", "cloud metadata"},
		{"example.com", "example.com", "169.254.1.1", "link-local"},
		{"example.com", "example.com", "fe80::1", "link-local"},
		{"example.com", "example.com", "0.0.0.0", "unspecified"},
		{"example.com", "example.com", "0.1.2.3", "unspecified"},
		{"example.com", "example.com", "::", "unspecified"},
		{"example.com", "example.com", "10.0.0.1", ""},
		{"localhost", "localhost", "::1", ""},
		{"*", "127.0.0.2", "127.0.0.2", "127.0.0.2 is a loopback address, which only a rule naming it allows"},
	} {
		d := byRule(tc.rule)
		err := d.CheckAddr(tc.host, netip.MustParseAddr(tc.addr))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s → %s: %v", tc.host, tc.addr, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s → %s: got %v, want %q", tc.host, tc.addr, err, tc.want)
		}
	}
	none := policy(t, nil, []string{"x.test"}).Decide(tunnel("127.0.0.1", 1)) // deny-list mode
	if none.CheckAddr("127.0.0.1", netip.MustParseAddr("127.0.0.1")) == nil {
		t.Error("loopback allowed without a rule")
	}
	// Any matching allow rule may name the address, not only the first.
	d := policy(t, []string{"*", "localhost"}, nil).Decide(tunnel("localhost", 1))
	if err := d.CheckAddr("localhost", netip.MustParseAddr("::1")); err != nil || d.Rule.Text != "*" {
		t.Errorf("second rule naming loopback: %v", err)
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Example.com.":      "example.com",
		"[::1]":             "::1",
		"::FFFF:127.0.0.1":  "127.0.0.1",
		"[2001:db8:0:0::1]": "2001:db8::1",
	} {
		got, err := NormalizeHost(in)
		if err != nil || got != want {
			t.Errorf("%q: got %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"[1.2.3.4]", "", "a b", "fe80::1%eth0", "[fe80::1%25eth0]"} {
		if _, err := NormalizeHost(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
