package proxyproc_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nono-audit/nono/lib/netrule"
	"github.com/nono-audit/nono/lib/proxy"
	"github.com/nono-audit/nono/lib/proxyproc"
)

// This test binary is also the proxy program the tests start.
func TestMain(m *testing.M) {
	if os.Getenv("PROXYPROC_TEST_PROXY") == "1" {
		proxy.Main()
	}
	os.Exit(m.Run())
}

func TestArgsRoundTrip(t *testing.T) {
	want, err := netrule.NewPolicy([]string{"example.com", "*.example.org:8443", "https://api.example.net/v1/**"}, []string{"bad.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	args := proxyproc.Args(want)
	if len(args) != 4 || args[3] != "--deny-domain=bad.example.com" {
		t.Errorf("Args = %q", args)
	}
	got, err := proxyproc.ParseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseArgs(Args(p)) = %+v, want %+v", got, want)
	}
	for _, bad := range [][]string{{"example.com"}, {"--allow=example.com"}, {"--allow-domain=exa mple.com"}} {
		if _, err := proxyproc.ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q): no error", bad)
		}
	}
}

// events collects what Start passes to emit.
type events struct {
	mu    sync.Mutex
	lines []string
}

func (e *events) emit(b []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lines = append(e.lines, string(b))
}

func startProxy(t *testing.T, policy *netrule.Policy, e *events) *proxyproc.Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := proxyproc.Start(exe, policy, append(os.Environ(), "PROXYPROC_TEST_PROXY=1"), e.emit)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProcessRecordsRequests(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	defer origin.Close()
	policy, err := netrule.NewPolicy([]string{"127.0.0.1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var e events
	p := startProxy(t, policy, &e)
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") || p.Port() == 0 {
		t.Fatalf("URL %q, port %d", p.URL(), p.Port())
	}
	proxyURL, _ := url.Parse(p.URL())
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	for _, target := range []string{origin.URL + "/ok", "http://denied.example/"} {
		resp, err := client.Get(target)
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Close returns only once every event has been passed on.
	if len(e.lines) != 2 {
		t.Fatalf("%d events, want 2: %q", len(e.lines), e.lines)
	}
	for i, want := range []string{`"decision":"allow"`, `"decision":"deny"`} {
		if !strings.Contains(e.lines[i], want) || !strings.HasPrefix(e.lines[i], "{") {
			t.Errorf("event %d = %s, want one with %s", i, e.lines[i], want)
		}
	}
}

func TestStartFails(t *testing.T) {
	policy, _ := netrule.NewPolicy(nil, nil)
	var e events
	if _, err := proxyproc.Start("/bin/false", policy, nil, e.emit); err == nil || !strings.Contains(err.Error(), "exited before it listened") {
		t.Errorf("a proxy that exits at once: %v", err)
	}
	if _, err := proxyproc.Start("/no/such/program", policy, nil, e.emit); err == nil {
		t.Error("a missing program: no error")
	}
	// A program that says something else than its port: echo repeats
	// the rule.
	policy, _ = netrule.NewPolicy([]string{"example.com"}, nil)
	if _, err := proxyproc.Start("/bin/echo", policy, nil, e.emit); err == nil || !strings.Contains(err.Error(), "its port") {
		t.Errorf("a program that prints no port: %v", err)
	}
}
