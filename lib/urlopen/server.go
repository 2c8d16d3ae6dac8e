package urlopen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
)

// Server serves URL-open requests on a UNIX socket of its own.
type Server struct {
	Policy  *Policy
	Open    func(ctx context.Context, url string) error // Opener(os.Getenv) unless set
	Emit    func(event []byte)
	Session string

	dir  string
	ln   *net.UnixListener
	next atomic.Uint64
	wg   sync.WaitGroup
}

// Timeouts: a client must send its request quickly; an opener gets
// longer (a browser may be starting).
const (
	requestTimeout = 5 * time.Second
	openTimeout    = 30 * time.Second
	maxConcurrent  = 4
)

// Listen makes a private directory (0700) under base and listens on a
// socket in it; nothing is served before Start.
func Listen(base string) (*Server, error) {
	if base == "" {
		base = os.TempDir()
	}
	dir, err := os.MkdirTemp(base, "nono-url-")
	if err != nil {
		return nil, fmt.Errorf("URL-open socket: %w", err)
	}
	path := filepath.Join(dir, "open-url.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("URL-open socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	return &Server{dir: dir, ln: ln}, nil
}

// Path is the socket's path, for the command's NONO_URL_SOCKET.
func (s *Server) Path() string { return filepath.Join(s.dir, "open-url.sock") }

// Close stops listening and removes the socket's directory.
func (s *Server) Close() {
	s.ln.Close()
	os.RemoveAll(s.dir)
}

// Start serves until the returned function is called, which waits for
// the requests in progress (so no event follows it) and closes.
func (s *Server) Start() (stop func()) {
	if s.Open == nil {
		s.Open = Opener(os.Getenv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	slots := make(chan struct{}, maxConcurrent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := s.ln.AcceptUnix()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			select {
			case slots <- struct{}{}:
			default:
				c.Close() // too many at once
				continue
			}
			s.wg.Add(1)
			go func() {
				defer func() { <-slots; s.wg.Done() }()
				s.serve(ctx, c)
			}()
		}
	}()
	return func() {
		s.ln.Close()
		<-done
		cancel()
		s.wg.Wait()
		os.RemoveAll(s.dir)
	}
}

// serve answers one connection: one request line, one answer line.
func (s *Server) serve(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(requestTimeout))
	pid := peerPID(c)
	line, err := bufio.NewReaderSize(io.LimitReader(c, maxURL+256), maxURL+256).ReadSlice('\n')
	if err != nil {
		return // not a request: nothing to record
	}
	raw, err := parseRequest(line)
	if err != nil {
		reply(c, err)
		return
	}
	id := "open-" + strconv.FormatUint(s.next.Add(1), 10)
	openErr := s.Policy.Check(raw)
	if openErr == nil {
		octx, cancel := context.WithTimeout(ctx, openTimeout)
		openErr = s.Open(octx, raw)
		cancel()
	}
	s.Emit(Event(id, raw, pid, s.Session, openErr))
	c.SetDeadline(time.Now().Add(requestTimeout))
	reply(c, openErr)
}

// parseRequest reads {"url":"…"} strictly (lib/canon).
func parseRequest(line []byte) (string, error) {
	v, err := canon.Parse(line)
	if err != nil {
		return "", fmt.Errorf("malformed request: %v", err)
	}
	if v.Kind != canon.Object || len(v.Members) != 1 || v.Members[0].Key != "url" || v.Members[0].Value.Kind != canon.String {
		return "", errors.New(`malformed request: want {"url":"…"}`)
	}
	return v.Members[0].Value.Str, nil
}

func reply(c net.Conn, err error) {
	b := []byte(`{"success":true,"error":null}`)
	if err != nil {
		b = append(canon.AppendString([]byte(`{"success":false,"error":`), err.Error()), '}')
	}
	c.Write(append(b, '\n'))
}

func peerPID(c *net.UnixConn) uint32 {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	var pid uint32
	raw.Control(func(fd uintptr) {
		if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
			pid = uint32(cred.Pid)
		}
	})
	return pid
}

// Opener opens URLs with $NONO_URL_OPENER (a program given the URL as
// its one argument), else xdg-open, else by showing the URL on the
// terminal (or stderr) for the person to open. The opener runs as the
// supervisor, outside the sandbox; its output goes to stderr.
func Opener(getenv func(string) string) func(ctx context.Context, url string) error {
	prog := getenv("NONO_URL_OPENER")
	if prog == "" {
		prog, _ = exec.LookPath("xdg-open")
	}
	if prog == "" {
		return show
	}
	return func(ctx context.Context, url string) error {
		cmd := exec.CommandContext(ctx, prog, url)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.WaitDelay = time.Second
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s did not finish in %v", filepath.Base(prog), openTimeout)
			}
			return fmt.Errorf("%s: %v", filepath.Base(prog), err)
		}
		return nil
	}
}

// show prints the URL for the person at the terminal.
func show(_ context.Context, url string) error {
	w := os.Stderr
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY|unix.O_NOCTTY, 0); err == nil {
		defer tty.Close()
		w = tty
	}
	_, err := fmt.Fprintf(w, "\r\nnono: the command asks to open this URL:\r\n  %s\r\n", url)
	return err
}

// Request is the client: it asks the supervisor listening at socket to
// open url and returns its answer.
func Request(socket, url string) error {
	c, err := net.DialTimeout("unix", socket, requestTimeout)
	if err != nil {
		return fmt.Errorf("cannot reach the supervisor: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(requestTimeout + openTimeout + time.Second))
	req := append(canon.AppendString([]byte(`{"url":`), url), '}', '\n')
	if _, err := c.Write(req); err != nil {
		return fmt.Errorf("cannot reach the supervisor: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(c, 64<<10)).ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("no answer from the supervisor: %w", err)
	}
	v, err := canon.Parse(line)
	ok, _ := v.Get("success")
	if err != nil || ok.Kind != canon.Bool {
		return errors.New("malformed answer from the supervisor")
	}
	if ok.Bool {
		return nil
	}
	msg, _ := v.Get("error")
	return errors.New(msg.Str)
}
