package netrule

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in       string
		host     string
		wildcard bool
		port     uint16
		scheme   string
		path     []string
	}{
		{in: "example.com", host: "example.com"},
		{in: "Example.COM.", host: "example.com"},
		{in: "*.example.com", host: "example.com", wildcard: true},
		{in: "*", wildcard: true},
		{in: "example.com:8443", host: "example.com", port: 8443},
		{in: "127.0.0.1", host: "127.0.0.1"},
		{in: "127.0.0.1:80", host: "127.0.0.1", port: 80},
		{in: "::1", host: "::1"},
		{in: "[::1]", host: "::1"},
		{in: "[::ffff:127.0.0.1]:99", host: "127.0.0.1", port: 99},
		{in: "[2001:DB8::1]:443", host: "2001:db8::1", port: 443},
		{in: "https://api.example.com/v1/**", host: "api.example.com", port: 443, scheme: "https", path: []string{"v1", "**"}},
		{in: "HTTP://h", host: "h", port: 80, scheme: "http", path: []string{"**"}},
		{in: "http://h:8080/", host: "h", port: 8080, scheme: "http", path: []string{""}},
		{in: "http://h/a%20b/*/c", host: "h", port: 80, scheme: "http", path: []string{"a b", "*", "c"}},
		{in: "https://*.example.com/x", host: "example.com", wildcard: true, port: 443, scheme: "https", path: []string{"x"}},
		{in: "http://[::1]:81/x", host: "::1", port: 81, scheme: "http", path: []string{"x"}},
		{in: "under_score.example", host: "under_score.example"},
	} {
		r, err := Parse(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if r.Host != tc.host || r.Wildcard != tc.wildcard || r.Port != tc.port || r.Scheme != tc.scheme ||
			!slices.Equal(r.Path, tc.path) || r.Text != tc.in {
			t.Errorf("%q: got %+v", tc.in, r)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "empty",
		"exa mple.com":                  "without spaces",
		"exämple.com":                   "punycode",
		"ftp://h/":                      "want http:// or https://",
		"https://h/a?b=1":               "remove the query",
		"https://user:pw@h/":            "credentials",
		"h:0":                           "want 1-65535",
		"h:65536":                       "want 1-65535",
		"h:+80":                         "want 1-65535",
		"h:":                            "want 1-65535",
		"[::1":                          "missing ']'",
		"[1.2.3.4]":                     "not an IPv6",
		"[::1]x":                        "unexpected",
		"fe80::1:2:3:4:5:6:7:8:9":       "[addr]:port",
		"a..b":                          "empty label",
		".":                             "missing host",
		"*.":                            "missing host",
		"a.*.b":                         "leading",
		"**.b":                          "leading",
		"a/b":                           "not allowed",
		"https://h/**/x":                "may only end",
		"https://h/a*":                  "whole segment",
		"https://h/a/../b":              "dot segments",
		"https://h/%zz":                 "invalid URL escape",
		"https:///x":                    "missing host",
		strings.Repeat("a", 64):         "longer than 63",
		strings.Repeat("a.", 127) + "a": "longer than 253",
		strings.Repeat("a", 2049):       "longer than 2048",
		"[fe80::1%eth0]":                "zone", "127.000.0.1": "numeric", "0x7f.1": "numeric",
		"fe80::1%eth0": "zone",
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", in, err, want)
		}
	}
}

func mustParse(t testing.TB, s string) Rule {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMatchHost(t *testing.T) {
	for _, tc := range []struct {
		rule string
		host string
		port uint16
		want bool
	}{
		{"example.com", "example.com", 443, true},
		{"example.com", "example.com", 1, true},
		{"example.com", "www.example.com", 443, false},
		{"example.com", "notexample.com", 443, false},
		{"*.example.com", "www.example.com", 443, true},
		{"*.example.com", "a.b.example.com", 80, true},
		{"*.example.com", "example.com", 443, false},
		{"*.example.com", "badexample.com", 443, false},
		{"*.example.com", "example.com.evil", 443, false},
		{"example.com:443", "example.com", 443, true},
		{"example.com:443", "example.com", 80, false},
		{"*", "anything.test", 9, true},
		{"[::1]:8080", "::1", 8080, true},
		{"127.0.0.1", "127.0.0.1", 5, true},
		{"127.0.0.1", "localhost", 5, false},
		{"https://h/x", "h", 443, true},
		{"https://h/x", "h", 80, false},
	} {
		r := mustParse(t, tc.rule)
		if got := r.MatchHost(tc.host, tc.port); got != tc.want {
			t.Errorf("%s vs %s:%d: got %v", tc.rule, tc.host, tc.port, got)
		}
	}
}

func TestMatchPath(t *testing.T) {
	for _, tc := range []struct {
		rule, path string
		want       bool
	}{
		{"http://h/v1/**", "/v1", true},
		{"http://h/v1/**", "/v1/", true},
		{"http://h/v1/**", "/v1/a/b", true},
		{"http://h/v1/**", "/v10", false},
		{"http://h/v1/**", "/", false},
		{"http://h/v1", "/v1", true},
		{"http://h/v1", "/v1/", false},
		{"http://h/v1/*/x", "/v1/any/x", true},
		{"http://h/v1/*/x", "/v1/a/b/x", false},
		{"http://h/v1/*/x", "/v1//x", true},
		{"http://h/a%20b", "/a b", true},
		{"http://h/a%20b", "/a%20b", true},
		{"http://h/a%2Fb", "/a%2fb", true},
		{"http://h/a%2Fb", "/a/b", false},
		{"http://h/", "/", true},
		{"http://h/", "/x", false},
		{"http://h", "/anything/at/all", true},
	} {
		r := mustParse(t, tc.rule)
		segs, err := SplitPath(tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if got := r.MatchPath(segs); got != tc.want {
			t.Errorf("%s vs %s: got %v", tc.rule, tc.path, got)
		}
	}
}

func TestSplitPathDotSegments(t *testing.T) {
	for _, p := range []string{"/a/../b", "/./a", "/a/%2e%2E/b", "/a/%2E", "/.."} {
		if _, err := SplitPath(p); err != ErrDotSegment {
			t.Errorf("%s: got %v", p, err)
		}
	}
	for _, p := range []string{"/a/...", "/.well-known/x", "/a..b"} {
		if _, err := SplitPath(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := SplitPath("x"); err == nil {
		t.Error("a path without '/' was split")
	}
	if segs, err := SplitPath(""); err != nil || !slices.Equal(segs, []string{""}) {
		t.Errorf("empty path: %q %v", segs, err)
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		rule, addr string
		want       bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"127.0.0.1:80", "::ffff:127.0.0.1", true},
		{"127.0.0.1", "127.0.0.2", false},
		{"localhost", "127.0.0.1", true},
		{"localhost", "::1", true},
		{"localhost", "169.254.169.254", false},
		{"169.254.169.254", "169.254.169.254", true},
		{"*", "127.0.0.1", false},
		{"*.localhost", "127.0.0.1", false},
		{"example.com", "127.0.0.1", false},
		{"[::1]", "::1", true},
	} {
		r := mustParse(t, tc.rule)
		if got := r.Names(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("%s names %s: got %v", tc.rule, tc.addr, got)
		}
	}
}
