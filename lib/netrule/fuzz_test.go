package netrule

import (
	"strings"
	"testing"
)

// Parse never panics; a rule it accepts is normalised (re-parsing its
// host gives the same host) and matches its own host and port.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"example.com", "*.example.com", "h:443", "[::1]:8080", "::1", "*",
		"https://h/v1/**", "http://[::1]:1/a/*/b", "https://u@h/", "h:0", "a..b", "http://h/%2e%2E/x",
		"https://h/a?b", "127.000.0.1", "[::ffff:1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "rule ") {
				t.Fatalf("error without the rule: %v", err)
			}
			return
		}
		if r.Host != "" {
			h, err := NormalizeHost(r.Host)
			if err != nil || h != r.Host {
				t.Fatalf("host %q is not normal: %q %v", r.Host, h, err)
			}
		}
		port := r.Port
		if port == 0 {
			port = 1
		}
		host := r.Host
		if r.Wildcard {
			host = "x." + host
			if r.Host == "" {
				host = "x"
			}
		}
		if !r.MatchHost(host, port) {
			t.Fatalf("%q does not match its own host %q:%d", s, host, port)
		}
		if r.PathLevel() != (r.Path != nil) {
			t.Fatalf("%q: scheme %q with path %q", s, r.Scheme, r.Path)
		}
	})
}

// SplitPath never panics and never yields a dot segment.
func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/a/%2e%2e/b", "/%zz", "", "x", "/a//b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		segs, err := SplitPath(s)
		if err != nil {
			return
		}
		for _, seg := range segs {
			if seg == "." || seg == ".." {
				t.Fatalf("%q: dot segment %q", s, seg)
			}
		}
		r := Rule{Scheme: "http", Path: []string{"**"}}
		if !r.MatchPath(segs) {
			t.Fatalf("/** does not match %q", s)
		}
	})
}
