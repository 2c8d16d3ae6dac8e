package capability

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/sandbox"
)

// pty returns a pseudo-terminal's master and the path of its slave.
func pty(t *testing.T) (*os.File, string) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

func TestTerminal(t *testing.T) {
	r := &Request{ID: "cap-1", Path: "/etc/motd", Access: sandbox.Read, Pid: 4242}
	for _, c := range []struct {
		typed string
		wait  time.Duration
		want  Verdict
	}{
		{"y\n", 10 * time.Second, Granted},
		{"YES\n", 10 * time.Second, Granted},
		{"\n", 10 * time.Second, Denied}, // default No
		{"n\n", 10 * time.Second, Denied},
		{"", 300 * time.Millisecond, Timeout},
	} {
		m, slave := pty(t)
		screen := make(chan string, 1)
		go func() {
			buf := make([]byte, 4096)
			var seen strings.Builder
			for !strings.Contains(seen.String(), "[y/N]") {
				n, err := m.Read(buf)
				seen.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if c.typed != "" {
				m.WriteString(c.typed)
			}
			screen <- seen.String()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), c.wait)
		d := (&Terminal{TTY: slave}).Decide(ctx, r, nil)
		cancel()
		if d.Verdict != c.want {
			t.Errorf("typed %q: %+v", c.typed, d)
		}
		if s := <-screen; !strings.Contains(s, "process 4242 asks to open /etc/motd (Read)") {
			t.Errorf("prompt: %q", s)
		}
	}
	if d := (&Terminal{TTY: "/nonexistent/tty"}).Decide(context.Background(), r, nil); d.Verdict != Denied || !strings.Contains(d.Reason, "no terminal") {
		t.Errorf("no terminal: %+v", d)
	}
}
