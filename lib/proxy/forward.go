package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/netrule"
)

// forwardKey carries a forwarded request's state from plain to the
// transport's dialer and the response hooks.
type forwardKey struct{}

type forwardState struct {
	n        *event.Network
	addrs    []netip.Addr // checked addresses of the target
	port     uint16
	recorded bool
}

// plain serves a request in absolute form (`GET http://host/path`):
// decide by host, port and path, resolve and check the addresses, and
// re-issue the request, streaming the response back.
func (s *Server) plain(w http.ResponseWriter, r *http.Request) {
	if r.URL.Host == "" || (r.URL.Scheme != "http" && r.URL.Scheme != "https") {
		// Not addressed to anyone but the proxy: nothing to decide or record.
		w.Header().Set("Connection", "close")
		http.Error(w, "nono proxy: this is a proxy: send http:// requests through it (HTTP_PROXY) and https:// through CONNECT (HTTPS_PROXY)", http.StatusBadRequest)
		return
	}
	n := &event.Network{Mode: "reverse", Method: r.Method, Target: r.URL.Host, Path: r.URL.RequestURI()}
	defaultPort := uint16(80)
	if r.URL.Scheme == "https" {
		defaultPort = 443
	}
	host, port, err := ParseAuthority(r.URL.Host, defaultPort)
	if err != nil {
		s.refuse(w, n, http.StatusBadRequest, "", fmt.Sprintf("%s target: %v", r.Method, err))
		return
	}
	n.Target, n.Port = host, port
	if r.Header.Get("Upgrade") != "" {
		s.refuse(w, n, http.StatusNotImplemented, unsupportedUpgrade, "protocol upgrades (WebSocket) pass only through CONNECT tunnels")
		return
	}
	segs, err := netrule.SplitPath(r.URL.EscapedPath())
	if err != nil {
		s.refuse(w, n, http.StatusForbidden, netrule.EndpointPolicy, err.Error())
		return
	}
	addrs, ok := s.admit(r.Context(), w, n, netrule.Request{Host: host, Port: port, Scheme: r.URL.Scheme, Path: segs})
	if !ok {
		return
	}
	st := &forwardState{n: n, addrs: addrs, port: port}
	s.forward.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardKey{}, st)))
}

// describeRule names a path-level rule that decided in the event's
// endpoint policy fields.
func describeRule(n *event.Network, d *netrule.Decision) {
	if d.Rule == nil || !d.Rule.PathLevel() {
		return
	}
	n.EndpointPolicyAction = "deny"
	if d.Allow {
		n.EndpointPolicyAction = "allow"
	}
	n.EndpointPolicyRule = d.Rule.Text
}

// newForwarder is the standard library's reverse proxy (hop-by-hop
// headers removed, bodies streamed and flushed at once) over a transport
// that dials only the addresses plain checked and never uses a proxy of
// its own.
func (s *Server) newForwarder() http.Handler {
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           s.dialChecked,
		TLSClientConfig:       s.cfg.UpstreamTLS.Clone(),
		TLSHandshakeTimeout:   s.cfg.DialTimeout,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true, // pass Accept-Encoding and bodies through as they are
		ExpectContinueTimeout: time.Second,
	}
	return &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.Out.Host = pr.In.Host },
		Transport:     t,
		FlushInterval: -1,
		ErrorLog:      s.cfg.ErrorLog,
		ModifyResponse: func(resp *http.Response) error {
			st := resp.Request.Context().Value(forwardKey{}).(*forwardState)
			st.n.Decision, st.n.Status = "allow", uint16(resp.StatusCode)
			st.recorded = true
			s.record(st.n)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			st := r.Context().Value(forwardKey{}).(*forwardState)
			if st.recorded {
				return
			}
			s.refuse(w, st.n, http.StatusBadGateway, upstreamConnectFailed, err.Error())
		},
	}
}

// dialChecked connects a forwarded request to the addresses plain
// checked for it, whatever address the transport asks for.
func (s *Server) dialChecked(ctx context.Context, network, addr string) (net.Conn, error) {
	st, ok := ctx.Value(forwardKey{}).(*forwardState)
	if !ok {
		return nil, errors.New("no checked address for " + addr)
	}
	return s.dial(ctx, st.addrs, st.port)
}
