package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/netrule"
)

// Denial categories of the proxy's own refusals, as upstream names them
// (netrule names the policy's).
const (
	upstreamConnectFailed = "upstream_connect_failed"
	unsupportedUpgrade    = "unsupported_upgrade"
)

// connect serves `CONNECT host:port`: decide by host and port, resolve
// and check the addresses, connect, answer 200 and relay bytes both ways
// until either side closes.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	n := &event.Network{Mode: "connect", Method: http.MethodConnect, Target: r.Host}
	host, port, err := ParseAuthority(r.Host, 0)
	if err != nil {
		s.refuse(w, n, http.StatusBadRequest, "", fmt.Sprintf("CONNECT target: %v", err))
		return
	}
	n.Target, n.Port = host, port
	// A client may half-close right behind its request, which cancels
	// the request's context: the tunnel's own work runs on the server's.
	addrs, ok := s.admit(s.ctx, w, n, netrule.Request{Host: host, Port: port, Tunnel: true})
	if !ok {
		return
	}
	up, err := s.dial(s.ctx, addrs, port)
	if err != nil {
		s.refuse(w, n, http.StatusBadGateway, upstreamConnectFailed, err.Error())
		return
	}
	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		s.refuse(w, n, http.StatusInternalServerError, upstreamConnectFailed, "cannot take over the client connection: "+err.Error())
		return
	}
	if !s.track(client, up) {
		client.Close()
		up.Close()
		return
	}
	defer s.untrack(client, up)
	defer client.Close()
	defer up.Close()
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	n.Decision, n.Status = "allow", http.StatusOK
	s.record(n)
	relay(client, brw.Reader, up)
}

// relay copies bytes both ways between the client and the upstream until
// both directions are done, passing each half-close on. Between raw TCP
// sockets the kernel splices the bytes without copying them through here.
func relay(client net.Conn, buffered *bufio.Reader, up *net.TCPConn) {
	clientTCP := client
	if lc, ok := client.(*limitedConn); ok {
		clientTCP = lc.TCPConn
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Bytes the client sent right behind the CONNECT request (a TLS
		// ClientHello, say) are already in the server's buffer.
		if n := buffered.Buffered(); n > 0 {
			b, _ := buffered.Peek(n)
			if _, err := up.Write(b); err != nil {
				up.CloseWrite()
				return
			}
		}
		io.Copy(up, clientTCP)
		up.CloseWrite()
	}()
	io.Copy(clientTCP, up)
	if cw, ok := clientTCP.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	<-done
}
