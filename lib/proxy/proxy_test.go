package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/netrule"
)

// recorder collects the events a proxy records.
type recorder struct {
	mu     sync.Mutex
	events [][]byte
}

func (r *recorder) record(ev []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, bytes.Clone(ev))
}

// networkEvent is the decoded NetworkAuditEvent of one recorded event.
type networkEvent struct {
	Mode                 string  `json:"mode"`
	Decision             string  `json:"decision"`
	DenialCategory       string  `json:"denial_category"`
	EndpointPolicyAction string  `json:"endpoint_policy_action"`
	EndpointPolicyRule   string  `json:"endpoint_policy_rule"`
	Target               string  `json:"target"`
	Port                 *int    `json:"port"`
	Method               *string `json:"method"`
	Path                 *string `json:"path"`
	Status               *int    `json:"status"`
	Reason               *string `json:"reason"`
}

func (r *recorder) take(t *testing.T) []networkEvent {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []networkEvent
	for _, ev := range r.events {
		again, err := event.Canonicalize(ev)
		if err != nil || !bytes.Equal(again, ev) {
			t.Errorf("recorded event is not canonical: %s (%v)", ev, err)
		}
		var wrapper struct {
			Type  string       `json:"type"`
			Event networkEvent `json:"event"`
		}
		if err := json.Unmarshal(ev, &wrapper); err != nil || wrapper.Type != "network" {
			t.Fatalf("event %s: %v", ev, err)
		}
		out = append(out, wrapper.Event)
	}
	r.events = nil
	return out
}

// fakeResolver maps names to addresses.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

type fixture struct {
	proxy    *Server
	rec      *recorder
	http     *httptest.Server // plain HTTP origin
	https    *httptest.Server // HTTPS origin
	httpPort uint16
	tlsPort  uint16
}

// origin answers every request with its method and URI, "201" paths with
// 201, and /big?n=N with N bytes.
func origin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/big") {
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			w.Header().Set("Content-Length", strconv.Itoa(n))
			io.CopyN(w, zeros{}, int64(n))
			return
		}
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(r.URL.Path, "201") {
			w.WriteHeader(http.StatusCreated)
		}
		fmt.Fprintf(w, "%s %s %s proxy-auth=%q", r.Method, r.URL.RequestURI(), body, r.Header.Get("Proxy-Authorization"))
	})
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

func portOf(t testing.TB, rawURL string) uint16 {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(u.Port())
	return uint16(p)
}

func newFixture(t *testing.T, allow, deny []string, mutate ...func(*fixture, *Config)) *fixture {
	t.Helper()
	f := &fixture{rec: &recorder{}}
	f.http = httptest.NewServer(origin())
	t.Cleanup(f.http.Close)
	f.https = httptest.NewTLSServer(origin())
	t.Cleanup(f.https.Close)
	f.httpPort, f.tlsPort = portOf(t, f.http.URL), portOf(t, f.https.URL)
	for i := range allow {
		allow[i] = strings.NewReplacer("HTTPPORT", strconv.Itoa(int(f.httpPort)), "TLSPORT", strconv.Itoa(int(f.tlsPort))).Replace(allow[i])
	}
	for i := range deny {
		deny[i] = strings.NewReplacer("HTTPPORT", strconv.Itoa(int(f.httpPort)), "TLSPORT", strconv.Itoa(int(f.tlsPort))).Replace(deny[i])
	}
	pol, err := netrule.NewPolicy(allow, deny)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Policy: pol, Record: f.rec.record, Resolver: fakeResolver{
		"localhost":     {"127.0.0.1"},
		"rebind.test":   {"127.0.0.1"},
		"metadata.test": {"169.254.169.254"},
		"mixed.test":    {"192.0.2.1", "127.0.0.1"},
	}, DialTimeout: 5 * time.Second}
	for _, m := range mutate {
		m(f, &cfg)
	}
	f.proxy, err = Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.proxy.Close() })
	return f
}

