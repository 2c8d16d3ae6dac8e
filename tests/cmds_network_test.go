package tests

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// The network scripts' helpers: local origin servers the proxy may reach,
// and a Go HTTP client that runs as the sandboxed command.
func init() {
	commands["httpserve"] = cmdHTTPServe
	commands["maxrss"] = cmdMaxRSS
	commands["rssflat"] = cmdRSSFlat
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
	// The sandboxed command may read and run netclient.
	bin, err := exec.LookPath("netclient")
	ts.Check(err)
	ts.Setenv("NETBIN", filepath.Dir(bin))
}

// netclient [-n N] [-direct] [-mptcp] [-listen ADDR] URL...: GET each URL N times
// with Go's client through the proxy named by HTTPS_PROXY / HTTP_PROXY
// (Go's own proxy lookup never proxies loopback addresses, so the proxy
// is set explicitly), printing "STATUS BODY" for the first round. -direct
// ignores the proxy; -mptcp dials with multipath TCP. -listen first listens on ADDR and says so. Exit 1 on
// any error.
func netclientMain() {
	fs := flag.NewFlagSet("netclient", flag.ExitOnError)
	n := fs.Int("n", 1, "rounds")
	direct := fs.Bool("direct", false, "ignore the proxy variables")
	listen := fs.String("listen", "", "listen on this address first")
	mptcp := fs.Bool("mptcp", false, "dial with multipath TCP")
	fs.Parse(os.Args[1:])
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			fmt.Fprintln(os.Stderr, "netclient:", err)
			os.Exit(1)
		}
		fmt.Println("listening on", *listen)
		ln.Close()
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if *mptcp {
		d := &net.Dialer{}
		d.SetMultipathTCP(true)
		tr.DialContext = d.DialContext
	}
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
	for i := range *n {
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
}

// maxrss VAR COMMAND [ARG...]: run COMMAND like exec (its output becomes
// the script's stdout and stderr; a failure fails the script) and set VAR
// to the peak resident set size, in KiB, of the largest process of its
// tree (the kernel's ru_maxrss over every descendant it waited for).
func cmdMaxRSS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: maxrss VAR COMMAND [ARG...]")
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = scriptEnv(ts)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	ts.Logf("[stdout]\n%s[stderr]\n%s", out.String(), errb.String())
	ts.Check(err)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	ts.Setenv(args[0], strconv.FormatInt(ru.Maxrss, 10))
}

// rssflat BEFORE AFTER: fail unless AFTER (KiB) exceeds BEFORE by less
// than 8 MiB.
func cmdRSSFlat(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: rssflat BEFORE AFTER")
	}
	before, after := atoi(ts, args[0]), atoi(ts, args[1])
	ts.Logf("peak RSS %d KiB, then %d KiB", before, after)
	if after-before >= 8<<10 {
		ts.Fatalf("peak RSS grew from %d KiB to %d KiB", before, after)
	}
}

// scriptEnv is the script's environment, for commands run by hand.
func scriptEnv(ts *testscript.TestScript) []string {
	var env []string
	for _, name := range []string{"PATH", "HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "NONO_AUDIT_DIR", "NONO_ROLLBACK_DIR", "TMPDIR", "WORK", "HTTP_PORT", "HTTPS_PORT", "NETBIN"} {
		env = append(env, name+"="+ts.Getenv(name))
	}
	return env
}
