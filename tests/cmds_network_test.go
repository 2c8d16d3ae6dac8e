package tests

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// The network scripts' helpers: local origin servers the proxy may reach,
// and a Go HTTP client that runs as the sandboxed command.
func init() {
	commands["httpserve"] = cmdHTTPServe
	tools["netclient"] = netclientMain
}

// httpserve: start an HTTP and an HTTPS origin on 127.0.0.1 for the rest
// of the script, and set HTTP_PORT and HTTPS_PORT. Each answers
// "hello PATH" to any request.
func cmdHTTPServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: httpserve")
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s\n", r.URL.Path)
	})
	for _, o := range []struct {
		env string
		srv *httptest.Server
	}{{"HTTP_PORT", httptest.NewServer(h)}, {"HTTPS_PORT", httptest.NewTLSServer(h)}} {
		ts.Defer(o.srv.Close)
		_, port, err := net.SplitHostPort(o.srv.Listener.Addr().String())
		ts.Check(err)
		ts.Setenv(o.env, port)
	}
}

// netclient [-n N] [-direct] [-rss] URL...: GET each URL N times with Go's
// client through the proxy named by HTTPS_PROXY / HTTP_PROXY (Go's own
// proxy lookup never proxies loopback addresses, so the proxy is set
// explicitly), printing "STATUS BODY" for the first round. -direct
// ignores the proxy. -rss prints whether the parent's (the supervisor's)
// peak RSS after all rounds stayed within 8 MiB of its peak after the
// first tenth. Exit 1 on any transport error.
func netclientMain() {
	fs := flag.NewFlagSet("netclient", flag.ExitOnError)
	n := fs.Int("n", 1, "rounds")
	direct := fs.Bool("direct", false, "ignore the proxy variables")
	rss := fs.Bool("rss", false, "check the parent's peak RSS")
	fs.Parse(os.Args[1:])
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if !*direct {
		tr.Proxy = func(r *http.Request) (*url.URL, error) {
			v := os.Getenv("HTTP_PROXY")
			if r.URL.Scheme == "https" {
				v = os.Getenv("HTTPS_PROXY")
			}
			if v == "" {
				return nil, nil
			}
			return url.Parse(v)
		}
	}
	client := &http.Client{Transport: tr}
	var warm int
	for i := range *n {
		if *rss && i == *n/10 {
			warm = peakRSS(os.Getppid())
		}
		for _, u := range fs.Args() {
			resp, err := client.Get(u)
			if err != nil {
				fmt.Fprintln(os.Stderr, "netclient:", err)
				os.Exit(1)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if i == 0 {
				fmt.Printf("%d %s", resp.StatusCode, body)
			}
		}
	}
	if *rss {
		if peak := peakRSS(os.Getppid()); peak-warm > 8<<10 {
			fmt.Printf("supervisor peak RSS grew from %d KiB to %d KiB\n", warm, peak)
		} else {
			fmt.Println("supervisor peak RSS flat")
			fmt.Fprintf(os.Stderr, "supervisor peak RSS %d KiB after %d rounds, %d KiB after %d\n", warm, *n/10, peak, *n)
		}
	}
}

// peakRSS is VmHWM of process pid, in KiB.
func peakRSS(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, "netclient:", err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	fmt.Fprintln(os.Stderr, "netclient: no VmHWM")
	os.Exit(1)
	return 0
}