// client is a Go HTTP client using the proxy and trusting the HTTPS origin.
func (f *fixture) client() *http.Client {
	proxyURL, _ := url.Parse(f.proxy.URL())
	tr := f.https.Client().Transport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(proxyURL)
	tr.DisableKeepAlives = true
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, rawURL string) (int, string) {
	t.Helper()
	resp, err := c.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func ptr[T any](v T) *T { return &v }

func checkEvent(t *testing.T, got networkEvent, want networkEvent) {
	t.Helper()
	eq := func(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	eqs := func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	if got.Mode != want.Mode || got.Decision != want.Decision || got.DenialCategory != want.DenialCategory ||
		got.Target != want.Target || !eq(got.Port, want.Port) || !eqs(got.Method, want.Method) ||
		!eqs(got.Path, want.Path) || !eq(got.Status, want.Status) ||
		got.EndpointPolicyRule != want.EndpointPolicyRule || got.EndpointPolicyAction != want.EndpointPolicyAction ||
		(want.Reason == nil) != (got.Reason == nil) || (want.Reason != nil && !strings.Contains(*got.Reason, *want.Reason)) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("event\n got  %s\n want %s", g, w)
	}
}

func TestGoClientThroughProxy(t *testing.T) {
	f := newFixture(t, []string{"127.0.0.1"}, nil)
	c := f.client()
	status, body := get(t, c, f.https.URL+"/secure?q=1")
	if status != 200 || body != `GET /secure?q=1  proxy-auth=""` {
		t.Fatalf("https: %d %q", status, body)
	}
	status, body = get(t, c, f.http.URL+"/plain/201?x=y")
	if status != 201 || body != `GET /plain/201?x=y  proxy-auth=""` {
		t.Fatalf("http: %d %q", status, body)
	}
	resp, err := c.Post(f.http.URL+"/upload", "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `POST /upload payload proxy-auth=""` {
		t.Fatalf("post: %q", b)
	}
	evs := f.rec.take(t)
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	checkEvent(t, evs[0], networkEvent{Mode: "connect", Decision: "allow", Target: "127.0.0.1",
		Port: ptr(int(f.tlsPort)), Method: ptr("CONNECT"), Status: ptr(200)})
	checkEvent(t, evs[1], networkEvent{Mode: "reverse", Decision: "allow", Target: "127.0.0.1",
		Port: ptr(int(f.httpPort)), Method: ptr("GET"), Path: ptr("/plain/201?x=y"), Status: ptr(201)})
	checkEvent(t, evs[2], networkEvent{Mode: "reverse", Decision: "allow", Target: "127.0.0.1",
		Port: ptr(int(f.httpPort)), Method: ptr("POST"), Path: ptr("/upload"), Status: ptr(200)})
}

// writePEM writes the HTTPS origin's certificate for curl's --cacert.
func (f *fixture) writePEM(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "origin.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.https.Certificate().Raw})
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func curl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (.ci/run installs it)")
	}
	cmd := exec.Command("curl", append([]string{"-sS", "--max-time", "10"}, args...)...)
	cmd.Env = append(os.Environ(), "http_proxy=", "https_proxy=", "HTTPS_PROXY=", "ALL_PROXY=", "all_proxy=", "NO_PROXY=", "no_proxy=")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil {
		return out.String() + stderr.String(), err
	}
	return out.String(), nil
}

