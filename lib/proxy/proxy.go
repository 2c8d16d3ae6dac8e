// Package proxy is the filtering HTTP proxy a supervisor puts between a
// sandboxed command and the network. It listens on 127.0.0.1 only and
// serves
//
//   - CONNECT tunnels (mode "connect"), decided by host and port: the
//     tunnel carries TLS the proxy never sees into;
//   - plain HTTP requests in absolute form (`GET http://host/path`), which
//     the proxy reads and re-issues itself (mode "reverse"), decided by
//     host, port and path.
//
// Every decision comes from a netrule.Policy. The proxy resolves names
// itself and connects only to the addresses it checked, so an allowed
// name cannot lead to a loopback, link-local or metadata address unless
// the deciding rule names it. A denied request gets 403 and a one-line
// body naming the rule.
//
// Each request produces exactly one `network` event (lib/event's
// canonical bytes), handed to Config.Record as soon as its outcome is
// known: a tunnel when it is established or refused, a forwarded request
// when the upstream's status arrives or the upstream fails. Nothing is
// kept per request once it is done, so memory stays bounded however many
// requests a session makes; concurrent connections are capped.
package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/netrule"
)

// Resolver looks up the addresses of a name (net.Resolver does).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config configures a proxy.
type Config struct {
	// Policy decides every request. Required.
	Policy *netrule.Policy
	// Record receives each request's network event: canonical JSON, no
	// newline. Calls never overlap, and event is reused after Record
	// returns. A slow Record slows the requests waiting to record.
	Record func(event []byte)
	// Resolver resolves target names; nil means net.DefaultResolver.
	Resolver Resolver
	// UpstreamTLS configures TLS to https upstreams of requests the proxy
	// re-issues (nil: the system roots).
	UpstreamTLS *tls.Config
	// MaxConns caps concurrent client connections (default 512); further
	// clients wait to be accepted.
	MaxConns int
	// DialTimeout bounds resolving and connecting to an upstream
	// (default 30s).
	DialTimeout time.Duration
	// ErrorLog receives the HTTP server's and forwarder's own errors
	// (malformed requests, broken connections); nil discards them.
	ErrorLog *log.Logger
	// Now is the clock of event timestamps (tests); nil is time.Now.
	Now func() time.Time
}

// Server is a running proxy.
type Server struct {
	cfg      Config
	listener *limitListener
	http     *http.Server
	forward  http.Handler
	port     uint16
	served   chan error

	recordMu sync.Mutex
	buf      []byte

	mu      sync.Mutex
	closed  bool
	tunnels map[net.Conn]struct{} // hijacked connections, both ends
	active  sync.WaitGroup        // requests being handled

	// ctx bounds the work of tunnels, which must not end when a client
	// half-closes; Close cancels it.
	ctx       context.Context
	cancel    context.CancelFunc
	closeOnce sync.Once
	closeErr  error
}

// Start listens on 127.0.0.1 on a port the kernel picks and serves until
// Close.
func Start(cfg Config) (*Server, error) {
	if cfg.Policy == nil {
		return nil, errors.New("proxy: no policy")
	}
	if cfg.Record == nil {
		cfg.Record = func([]byte) {}
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 512
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 30 * time.Second
	}
	if cfg.ErrorLog == nil {
		cfg.ErrorLog = log.New(io.Discard, "", 0)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("proxy: listen on 127.0.0.1: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		listener: newLimitListener(ln, cfg.MaxConns),
		port:     uint16(ln.Addr().(*net.TCPAddr).Port),
		served:   make(chan error, 1),
		tunnels:  map[net.Conn]struct{}{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.forward = s.newForwarder()
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          cfg.ErrorLog,
		// HTTP/1.1 only: a forward proxy's clients speak it, and
		// CONNECT tunnels need a hijackable connection.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	go func() { s.served <- s.http.Serve(s.listener) }()
	return s, nil
}

// Port is the port the proxy listens on at 127.0.0.1.
func (s *Server) Port() uint16 { return s.port }

// URL is the proxy's address as HTTP_PROXY and friends take it.
func (s *Server) URL() string { return "http://127.0.0.1:" + strconv.Itoa(int(s.port)) }

// Close stops the proxy: no new connections, every open connection and
// tunnel closed. It returns once no request is still being handled, so
// no event is recorded after it.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.cancel()
	s.mu.Lock()
	s.closed = true
	for c := range s.tunnels {
		c.Close()
	}
	s.mu.Unlock()
	// Closing the client connections cancels the requests still being
	// forwarded; their handlers record the failure and return.
	err := s.http.Close()
	<-s.served
	s.active.Wait()
	return err
}

// ServeHTTP dispatches one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "nono proxy: shutting down", http.StatusServiceUnavailable)
		return
	}
	s.active.Add(1)
	s.mu.Unlock()
	defer s.active.Done()
	if r.Method == http.MethodConnect {
		s.connect(w, r)
		return
	}
	s.plain(w, r)
}

// record builds the event for n and hands it to Config.Record.
func (s *Server) record(n *event.Network) {
	n.TimestampUnixMs = uint64(s.cfg.Now().UnixMilli())
	// A client controls these bytes; JSON strings carry only UTF-8.
	for _, f := range []*string{&n.Target, &n.Method, &n.Path, &n.Reason} {
		*f = strings.ToValidUTF8(*f, "\uFFFD")
	}
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	s.buf = event.AppendNetwork(s.buf[:0], n)
	s.cfg.Record(s.buf)
}

// refuse answers a request with status and a one-line body, and records
// the denial.
func (s *Server) refuse(w http.ResponseWriter, n *event.Network, status int, category, reason string) {
	n.Decision, n.DenialCategory, n.Status, n.Reason = "deny", category, uint16(status), reason
	s.record(n)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Connection", "close")
	w.WriteHeader(status)
	io.WriteString(w, "nono proxy: "+reason+"\n")
}

// track registers the two ends of a tunnel so Close can end it; it
// reports false once the server is closing.
func (s *Server) track(conns ...net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	for _, c := range conns {
		s.tunnels[c] = struct{}{}
	}
	return true
}

func (s *Server) untrack(conns ...net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range conns {
		delete(s.tunnels, c)
	}
}
