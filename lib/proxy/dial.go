package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/netrule"
)

// admit decides q and resolves its host to checked addresses, or answers
// the client and records why not.
func (s *Server) admit(ctx context.Context, w http.ResponseWriter, n *event.Network, q netrule.Request) ([]netip.Addr, bool) {
	d := s.cfg.Policy.Decide(q)
	describeRule(n, &d)
	if !d.Allow {
		s.refuse(w, n, http.StatusForbidden, d.Category, d.Reason)
		return nil, false
	}
	addrs, refused, err := s.resolve(ctx, &d, q.Host, q.Port)
	switch {
	case refused:
		s.refuse(w, n, http.StatusForbidden, netrule.HostDenied, err.Error())
		return nil, false
	case err != nil:
		s.refuse(w, n, http.StatusBadGateway, upstreamConnectFailed, err.Error())
		return nil, false
	}
	return addrs, true
}

// resolve returns the addresses of host (to be reached on port), every one checked against the
// decision: a name leading anywhere the deciding rule does not name as a
// special address is refused as a whole (refused is true), and a lookup
// failure is an upstream failure.
func (s *Server) resolve(ctx context.Context, d *netrule.Decision, host string, port uint16) (addrs []netip.Addr, refused bool, err error) {
	if a, perr := netip.ParseAddr(host); perr == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
		defer cancel()
		addrs, err = s.cfg.Resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, false, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, false, fmt.Errorf("resolve %s: no addresses", host)
		}
	}
	for _, a := range addrs {
		if err := d.CheckAddr(host, a); err != nil {
			return nil, true, err
		}
		if a.Unmap() == netip.AddrFrom4([4]byte{127, 0, 0, 1}) && port == s.port {
			return nil, true, fmt.Errorf("%s is the proxy itself", hostPort(host, port))
		}
	}
	return addrs, false, nil
}

// dial connects to the first of addrs that answers.
func (s *Server) dial(ctx context.Context, addrs []netip.Addr, port uint16) (*net.TCPConn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	var d net.Dialer
	var errs []error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(a.Unmap(), port).String())
		if err == nil {
			return c.(*net.TCPConn), nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// hostPort joins a normalised host and a port as an authority.
func hostPort(host string, port uint16) string {
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}