func TestCurlThroughProxy(t *testing.T) {
	f := newFixture(t, []string{"127.0.0.1"}, []string{"127.0.0.1:1"})
	ca := f.writePEM(t)
	out, err := curl(t, "-x", f.proxy.URL(), "--cacert", ca, f.https.URL+"/over-tls")
	if err != nil || out != `GET /over-tls  proxy-auth=""` {
		t.Fatalf("curl https: %q %v", out, err)
	}
	out, err = curl(t, "-x", f.proxy.URL(), f.http.URL+"/plain?token=abc")
	if err != nil || out != `GET /plain?token=abc  proxy-auth=""` {
		t.Fatalf("curl http: %q %v", out, err)
	}
	// A denied tunnel is a clean curl error, a denied request a 403 body.
	out, err = curl(t, "-x", f.proxy.URL(), "https://127.0.0.1:1/")
	if err == nil || !strings.Contains(out, "403") {
		t.Fatalf("denied CONNECT: %q %v", out, err)
	}
	out, err = curl(t, "-x", f.proxy.URL(), "-w", "%{http_code}", "http://127.0.0.1:1/x")
	if err != nil || out != "nono proxy: denied by --deny-domain 127.0.0.1:1\n403" {
		t.Fatalf("denied GET: %q %v", out, err)
	}
	evs := f.rec.take(t)
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4", len(evs))
	}
	checkEvent(t, evs[0], networkEvent{Mode: "connect", Decision: "allow", Target: "127.0.0.1",
		Port: ptr(int(f.tlsPort)), Method: ptr("CONNECT"), Status: ptr(200)})
	checkEvent(t, evs[1], networkEvent{Mode: "reverse", Decision: "allow", Target: "127.0.0.1",
		Port: ptr(int(f.httpPort)), Method: ptr("GET"), Path: ptr("/plain?token=abc"), Status: ptr(200)})
	checkEvent(t, evs[2], networkEvent{Mode: "connect", Decision: "deny", DenialCategory: "host_denied",
		Target: "127.0.0.1", Port: ptr(1), Method: ptr("CONNECT"), Status: ptr(403), Reason: ptr("denied by --deny-domain 127.0.0.1:1")})
	checkEvent(t, evs[3], networkEvent{Mode: "reverse", Decision: "deny", DenialCategory: "host_denied",
		Target: "127.0.0.1", Port: ptr(1), Method: ptr("GET"), Path: ptr("/x"), Status: ptr(403), Reason: ptr("denied by --deny-domain 127.0.0.1:1")})
}

