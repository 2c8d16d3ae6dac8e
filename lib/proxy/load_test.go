package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/netrule"
)

// Many requests leave nothing behind: the heap after 4,000 is what it was
// after 500, every one is recorded once, and Close leaves no goroutine.
func TestManyRequestsBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("many requests")
	}
	before := runtime.NumGoroutine()
	var count atomic.Int64
	f := newFixture(t, []string{"127.0.0.1"}, nil, func(_ *fixture, c *Config) {
		c.Record = func([]byte) { count.Add(1) }
	})
	proxyURL, _ := url.Parse(f.proxy.URL())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	do := func(n int) {
		for i := 0; i < n; i++ {
			resp, err := c.Get(fmt.Sprintf("%s/r/%d?token=%d", f.http.URL, i, i))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	do(500)
	warm := heap()
	do(3500)
	if after := heap(); after > warm+4<<20 {
		t.Errorf("heap grew from %d to %d bytes over 3,500 requests", warm, after)
	}
	if n := count.Load(); n != 4000 {
		t.Errorf("%d events for 4,000 requests", n)
	}
	c.CloseIdleConnections()
	f.proxy.Close()
	f.http.Close()
	f.https.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// With MaxConns 2, twenty concurrent clients all get through, two at a
// time, and every request is recorded.
func TestConnectionCap(t *testing.T) {
	var count atomic.Int64
	f := newFixture(t, []string{"127.0.0.1"}, nil, func(_ *fixture, c *Config) {
		c.MaxConns = 2
		c.Record = func([]byte) { count.Add(1) }
	})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := f.client()
			resp, err := c.Get(f.https.URL + "/x")
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := count.Load(); n != 20 {
		t.Errorf("%d events", n)
	}
	if n := len(f.proxy.listener.slots); n > 2 {
		t.Errorf("%d slots taken", n)
	}
}

func TestConcurrentRecordCallsNeverOverlap(t *testing.T) {
	var inside atomic.Int32
	var overlaps atomic.Int32
	pol, _ := netrule.NewPolicy([]string{"nothing.test"}, nil)
	p, err := Start(Config{Policy: pol, Record: func([]byte) {
		if inside.Add(1) > 1 {
			overlaps.Add(1)
		}
		time.Sleep(100 * time.Microsecond)
		inside.Add(-1)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				rawRequest(t, p, "CONNECT denied.test:443 HTTP/1.1\r\n\r\n")
			}
		}()
	}
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Errorf("%d overlapping Record calls", overlaps.Load())
	}
}
