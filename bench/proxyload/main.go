// Command proxyload measures the filtering proxy (lib/proxy) against a
// direct connection to the same local server, for bench/proxy.sh. Each
// role runs in its own process, as in a session (the child, the
// supervisor's proxy, the server):
//
//	proxyload origin                 serve on 127.0.0.1, print the port
//	proxyload proxy                  run the proxy (--allow-domain 127.0.0.1), print its port; events to stdout
//	proxyload latency  -origin P -proxy Q -n 1000
//	proxyload download -origin P -proxy Q -bytes 209715200
//
// latency alternates direct and proxied requests (plain HTTP, kept-alive
// connections) so both see the same load, and also times a fresh CONNECT
// tunnel per request; download fetches one large body directly and
// through a CONNECT tunnel. Both print key=value lines.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/nono-audit/nono/lib/netrule"
	"github.com/nono-audit/nono/lib/proxy"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: proxyload origin|proxy|latency|download [flags]"))
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	originPort := fs.Int("origin", 0, "origin port")
	proxyPort := fs.Int("proxy", 0, "proxy port")
	n := fs.Int("n", 1000, "requests")
	size := fs.Int64("bytes", 200<<20, "download size")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "origin":
		err = serveOrigin()
	case "proxy":
		err = serveProxy()
	case "latency":
		err = latency(*originPort, *proxyPort, *n)
	case "download":
		err = download(*originPort, *proxyPort, *size)
	default:
		err = fmt.Errorf("unknown role %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "proxyload:", err)
	os.Exit(2)
}

// serveOrigin answers /small with 64 bytes and /big?n=N with N zero bytes.
func serveOrigin() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	small := make([]byte, 64)
	zeros := make([]byte, 256<<10)
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/big" {
			w.Header().Set("Content-Length", "64")
			w.Write(small)
			return
		}
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		for n > 0 {
			k := min(n, int64(len(zeros)))
			if _, err := w.Write(zeros[:k]); err != nil {
				return
			}
			n -= k
		}
	}))
}

// serveProxy runs the proxy until SIGTERM, its events going to stdout as
// a supervisor's go to the recorder.
func serveProxy() error {
	pol, err := netrule.NewPolicy([]string{"127.0.0.1"}, nil)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	p, err := proxy.Start(proxy.Config{Policy: pol, Record: func(ev []byte) {
		out.Write(ev)
		out.WriteByte('\n')
		out.Flush()
	}})
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, p.Port())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	return p.Close()
}

func latency(originPort, proxyPort, n int) error {
	target := fmt.Sprintf("http://127.0.0.1:%d/small", originPort)
	proxyURL, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", proxyPort))
	direct := &http.Client{Transport: &http.Transport{Proxy: nil}}
	proxied := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	get := func(c *http.Client) (time.Duration, error) {
		start := time.Now()
		resp, err := c.Get(target)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %s", resp.Status)
		}
		return time.Since(start), err
	}
	// A fresh tunnel and one request through it, against a fresh direct
	// connection and one request: what an HTTPS client pays per connection.
	tunnel := func(via bool) (time.Duration, error) {
		start := time.Now()
		c, br, err := open(originPort, proxyPort, via)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		if err := fetch(c, br, "/small", 64); err != nil {
			return 0, err
		}
		return time.Since(start), nil
	}
	for i := 0; i < 50; i++ { // warm up both paths
		if _, err := get(direct); err != nil {
			return err
		}
		if _, err := get(proxied); err != nil {
			return err
		}
	}
	var d, p, td, tp []time.Duration
	for i := 0; i < n; i++ {
		for _, m := range []struct {
			dst *[]time.Duration
			f   func() (time.Duration, error)
		}{
			{&d, func() (time.Duration, error) { return get(direct) }},
			{&p, func() (time.Duration, error) { return get(proxied) }},
			{&td, func() (time.Duration, error) { return tunnel(false) }},
			{&tp, func() (time.Duration, error) { return tunnel(true) }},
		} {
			t, err := m.f()
			if err != nil {
				return err
			}
			*m.dst = append(*m.dst, t)
		}
	}
	for _, s := range [][]time.Duration{d, p, td, tp} {
		slices.Sort(s)
	}
	us := func(t time.Duration) string { return strconv.FormatFloat(float64(t.Nanoseconds())/1e3, 'f', 1, 64) }
	q := func(s []time.Duration, f float64) time.Duration { return s[min(len(s)-1, int(f*float64(len(s))))] }
	fmt.Printf("direct_median_us=%s direct_p99_us=%s proxy_median_us=%s proxy_p99_us=%s\n",
		us(q(d, 0.5)), us(q(d, 0.99)), us(q(p, 0.5)), us(q(p, 0.99)))
	fmt.Printf("connect_direct_median_us=%s connect_direct_p99_us=%s connect_proxy_median_us=%s connect_proxy_p99_us=%s\n",
		us(q(td, 0.5)), us(q(td, 0.99)), us(q(tp, 0.5)), us(q(tp, 0.99)))
	return nil
}

// open connects to the origin, directly or through a CONNECT tunnel.
func open(originPort, proxyPort int, via bool) (net.Conn, *bufio.Reader, error) {
	if !via {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", originPort))
		return c, bufio.NewReader(c), err
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", proxyPort))
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", originPort, originPort)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if resp.StatusCode != 200 {
		c.Close()
		return nil, nil, fmt.Errorf("CONNECT: %s", resp.Status)
	}
	return c, br, nil
}

// fetch sends one GET on c and reads the whole body, which must be want
// bytes long.
func fetch(c net.Conn, br *bufio.Reader, path string, want int64) error {
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: origin\r\nConnection: close\r\n\r\n", path)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.Copy(io.Discard, resp.Body)
	if err == nil && got != want {
		err = fmt.Errorf("%s: %d bytes, want %d", path, got, want)
	}
	return err
}

// download times one body of size bytes, three times each way
// (alternating), and prints the best throughput of each.
func download(originPort, proxyPort int, size int64) error {
	best := map[bool]time.Duration{}
	for round := 0; round < 3; round++ {
		for _, via := range []bool{false, true} {
			start := time.Now()
			c, br, err := open(originPort, proxyPort, via)
			if err != nil {
				return err
			}
			err = fetch(c, br, "/big?n="+strconv.FormatInt(size, 10), size)
			c.Close()
			if err != nil {
				return err
			}
			if t := time.Since(start); best[via] == 0 || t < best[via] {
				best[via] = t
			}
		}
	}
	mbps := func(t time.Duration) string {
		return strconv.FormatFloat(float64(size)/t.Seconds()/1e6, 'f', 0, 64)
	}
	fmt.Printf("direct_mb_s=%s tunnel_mb_s=%s\n", mbps(best[false]), mbps(best[true]))
	return nil
}
