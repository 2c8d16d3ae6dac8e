package supervise

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperWatchdog is a supervisor that arms a watchdog for the process
// group in args[0], says "armed" (and, with args[1] == "stop", disarms it
// and says "stopped"), then waits to be killed.
func helperWatchdog(args []string) int {
	pgid, err := strconv.Atoi(args[0])
	if err != nil {
		return 2
	}
	w, err := startWatchdog(pgid)
	if err != nil || w == nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("armed")
	if len(args) > 1 && args[1] == "stop" {
		w.stop()
		fmt.Println("stopped")
	}
	select {}
}

// family starts a process group of two: a shell that leads it and a child
// of the shell, and returns the leader and the child's PID.
func family(t *testing.T) (*exec.Cmd, int) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	leader := exec.Command("/bin/sh", "-c", `sleep 60 & echo $! > "$1"; wait`, "sh", pidFile)
	leader.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Kill(-leader.Process.Pid, unix.SIGKILL)
		leader.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return leader, pid
		}
	}
	t.Fatal("the group's child never started")
	return nil, 0
}

// supervisorOf starts helperWatchdog for the leader's group and waits
// for it to say each of lines.
func supervisorOf(t *testing.T, leader *exec.Cmd, args []string, lines ...string) *exec.Cmd {
	t.Helper()
	sup := exec.Command(os.Args[0], append([]string{strconv.Itoa(leader.Process.Pid)}, args...)...)
	sup.Env = append(os.Environ(), helperEnv+"=watchdog")
	out, err := sup.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	for _, want := range lines {
		line, err := r.ReadString('\n')
		if strings.TrimSpace(line) != want {
			sup.Process.Kill()
			sup.Wait()
			t.Fatalf("the supervisor said %q (%v), want %q", line, err, want)
		}
	}
	return sup
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

func TestWatchdogKillsTheGroupWhenTheSupervisorDies(t *testing.T) {
	leader, child := family(t)
	sup := supervisorOf(t, leader, nil, "armed")
	sup.Process.Signal(unix.SIGKILL)
	sup.Wait()
	done := make(chan error, 1)
	go func() { done <- leader.Wait() }()
	select {
	case err := <-done:
		if ws, ok := leader.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("the group's leader ended with %v, want SIGKILL", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the group's leader outlived its supervisor")
	}
	for deadline := time.Now().Add(10 * time.Second); alive(child); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the group's other process outlived its supervisor")
		}
	}
}

func TestWatchdogStoppedKillsNothing(t *testing.T) {
	leader, child := family(t)
	sup := supervisorOf(t, leader, []string{"stop"}, "armed", "stopped")
	sup.Process.Signal(unix.SIGKILL)
	sup.Wait()
	time.Sleep(200 * time.Millisecond)
	if !alive(leader.Process.Pid) || !alive(child) {
		t.Fatal("a stopped watchdog killed the group")
	}
}

func TestWatchdogOfAGroupThatEnded(t *testing.T) {
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	w, err := startWatchdog(cmd.Process.Pid)
	if w != nil || err != nil {
		t.Fatalf("startWatchdog of an ended group = %v, %v; want nil, nil", w, err)
	}
}
