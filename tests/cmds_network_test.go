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
	tools["peakrss"] = peakRSSMain
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
//
// COMMAND is started by peakrss, a fresh small process, not by this one:
// Go starts children with vfork, and at its exec a vforked child takes
// its parent's peak RSS as its own starting ru_maxrss, so a child of this
// test process would report this process's peak (tens of MiB, growing
// from one script line to the next) rather than its own tree's.
func cmdMaxRSS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: maxrss VAR COMMAND [ARG...]")
	}
	report := filepath.Join(ts.Getenv("WORK"), ".peakrss")
	cmd := exec.Command(toolPath(ts, "peakrss"), append([]string{report}, args[1:]...)...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = scriptEnv(ts)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	ts.Logf("[stdout]\n%s[stderr]\n%s", out.String(), errb.String())
	ts.Check(err)
	kib, err := os.ReadFile(report)
	ts.Check(err)
	ts.Setenv(args[0], strings.TrimSpace(string(kib)))
}

// peakrss REPORT COMMAND [ARG...]: run COMMAND, write to REPORT the peak
// RSS in KiB of the largest process of its tree (this process's children
// only, not itself) and exit with COMMAND's status.
func peakRSSMain() {
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ru syscall.Rusage
	if e := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); e != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", e)
		os.Exit(2)
	}
	if e := os.WriteFile(os.Args[1], []byte(strconv.FormatInt(ru.Maxrss, 10)+"\n"), 0o600); e != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", e)
		os.Exit(2)
	}
	if err != nil {
		if cmd.ProcessState != nil {
			os.Exit(cmd.ProcessState.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(127)
	}
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