// rawRequest sends req to the proxy on a new connection and returns the
// status line and body of its answer.
func rawRequest(t *testing.T, p *Server, req string) (string, string) {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(int(p.Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Status, string(body)
}

func TestDenials(t *testing.T) {
	f := newFixture(t, []string{"127.0.0.1", "localhost:TLSPORT", "example.com"}, []string{"localhost:HTTPPORT", "*.bad.test"})
	for _, tc := range []struct {
		req    string
		status string
		body   string
		want   networkEvent
	}{
		{"CONNECT unlisted.test:443 HTTP/1.1\r\nHost: unlisted.test:443\r\n\r\n", "403 Forbidden",
			"nono proxy: unlisted.test:443 matches no --allow-domain rule\n",
			networkEvent{Mode: "connect", Decision: "deny", DenialCategory: "host_denied", Target: "unlisted.test", Port: ptr(443),
				Method: ptr("CONNECT"), Status: ptr(403), Reason: ptr("unlisted.test:443 matches no --allow-domain rule")}},
		{"GET http://x.bad.test/a HTTP/1.1\r\nHost: x.bad.test\r\n\r\n", "403 Forbidden",
			"nono proxy: denied by --deny-domain *.bad.test\n",
			networkEvent{Mode: "reverse", Decision: "deny", DenialCategory: "host_denied", Target: "x.bad.test", Port: ptr(80),
				Method: ptr("GET"), Path: ptr("/a"), Status: ptr(403), Reason: ptr("denied by --deny-domain *.bad.test")}},
		{fmt.Sprintf("GET http://localhost:%d/ HTTP/1.1\r\nHost: localhost\r\n\r\n", f.httpPort), "403 Forbidden",
			fmt.Sprintf("nono proxy: denied by --deny-domain localhost:%d\n", f.httpPort),
			networkEvent{Mode: "reverse", Decision: "deny", DenialCategory: "host_denied", Target: "localhost", Port: ptr(int(f.httpPort)),
				Method: ptr("GET"), Path: ptr("/"), Status: ptr(403), Reason: ptr("denied by --deny-domain")}},
		// An allowed name does not lead to loopback or metadata...
		{"CONNECT example.com:443 HTTP/1.1\r\n\r\n", "502 Bad Gateway", "nono proxy: resolve example.com: lookup example.com: no such host\n",
			networkEvent{Mode: "connect", Decision: "deny", DenialCategory: "upstream_connect_failed", Target: "example.com", Port: ptr(443),
				Method: ptr("CONNECT"), Status: ptr(502), Reason: ptr("no such host")}},
		{"CONNECT EXAMPLE.com.:8443 HTTP/1.1\r\n\r\n", "502 Bad Gateway", "",
			networkEvent{Mode: "connect", Decision: "deny", DenialCategory: "upstream_connect_failed", Target: "example.com", Port: ptr(8443),
				Method: ptr("CONNECT"), Status: ptr(502), Reason: ptr("no such host")}},
		// ... and the proxy refuses to tunnel to itself.
		{"CONNECT 127.0.0.1:" + strconv.Itoa(int(f.proxy.Port())) + " HTTP/1.1\r\n\r\n", "403 Forbidden", "",
			networkEvent{Mode: "connect", Decision: "deny", DenialCategory: "host_denied", Target: "127.0.0.1", Port: ptr(int(f.proxy.Port())),
				Method: ptr("CONNECT"), Status: ptr(403), Reason: ptr("is the proxy itself")}},
		{"CONNECT nohost HTTP/1.1\r\n\r\n", "400 Bad Request", "nono proxy: CONNECT target: \"nohost\": want host:port\n",
			networkEvent{Mode: "connect", Decision: "deny", Target: "nohost", Method: ptr("CONNECT"), Status: ptr(400), Reason: ptr("want host:port")}},
		{"GET http://127.0.0.1:1/a/../b HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", "403 Forbidden", "nono proxy: the path has a '.' or '..' segment\n",
			networkEvent{Mode: "reverse", Decision: "deny", DenialCategory: "endpoint_policy", Target: "127.0.0.1", Port: ptr(1),
				Method: ptr("GET"), Path: ptr("/a/../b"), Status: ptr(403), Reason: ptr("'..' segment")}},
		{fmt.Sprintf("GET http://127.0.0.1:%d/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", f.httpPort), "501 Not Implemented", "",
			networkEvent{Mode: "reverse", Decision: "deny", DenialCategory: "unsupported_upgrade", Target: "127.0.0.1", Port: ptr(int(f.httpPort)),
				Method: ptr("GET"), Path: ptr("/ws"), Status: ptr(501), Reason: ptr("only through CONNECT")}},
		{"GET http://127.0.0.1:1/closed HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", "502 Bad Gateway", "",
			networkEvent{Mode: "reverse", Decision: "deny", DenialCategory: "upstream_connect_failed", Target: "127.0.0.1", Port: ptr(1),
				Method: ptr("GET"), Path: ptr("/closed"), Status: ptr(502), Reason: ptr("connection refused")}},
		{"CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n", "502 Bad Gateway", "",
			networkEvent{Mode: "connect", Decision: "deny", DenialCategory: "upstream_connect_failed", Target: "127.0.0.1", Port: ptr(1),
				Method: ptr("CONNECT"), Status: ptr(502), Reason: ptr("connection refused")}},
	} {
		status, body := rawRequest(t, f.proxy, tc.req)
		if status != tc.status || (tc.body != "" && body != tc.body) {
			t.Errorf("%q:\n got  %s %q\n want %s %q", tc.req, status, body, tc.status, tc.body)
		}
		if strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") {
			t.Errorf("%q: body is not one line: %q", tc.req, body)
		}
		evs := f.rec.take(t)
		if len(evs) != 1 {
			t.Errorf("%q: %d events", tc.req, len(evs))
			continue
		}
		checkEvent(t, evs[0], tc.want)
	}
}

func TestSpecialAddresses(t *testing.T) {
	f := newFixture(t, []string{"rebind.test", "metadata.test", "mixed.test", "*", "localhost"}, nil)
	for _, tc := range []struct{ req, reason string }{
		{"CONNECT rebind.test:443 HTTP/1.1\r\n\r\n", "rebind.test resolves to 127.0.0.1, a loopback address, which only a rule naming it allows"},
		{"GET http://metadata.test/latest/meta-data/ HTTP/1.1\r\nHost: metadata.test\r\n\r\n", "resolves to 169.254.169.254, a cloud metadata address"},
		{"CONNECT mixed.test:443 HTTP/1.1\r\n\r\n", "resolves to 127.0.0.1"},
		// "*" names nothing: an address literal is refused too.
		{"CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n", "127.0.0.1 is a loopback address"},
		{"CONNECT [::ffff:169.254.169.254]:80 HTTP/1.1\r\n\r\n", "169.254.169.254 is a cloud metadata address"},
		{"CONNECT [fe80::1]:80 HTTP/1.1\r\n\r\n", "fe80::1 is a link-local address"},
		{"CONNECT 0.0.0.0:80 HTTP/1.1\r\n\r\n", "unspecified"},
	} {
		status, body := rawRequest(t, f.proxy, tc.req)
		if status != "403 Forbidden" || !strings.Contains(body, tc.reason) {
			t.Errorf("%q: %s %q", tc.req, status, body)
		}
		evs := f.rec.take(t)
		if len(evs) != 1 || evs[0].DenialCategory != "host_denied" || evs[0].Decision != "deny" {
			t.Errorf("%q: events %+v", tc.req, evs)
		}
	}
	// "localhost" names loopback: the name is allowed to resolve there.
	status, body := get(t, f.client(), fmt.Sprintf("http://localhost:%d/named", f.httpPort))
	if status != 200 || !strings.HasPrefix(body, "GET /named") {
		t.Errorf("localhost rule: %d %q", status, body)
	}
	if evs := f.rec.take(t); len(evs) != 1 || evs[0].Decision != "allow" || evs[0].Target != "localhost" {
		t.Errorf("localhost events: %+v", evs)
	}
}

func TestPathRules(t *testing.T) {
	f := newFixture(t,
		[]string{"http://127.0.0.1:HTTPPORT/v1/**", "127.0.0.1:TLSPORT"},
		[]string{"http://127.0.0.1:HTTPPORT/v1/admin/**"})
	c := f.client()
	base := f.http.URL
	if status, _ := get(t, c, base+"/v1/models?limit=2"); status != 200 {
		t.Errorf("allowed path: %d", status)
	}
	if status, body := get(t, c, base+"/v2/models"); status != 403 || !strings.Contains(body, "the path matches no --allow-domain rule") {
		t.Errorf("other path: %d %q", status, body)
	}
	if status, body := get(t, c, base+"/v1/admin/users"); status != 403 || !strings.Contains(body, "denied by --deny-domain http://127.0.0.1:") {
		t.Errorf("denied path: %d %q", status, body)
	}
	status, body := rawRequest(t, f.proxy, fmt.Sprintf("CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", f.httpPort))
	if status != "403 Forbidden" || !strings.Contains(body, "which a CONNECT tunnel hides") {
		t.Errorf("tunnel past path rules: %s %q", status, body)
	}
	rule := fmt.Sprintf("http://127.0.0.1:%d/v1/**", f.httpPort)
	deny := fmt.Sprintf("http://127.0.0.1:%d/v1/admin/**", f.httpPort)
	evs := f.rec.take(t)
	if len(evs) != 4 {
		t.Fatalf("%d events", len(evs))
	}
	port := ptr(int(f.httpPort))
	checkEvent(t, evs[0], networkEvent{Mode: "reverse", Decision: "allow", EndpointPolicyAction: "allow", EndpointPolicyRule: rule,
		Target: "127.0.0.1", Port: port, Method: ptr("GET"), Path: ptr("/v1/models?limit=2"), Status: ptr(200)})
	checkEvent(t, evs[1], networkEvent{Mode: "reverse", Decision: "deny", DenialCategory: "endpoint_policy",
		Target: "127.0.0.1", Port: port, Method: ptr("GET"), Path: ptr("/v2/models"), Status: ptr(403), Reason: ptr("covers other paths")})
	checkEvent(t, evs[2], networkEvent{Mode: "reverse", Decision: "deny", DenialCategory: "endpoint_policy", EndpointPolicyAction: "deny",
		EndpointPolicyRule: deny, Target: "127.0.0.1", Port: port, Method: ptr("GET"), Path: ptr("/v1/admin/users"), Status: ptr(403),
		Reason: ptr("denied by --deny-domain " + deny)})
	checkEvent(t, evs[3], networkEvent{Mode: "connect", Decision: "deny", DenialCategory: "connect_bypasses_l7",
		EndpointPolicyAction: "deny", EndpointPolicyRule: deny, Target: "127.0.0.1", Port: port, Method: ptr("CONNECT"), Status: ptr(403), Reason: ptr("restricts paths")})
}

// Bytes a client sends right behind CONNECT reach the upstream, and each
// side's half-close reaches the other.
func TestTunnelPipelinedBytesAndHalfClose(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		c, err := echo.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		data, _ := io.ReadAll(c) // until the client's half-close
		c.Write(bytes.ToUpper(data))
	}()
	f := newFixture(t, []string{"127.0.0.1"}, nil)
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(int(f.proxy.Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: x\r\n\r\nhello through", echo.Addr())
	c.(*net.TCPConn).CloseWrite()
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := "HTTP/1.1 200 Connection established\r\n\r\nHELLO THROUGH"; string(all) != want {
		t.Errorf("got %q", all)
	}
}

// Close ends open tunnels and returns; nothing is recorded after it.
func TestCloseEndsTunnels(t *testing.T) {
	hold, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	go func() {
		for {
			c, err := hold.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	f := newFixture(t, []string{"127.0.0.1"}, nil)
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(int(f.proxy.Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\n\r\n", hold.Addr())
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "200") {
		t.Fatalf("%q %v", line, err)
	}
	done := make(chan error)
	go func() { done <- f.proxy.Close() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return with a tunnel open")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(br); err != nil {
		t.Errorf("tunnel not closed: %v", err)
	}
	if n := len(f.rec.take(t)); n != 1 {
		t.Errorf("%d events", n)
	}
	if _, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(int(f.proxy.Port()))); err == nil {
		t.Error("still accepting after Close")
	}
}

func TestUpstreamTLSForPlainRequests(t *testing.T) {
	// A client may hand the proxy an https:// URL in absolute form; the
	// proxy then speaks TLS to the upstream itself.
	f := newFixture(t, []string{"127.0.0.1"}, nil, func(f *fixture, c *Config) {
		c.UpstreamTLS = f.https.Client().Transport.(*http.Transport).TLSClientConfig
	})
	status, body := rawRequest(t, f.proxy, fmt.Sprintf("GET %s/abs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", f.https.URL))
	if status != "200 OK" || !strings.HasPrefix(body, "GET /abs") {
		t.Errorf("%s %q", status, body)
	}
	evs := f.rec.take(t)
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	checkEvent(t, evs[0], networkEvent{Mode: "reverse", Decision: "allow", Target: "127.0.0.1",
		Port: ptr(int(f.tlsPort)), Method: ptr("GET"), Path: ptr("/abs"), Status: ptr(200)})
}

func TestNotAProxyRequest(t *testing.T) {
	f := newFixture(t, []string{"127.0.0.1"}, nil)
	status, body := rawRequest(t, f.proxy, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	if status != "400 Bad Request" || !strings.Contains(body, "this is a proxy") {
		t.Errorf("%s %q", status, body)
	}
	if n := len(f.rec.take(t)); n != 0 {
		t.Errorf("%d events for a request to no one", n)
	}
}

func TestStartNeedsPolicy(t *testing.T) {
	if _, err := Start(Config{}); err == nil {
		t.Error("started without a policy")
	}
}
