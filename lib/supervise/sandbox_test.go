package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/sandbox"
)

// helperAttacker is a sandboxed command that goes after its supervisor:
// it writes where it was granted and where it was not, reads its own
// /proc entry and its parent's, and tries every
// thread of its parent (it cannot list them: /proc is not granted, so it
// tries the IDs after the parent's) with a signal, a pidfd, resource
// limits and the parent's descriptors through /proc. It prints what
// worked.
func helperAttacker(args []string) int {
	inside, outside := args[0], args[1]
	fmt.Println("write-inside", os.WriteFile(inside, []byte("x"), 0o644) == nil)
	fmt.Println("write-outside", os.WriteFile(outside, []byte("x"), 0o644) == nil)
	ppid := os.Getppid()
	_, err := os.ReadFile("/proc/self/status")
	fmt.Println("own-proc", err == nil)
	_, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", ppid))
	fmt.Println("parent-proc", err == nil)
	var hits []string
	for tid := ppid; tid < ppid+400; tid++ {
		switch err := unix.Tgkill(ppid, tid, 0); err {
		case nil:
			hits = append(hits, "tgkill:"+strconv.Itoa(tid))
		case unix.ESRCH:
			continue // not a thread of the parent (perhaps one of ours)
		}
		if fd, err := unix.PidfdOpen(tid, unix.PIDFD_THREAD); err == nil {
			if unix.PidfdSendSignal(fd, 0, nil, 0) == nil {
				hits = append(hits, "pidfd:"+strconv.Itoa(tid))
			}
			unix.Close(fd)
		}
		for fd := range 8 {
			if f, err := os.OpenFile(fmt.Sprintf("/proc/%d/task/%d/fd/%d", ppid, tid, fd), os.O_WRONLY, 0); err == nil {
				f.Close()
				hits = append(hits, fmt.Sprintf("fd:%d/%d", tid, fd))
			}
		}
	}
	var lim unix.Rlimit
	if unix.Prlimit(ppid, unix.RLIMIT_NOFILE, nil, &lim) == nil {
		hits = append(hits, "prlimit")
	}
	if unix.Kill(ppid, 0) == nil {
		hits = append(hits, "kill")
	}
	fmt.Println("reached", strings.Join(hits, " "))
	return 0
}

// TestRunSandboxed runs a command in the sandbox from the supervisor's
// launch thread: the command is confined and cannot reach that thread,
// and the supervisor itself (every other thread, this test) is not.
func TestRunSandboxed(t *testing.T) {
	abi := sandbox.ABI(os.Getenv)
	if abi == 0 {
		t.Skip("no Landlock on this kernel")
	}
	// As nono-run does: the command cannot read this process's /proc
	// entries past the ptrace checks.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	defer unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0)
	h := newHarness(t)
	root, _ := filepath.EvalSymlinks(h.dir)
	work := filepath.Join(root, "work")
	os.Mkdir(work, 0o755)
	cfg, finish := h.config(os.Args[0], filepath.Join(work, "in"), filepath.Join(root, "out"))
	cfg.Env = launch.SetEnv(cfg.Env, helperEnv, "attacker")
	cfg.Sandbox = &Sandbox{
		Spec: &sandbox.Spec{Grants: []sandbox.Grant{{Path: work, Access: sandbox.ReadWrite, Source: "--allow"}}, Cwd: root},
		ABI:  abi, TmpBase: root,
	}
	// Other threads of the supervisor keep writing outside the grants
	// while the command runs.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var outsideErr error
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("sup%d", i)), nil, 0o644); err != nil {
					outsideErr = err
					return
				}
			}
		}()
	}
	out, err := Run(cfg)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	events := finish()
	if outsideErr != nil {
		t.Errorf("a supervisor thread was confined: %v", outsideErr)
	}
	if err := os.WriteFile(filepath.Join(root, "after"), nil, 0o644); err != nil {
		t.Errorf("the supervisor is confined after the session: %v", err)
	}
	stdout, _ := os.ReadFile(filepath.Join(h.dir, "stdout"))
	for _, want := range []string{"write-inside true\n", "write-outside false\n", "own-proc true\n", "parent-proc false\n", "reached \n"} {
		if !strings.Contains(string(stdout), want) {
			t.Errorf("the sandboxed command said:\n%s\nwant %q", stdout, want)
		}
	}
	if out.ExitCode != 0 || len(events) != 3 || !strings.HasPrefix(events[1], `{"type":"sandbox_runtime","event":{"timestamp":"`) ||
		!strings.HasSuffix(events[1], `+00:00","platform":"linux","landlock_abi":"V`+strconv.Itoa(abi)+`","landlock_execute_enforced":true,"tool_sandbox_active":false}}`) {
		t.Errorf("outcome %+v, events:\n%s", out, strings.Join(events, "\n"))
	}
	if _, err := event.Canonicalize([]byte(events[1])); err != nil {
		t.Errorf("sandbox_runtime is not canonical: %v", err)
	}
	// The private TMPDIR is gone with the session.
	if left, _ := filepath.Glob(filepath.Join(root, "nono-session-*")); len(left) != 0 {
		t.Errorf("private temporary directories left: %q", left)
	}
}

func TestRunUnsandboxedRecorded(t *testing.T) {
	h := newHarness(t)
	cfg, finish := h.config("true")
	cfg.Sandbox = &Sandbox{Reason: "no landlock"}
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	events := finish()
	if len(events) != 3 || !strings.HasSuffix(events[1], `,"platform":"linux","tool_sandbox_active":false}}`) {
		t.Errorf("events:\n%s", strings.Join(events, "\n"))
	}
}
