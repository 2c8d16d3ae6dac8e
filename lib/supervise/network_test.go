package supervise

import (
	"slices"
	"testing"
)

// Every proxy variable points at the proxy, whatever the caller had;
// NO_PROXY and no_proxy are gone, so no host escapes it.
func TestProxyEnv(t *testing.T) {
	env := []string{"PATH=/bin", "HTTP_PROXY=http://corp:3128", "no_proxy=*", "NO_PROXY=localhost", "https_proxy=x", "NO_PROXY_NOT=kept"}
	got := ProxyEnv(env, "http://127.0.0.1:9")
	want := []string{"PATH=/bin", "NO_PROXY_NOT=kept",
		"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "ALL_PROXY=http://127.0.0.1:9",
		"http_proxy=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9", "all_proxy=http://127.0.0.1:9"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
