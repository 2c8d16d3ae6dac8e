package urlopen

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/internal/vectors"
)

// The event is upstream's example byte for byte (audit-format.md §2.5,
// testdata/vectors), and canonical.
func TestEventGolden(t *testing.T) {
	want := bytes.TrimSpace(vectors.Read(t, "url_open.json"))
	got := Event("open-1", "https://example.com/callback", 42, "sess-1", errors.New("blocked"))
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	ok := Event("open-2", "https://x.example/?q=\"é\"&a=<b>", 1, "", nil)
	if c, err := event.Canonicalize(ok); err != nil || !bytes.Equal(c, ok) {
		t.Fatalf("%s: %s, %v", ok, c, err)
	}
}

func TestPolicy(t *testing.T) {
	def := DefaultPolicy()
	for _, u := range []string{"https://example.com/cb?code=1", "HTTP://Example.com"} {
		if err := def.Check(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for u, want := range map[string]string{
		"file:///etc/passwd":                     `scheme "file" is not allowed`,
		"javascript:alert(1)":                    `scheme "javascript" is not allowed`,
		"/relative":                              "not an absolute URL",
		"https:///nohost":                        "no host",
		"https://a.example/\nx":                  "control characters",
		"https://" + strings.Repeat("a", maxURL): "longer than",
	} {
		if err := def.Check(u); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %s", u, err, want)
		}
	}
	p, err := ParsePolicy([]string{"mailto:", "example.com", "*.login.example"})
	if err != nil {
		t.Fatal(err)
	}
	for u, ok := range map[string]bool{
		"https://example.com/x":         true,
		"https://sub.example.com/x":     false,
		"https://a.login.example/":      true,
		"https://login.example/":        false,
		"https://evil.com/?example.com": false,
		"mailto:me@example.com":         false, // no host: not among the named hosts
	} {
		if err := p.Check(u); (err == nil) != ok {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, bad := range []string{":", "1x:", "a/b", "", "*.", "x y"} {
		if _, err := ParsePolicy([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestServer(t *testing.T) {
	s, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events, opened []string
	s.Policy = DefaultPolicy()
	s.Session = "sess"
	s.Emit = func(ev []byte) { mu.Lock(); events = append(events, string(ev)); mu.Unlock() }
	s.Open = func(_ context.Context, u string) error {
		if strings.Contains(u, "fail") {
			return errors.New("opener failed")
		}
		mu.Lock()
		opened = append(opened, u)
		mu.Unlock()
		return nil
	}
	stop := s.Start()
	if err := Request(s.Path(), "https://example.com/ok"); err != nil {
		t.Errorf("ok: %v", err)
	}
	if err := Request(s.Path(), "file:///etc/passwd"); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("file: %v", err)
	}
	if err := Request(s.Path(), "https://example.com/fail"); err == nil || err.Error() != "opener failed" {
		t.Errorf("fail: %v", err)
	}
	stop()
	if len(opened) != 1 || opened[0] != "https://example.com/ok" {
		t.Errorf("opened %q", opened)
	}
	pid := strconv.Itoa(os.Getpid())
	if len(events) != 3 || !strings.Contains(events[0], `"success":true,"error":null}`) ||
		!strings.Contains(events[1], `"url":"file:///etc/passwd","child_pid":`+pid+`,"session_id":"sess"},"success":false,"error":"scheme \"file\" is not allowed`) {
		t.Errorf("events %q", events)
	}
	if _, err := os.Stat(s.Path()); err == nil {
		t.Errorf("socket left behind")
	}
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"url":"https://example.com"}`))
	f.Add([]byte(`{"url":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := parseRequest(data)
		if err != nil {
			return
		}
		DefaultPolicy().Check(u)
		if _, err := event.Canonicalize(Event("open-1", u, 1, "s", nil)); err != nil {
			t.Fatal(err)
		}
	})
}
