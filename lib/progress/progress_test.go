package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	p := &Progress{opts: Options{Label: "snapshot", Files: 5000, Bytes: 3 << 30}, start: time.Unix(100, 0)}
	p.Add(1200, 1<<30)
	got := p.line(time.Unix(110, 0))
	want := "snapshot 1200/5000 files, 1.0 GB/3.0 GB, 102.4 MB/s, 0:20 left"
	if got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	q := &Progress{opts: Options{Label: "verify"}, start: time.Unix(100, 0)}
	if got, want := q.line(time.Unix(100, 0)), "verify 0 B"; got != want {
		t.Errorf("nothing done, no totals: %q, want %q", got, want)
	}
	q.Add(3, 2048)
	if got, want := q.line(time.Unix(102, 0)), "verify 3 files, 2.0 KB, 1.0 KB/s"; got != want {
		t.Errorf("no totals: %q, want %q", got, want)
	}
	if got := clock(3*time.Hour + 2*time.Minute + 1*time.Second); got != "3:02:01" {
		t.Errorf("clock = %q", got)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDrawsThenClears(t *testing.T) {
	var out syncBuffer
	p := Start(&out, Options{Label: "restore", Files: 2, Delay: time.Millisecond, Interval: time.Millisecond})
	p.Add(1, 10)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "restore 1/2 files") {
		if time.Now().After(deadline) {
			t.Fatalf("never drawn: %q", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	p.Done()
	p.Done() // twice is harmless
	if s := out.String(); !strings.HasPrefix(s, "\r") || !strings.HasSuffix(s, "\r\x1b[K") {
		t.Errorf("output %q: want redraws starting with \\r and a cleared line at the end", s)
	}
}

func TestQuickWorkShowsNothing(t *testing.T) {
	var out syncBuffer
	p := Start(&out, Options{Label: "verify", Delay: time.Hour})
	p.Add(1, 1)
	p.Done()
	if out.String() != "" {
		t.Errorf("quick work drew %q", out.String())
	}
	var none *Progress // what a silent UI or a pipe gets
	none.Add(1, 1)
	none.Done()
}
