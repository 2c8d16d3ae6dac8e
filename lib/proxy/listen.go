package proxy

import (
	"net"
	"sync"
)

// limitListener accepts at most n connections at a time: a further client
// waits in the kernel's backlog until one closes, so a flood of
// connections cannot grow the supervisor's memory.
type limitListener struct {
	*net.TCPListener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(l *net.TCPListener, n int) *limitListener {
	return &limitListener{TCPListener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.TCPListener.AcceptTCP()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{TCPConn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.TCPListener.Close()
}

// limitedConn frees its slot when closed. It embeds the *net.TCPConn so
// tunnels can copy between raw TCP sockets (splice) after a hijack.
type limitedConn struct {
	*net.TCPConn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.TCPConn.Close()
	c.once.Do(c.release)
	return err
}
