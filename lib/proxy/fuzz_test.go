package proxy

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/netrule"
)

// ParseAuthority never panics, and what it accepts is normalised: parsing
// its own output again gives the same host and port.
func FuzzParseAuthority(f *testing.F) {
	for _, s := range []string{"h:443", "[::1]:80", "h", "[::1]", "H.example.:8080", "h:0", "h:+1",
		"::1", "[v6]:1", "a b:1", ":80", "[::ffff:127.0.0.1]:1"} {
		f.Add(s, uint16(0))
		f.Add(s, uint16(443))
	}
	f.Fuzz(func(t *testing.T, s string, def uint16) {
		host, port, err := ParseAuthority(s, def)
		if err != nil {
			return
		}
		if port == 0 {
			t.Fatalf("%q: port 0", s)
		}
		h2, p2, err := ParseAuthority(hostPort(host, port), 0)
		if err != nil || h2 != host || p2 != port {
			t.Fatalf("%q → %q:%d → %q:%d %v", s, host, port, h2, p2, err)
		}
	})
}

// panicWatch fails the fuzz run when the HTTP server reports a recovered
// panic in a handler.
type panicWatch struct {
	mu  sync.Mutex
	msg string
}

func (p *panicWatch) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte("panic")) {
		p.mu.Lock()
		p.msg += string(b)
		p.mu.Unlock()
	}
	return len(b), nil
}

// Whatever bytes a client sends, the proxy answers without panicking and
// every event it records is canonical.
func FuzzRequest(f *testing.F) {
	origin := httptest.NewServer(origin())
	defer origin.Close()
	port := origin.Listener.Addr().(*net.TCPAddr).Port
	pol, err := netrule.NewPolicy([]string{"127.0.0.1", "http://localhost/v1/**"}, []string{"127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	var mu sync.Mutex
	var bad []string
	watch := &panicWatch{}
	p, err := Start(Config{
		Policy:      pol,
		Resolver:    fakeResolver{"localhost": {"127.0.0.1"}},
		DialTimeout: time.Second,
		ErrorLog:    log.New(watch, "", 0),
		Record: func(ev []byte) {
			if again, err := event.Canonicalize(ev); err != nil || !bytes.Equal(again, ev) {
				mu.Lock()
				bad = append(bad, string(ev))
				mu.Unlock()
			}
		},
	})
	if err != nil {
		f.Fatal(err)
	}
	defer p.Close()
	o := strconv.Itoa(port)
	for _, s := range []string{
		"GET http://127.0.0.1:" + o + "/x?y=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"CONNECT 127.0.0.1:" + o + " HTTP/1.1\r\n\r\nGET / HTTP/1.0\r\n\r\n",
		"CONNECT [::1]:1 HTTP/1.1\r\n\r\n",
		"GET http://localhost/v1/%2e%2e/x HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"POST http://localhost/v1/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc",
		"GET http://\xff\xfe/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, req []byte) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(int(p.Port())))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Write(req)
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
		mu.Lock()
		defer mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("non-canonical events: %q", bad)
		}
		watch.mu.Lock()
		defer watch.mu.Unlock()
		if watch.msg != "" && !strings.Contains(watch.msg, http.ErrAbortHandler.Error()) {
			t.Fatalf("handler panicked: %s", watch.msg)
		}
	})
}
