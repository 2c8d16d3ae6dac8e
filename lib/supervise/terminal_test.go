package supervise

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A terminal session for the tests: the supervisor (this test binary in
// helper mode) runs on a fresh pseudo-terminal, either as the session
// leader itself or under a job-control bash, and supervises another copy
// of the test binary that reads the terminal and reports SIGINTs.
type ptySession struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    strings.Builder
	done   chan struct{}
}

func startPTY(t *testing.T, argv ...string) *ptySession {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), helperEnv+"=supervisor")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &ptySession{t: t, master: master, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		master.Close()
	})
	return s
}

func (s *ptySession) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// expect waits until the output holds want n times in all.
func (s *ptySession) expect(want string, n int) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(s.output(), want) < n {
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q (#%d) on the terminal; it shows:\n%s", want, n, s.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *ptySession) send(text string) {
	s.t.Helper()
	if _, err := s.master.WriteString(text); err != nil {
		s.t.Fatal(err)
	}
}

func (s *ptySession) wait() {
	s.t.Helper()
	s.cmd.Wait()
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.t.Fatal("the terminal never closed")
	}
}

func TestTerminalInterrupt(t *testing.T) {
	// The supervisor leads the terminal's session; the child gets the
	// foreground, reads the terminal, and sees one SIGINT per Ctrl-C.
	s := startPTY(t, os.Args[0], os.Args[0])
	s.expect("child-ready", 1)
	s.send("ping\n")
	s.expect("pong", 1)
	s.send("\x03")
	s.expect("got-INT", 1)
	s.send("ping\n") // a round trip: a second SIGINT would have arrived by now
	s.expect("pong", 2)
	s.send("\x03")
	s.expect("got-INT", 2)
	s.send("ping\n")
	s.expect("pong", 3)
	s.send("quit\n")
	s.expect("supervisor-exit=0", 1)
	s.wait()
	out := s.output()
	if n := strings.Count(out, "got-INT"); n != 2 {
		t.Errorf("two Ctrl-C gave %d SIGINTs:\n%s", n, out)
	}
	if !strings.Contains(out, "terminal-restored") {
		t.Errorf("the terminal did not come back to the supervisor:\n%s", out)
	}
}

func TestTerminalStopContinue(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash for job control")
	}
	// Under a job-control shell, Ctrl-Z stops the whole job (the shell
	// reports it stopped) and fg gives the terminal back to the child.
	script := `set -m; "$@"; echo "status:$?"; fg >/dev/null; echo "final:$?"`
	s := startPTY(t, "bash", "--norc", "--noprofile", "-c", script, "bash", os.Args[0], os.Args[0])
	s.expect("child-ready", 1)
	s.send("\x1a")
	s.expect(fmt.Sprintf("status:%d", 128+int(unix.SIGTSTP)), 1)
	s.send("ping\n")
	s.expect("pong", 1)
	s.send("quit\n")
	s.expect("final:0", 1)
	s.wait()
	if out := s.output(); !strings.Contains(out, "terminal-restored") || !strings.Contains(out, "supervisor-exit=0") {
		t.Errorf("after stop and fg:\n%s", out)
	}
}

func TestTerminalStopOrphaned(t *testing.T) {
	// With no job-control parent (the supervisor leads the session), a
	// stop could never be undone: the child is continued at once, as the
	// kernel does for orphaned groups.
	s := startPTY(t, os.Args[0], os.Args[0])
	s.expect("child-ready", 1)
	s.send("\x1a")
	s.send("ping\n")
	s.expect("pong", 1)
	s.send("quit\n")
	s.expect("supervisor-exit=0", 1)
	s.wait()
}
