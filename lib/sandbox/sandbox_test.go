package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the sandboxed program: in launch mode it
// builds a policy from its environment and execs itself, confined, in
// probe mode, which tries each action of its arguments and prints one
// line per action: "ok" or the error number's name.
const (
	launchEnv = "NONO_SANDBOX_TEST_LAUNCH"
	probeEnv  = "NONO_SANDBOX_TEST_PROBE"
)

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(probeEnv) != "":
		os.Exit(probe(os.Args[1:]))
	case os.Getenv(launchEnv) != "":
		os.Exit(launch(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// launch confines this process to the grants in the environment (lists of
// paths separated by ':') and execs itself in probe mode.
func launch(args []string) int {
	list := func(k string) []string {
		if v := os.Getenv(k); v != "" {
			return strings.Split(v, ":")
		}
		return nil
	}
	cwd, _ := os.Getwd()
	spec := &Spec{
		Grants: GrantFlags{Allow: list("T_ALLOW"), Read: list("T_READ"), Write: list("T_WRITE"),
			AllowFile: list("T_ALLOW_FILE")}.Grants(func(string) string { return "" }, cwd),
		Cwd: cwd, Home: os.Getenv("HOME"),
	}
	if os.Getenv("T_BLOCKNET") != "" {
		spec.Network = BlockNet()
	}
	self, _ := os.Executable()
	p, err := spec.Policy(Executable{Path: self}, os.Getenv("T_TMP"))
	if err != nil {
		fmt.Println("policy:", err)
		return 3
	}
	rs, err := p.Ruleset(ABI(os.Getenv))
	if err != nil {
		fmt.Println("ruleset:", err)
		return 3
	}
	env := append(os.Environ(), probeEnv+"=1")
	err = p.Exec(rs, self, append([]string{self}, args...), env)
	fmt.Println("exec:", err)
	return 3
}

// probe runs each action NAME:ARG and prints its outcome.
func probe(actions []string) int {
	for _, a := range actions {
		name, arg, _ := strings.Cut(a, ":")
		var err error
		switch name {
		case "read":
			_, err = os.ReadFile(arg)
		case "open": // for reading, without reading to the end (a device)
			var f *os.File
			if f, err = os.Open(arg); err == nil {
				_, err = f.Read(make([]byte, 8))
				f.Close()
			}
		case "write":
			err = os.WriteFile(arg, []byte("x"), 0o644)
		case "append":
			var f *os.File
			if f, err = os.OpenFile(arg, os.O_WRONLY|os.O_APPEND, 0); err == nil {
				f.Close()
			}
		case "truncate":
			err = os.Truncate(arg, 0)
		case "list":
			_, err = os.ReadDir(arg)
		case "mkdir":
			err = os.Mkdir(arg, 0o755)
		case "rmdir", "remove":
			err = os.Remove(arg)
		case "rename":
			from, to, _ := strings.Cut(arg, ">")
			err = os.Rename(from, to)
		case "connect":
			var c net.Conn
			if c, err = net.Dial("tcp", arg); err == nil {
				c.Close()
			}
		case "udp":
			var fd int
			if fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); err == nil {
				unix.Close(fd)
			}
		case "unix":
			var fd int
			if fd, err = unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0); err == nil {
				unix.Close(fd)
			}
		case "signal":
			pid, _ := strconv.Atoi(arg)
			err = unix.Kill(pid, 0)
		}
		fmt.Printf("%s %s\n", a, outcome(err))
	}
	return 0
}

func outcome(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

// confined runs the probes under the grants env sets and returns each
// action's outcome.
func confined(t *testing.T, env map[string]string, actions ...string) map[string]string {
	t.Helper()
	if ABI(os.Getenv) == 0 {
		t.Skip("no Landlock on this kernel")
	}
	cmd := exec.Command(os.Args[0], actions...)
	cmd.Env = append(os.Environ(), launchEnv+"=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		a, res, _ := strings.Cut(line, " ")
		got[a] = res
	}
	return got
}

func expect(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for a, w := range want {
		if got[a] != w {
			t.Errorf("%s: %s, want %s", a, got[a], w)
		}
	}
}

func TestEnforcedFilesystem(t *testing.T) {
	root, _ := filepath.EvalSymlinks(t.TempDir())
	for _, d := range []string{"rw/sub", "ro", "wo/sub", "outside", "tmp"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	for _, f := range []string{"ro/f", "outside/f", "rw/f", "wo/f", "file"} {
		os.WriteFile(filepath.Join(root, f), []byte("data"), 0o644)
	}
	got := confined(t, map[string]string{
		"T_ALLOW": root + "/rw", "T_READ": root + "/ro", "T_WRITE": root + "/wo",
		"T_ALLOW_FILE": root + "/file", "T_TMP": root + "/tmp",
	},
		"write:"+root+"/rw/new", "read:"+root+"/rw/f", "mkdir:"+root+"/rw/d", "rmdir:"+root+"/rw/sub",
		"rename:"+root+"/rw/f>"+root+"/rw/sub2",
		"read:"+root+"/ro/f", "list:"+root+"/ro", "write:"+root+"/ro/new", "append:"+root+"/ro/f", "truncate:"+root+"/ro/f",
		"write:"+root+"/wo/new", "read:"+root+"/wo/f", "list:"+root+"/wo", "rmdir:"+root+"/wo/sub",
		"read:"+root+"/file", "append:"+root+"/file", "write:"+root+"/sibling",
		"read:"+root+"/outside/f", "write:"+root+"/outside/new", "list:"+root,
		"write:"+root+"/tmp/x",
		"read:/etc/hosts", "read:/etc/passwd", "read:/etc/shadow", "read:/proc/self/status", "append:/dev/null",
		"open:/dev/urandom", "open:/dev/random", "append:/dev/urandom",
	)
	expect(t, got, map[string]string{
		"write:" + root + "/rw/new": "ok", "read:" + root + "/rw/f": "ok", "mkdir:" + root + "/rw/d": "ok",
		"rmdir:" + root + "/rw/sub": "ok", "rename:" + root + "/rw/f>" + root + "/rw/sub2": "ok",
		"read:" + root + "/ro/f": "ok", "list:" + root + "/ro": "ok", "write:" + root + "/ro/new": "EACCES",
		"append:" + root + "/ro/f": "EACCES", "truncate:" + root + "/ro/f": "EACCES",
		"write:" + root + "/wo/new": "ok", "read:" + root + "/wo/f": "EACCES", "list:" + root + "/wo": "EACCES",
		"rmdir:" + root + "/wo/sub": "EACCES", // a write-only grant removes no directory
		"read:" + root + "/file":    "ok", "append:" + root + "/file": "ok", "write:" + root + "/sibling": "EACCES",
		"read:" + root + "/outside/f": "EACCES", "write:" + root + "/outside/new": "EACCES", "list:" + root: "EACCES",
		"write:" + root + "/tmp/x": "ok",
		"read:/etc/hosts":          "ok", "read:/etc/passwd": "ok", "read:/proc/self/status": "ok",
		"read:/etc/shadow":  "EACCES",
		"append:/dev/null":  "ok",
		"open:/dev/urandom": "ok", "open:/dev/random": "ok", "append:/dev/urandom": "EACCES",
	})
}

// TestEnforcedOwnProc: the command reads its own /proc/PID, through
// /proc/self and by number, and no other process's: not its parent's,
// not init's.
func TestEnforcedOwnProc(t *testing.T) {
	parent := "/proc/" + strconv.Itoa(os.Getpid())
	got := confined(t, nil, "read:/proc/self/status", "read:/proc/self/maps", "list:/proc/self/fd",
		"read:/proc/self/cgroup", "read:/proc/self/mountinfo", "list:/proc/self/task",
		"read:"+parent+"/status", "read:"+parent+"/environ", "list:"+parent+"/fd",
		"read:/proc/1/status", "read:/proc/1/environ", "list:/proc", "read:/proc/meminfo")
	expect(t, got, map[string]string{
		"read:/proc/self/status": "ok", "read:/proc/self/maps": "ok", "list:/proc/self/fd": "ok",
		"read:/proc/self/cgroup": "ok", "read:/proc/self/mountinfo": "ok", "list:/proc/self/task": "ok",
		"read:" + parent + "/status": "EACCES", "read:" + parent + "/environ": "EACCES", "list:" + parent + "/fd": "EACCES",
		"read:/proc/1/status": "EACCES", "read:/proc/1/environ": "EACCES", "list:/proc": "EACCES", "read:/proc/meminfo": "EACCES",
	})
}

func TestEnforcedNetwork(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := l.Addr().String()
	open := confined(t, nil, "connect:"+addr, "udp:", "unix:")
	expect(t, open, map[string]string{"connect:" + addr: "ok", "udp:": "ok", "unix:": "ok"})
	blocked := confined(t, map[string]string{"T_BLOCKNET": "1"}, "connect:"+addr, "udp:", "unix:")
	expect(t, blocked, map[string]string{"connect:" + addr: "EACCES", "udp:": "EACCES", "unix:": "ok"})
}

func TestEnforcedSignalScope(t *testing.T) {
	// The test process lies outside the probe's domain.
	got := confined(t, nil, "signal:"+strconv.Itoa(os.Getpid()))
	expect(t, got, map[string]string{"signal:" + strconv.Itoa(os.Getpid()): "EPERM"})
}

func TestRefusals(t *testing.T) {
	root, _ := filepath.EvalSymlinks(t.TempDir())
	home := root + "/home"
	for _, d := range []string{"home/.ssh", "home/proj", "home/.nono/audit", "data", "keys"} {
		os.MkdirAll(filepath.Join(root, d), 0o700)
	}
	os.Symlink(root+"/keys", home+"/.aws") // a deny path that is a link: its target is fenced too
	os.WriteFile(home+"/.bashrc", nil, 0o600)
	stores := []Store{{Path: home + "/.nono/audit", Name: "audit root"}, {Path: root + "/future/rollbacks", Name: "rollback root"}}
	tests := []struct {
		grant Grant
		msg   string // "" when accepted
	}{
		{Grant{Path: home, Access: Read, Source: "--read"}, "contains " + home + "/.ssh (deny group deny_credentials)"},
		{Grant{Path: home + "/proj", Access: ReadWrite, Source: "--allow"}, ""},
		{Grant{Path: home + "/.ssh", Access: Read, Source: "--read"}, "contains " + home + "/.ssh"},
		{Grant{Path: home + "/.bashrc", Access: Read, File: true, Source: "--read-file"}, "deny group deny_shell_configs"},
		{Grant{Path: root + "/keys", Access: Read, Source: "--read"}, "deny group deny_credentials"},
		{Grant{Path: home + "/.nono", Access: Read, Source: "--read"}, "contains the audit root"},
		{Grant{Path: home + "/.nono/audit", Access: Read, Source: "--read"}, "audit root"},
		{Grant{Path: root, Access: Read, Source: "--read"}, "contains"},
		{Grant{Path: root + "/data", Access: Read, Source: "--read"}, ""},
	}
	for _, tt := range tests {
		s := &Spec{Grants: []Grant{tt.grant}, Cwd: root, Home: home, Protected: stores}
		_, err := s.Check()
		var re *RefusedError
		switch {
		case tt.msg == "" && err != nil:
			t.Errorf("%s %s: %v", tt.grant.Source, tt.grant.Path, err)
		case tt.msg != "" && (!errors.As(err, &re) || !strings.Contains(err.Error(), tt.msg)):
			t.Errorf("%s %s: %v, want a refusal saying %q", tt.grant.Source, tt.grant.Path, err, tt.msg)
		}
	}
	// A store that does not exist yet is fenced by the path it will have.
	os.MkdirAll(root+"/future", 0o700)
	s := &Spec{Grants: []Grant{{Path: root + "/future", Access: Read, Source: "--read"}}, Cwd: root, Protected: stores}
	if _, err := s.Check(); err == nil || !strings.Contains(err.Error(), "rollback root") {
		t.Errorf("a grant above a store to be: %v", err)
	}
}

func TestPolicyRules(t *testing.T) {
	root, _ := filepath.EvalSymlinks(t.TempDir())
	os.MkdirAll(root+"/bin", 0o755)
	os.MkdirAll(root+"/tmp", 0o700)
	os.MkdirAll(root+"/state/audit", 0o700)
	os.WriteFile(root+"/bin/tool", []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(root+"/state/tool", []byte("#!/bin/sh\n"), 0o755)
	stores := []Store{{Path: root + "/state/audit", Name: "audit root"}}
	s := &Spec{Grants: []Grant{{Path: root + "/bin", Access: Read, Source: "--read"}}, Cwd: root, Protected: stores}
	p, err := s.Policy(Executable{Path: root + "/bin/tool", Interpreter: "/bin/sh"}, root+"/tmp")
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]Rule{}
	for _, r := range p.Rules {
		rules[r.Path] = r
	}
	if r := rules[root+"/bin"]; r.Source != "--read, executable" || r.Access != Read {
		t.Errorf("grant and executable directory merged into %+v", r)
	}
	if r := rules[root+"/tmp"]; r.Source != "tmpdir" || r.Access != ReadWrite {
		t.Errorf("tmpdir rule %+v", r)
	}
	usrBin, _ := filepath.EvalSymlinks("/usr/bin")
	if r := rules[usrBin]; r.Source != "system_read_linux_core" {
		t.Errorf("system rule for %s: %+v", usrBin, r)
	}
	if _, ok := rules["/dev/null"]; !ok || !rules["/dev/null"].File {
		t.Errorf("/dev/null: %+v", rules["/dev/null"])
	}
	for _, r := range p.Rules {
		if Within(r.Path, "/proc") {
			t.Errorf("a rule in /proc: %+v", r)
		}
	}
	// An executable whose directory holds a store gets a rule of its own.
	p, err = (&Spec{Cwd: root, Protected: stores}).Policy(Executable{Path: root + "/state/tool"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Rules[0]; r.Path != root+"/state/tool" || !r.File || r.Source != "executable" {
		t.Errorf("executable next to a store: %+v", r)
	}
}

func TestRights(t *testing.T) {
	const abi = 7
	rw := Rule{Access: ReadWrite}.rights(abi, false)
	w := Rule{Access: Write}.rights(abi, false)
	f := Rule{Access: ReadWrite, File: true}.rights(abi, false)
	dev := Rule{Access: ReadWrite, File: true}.rights(abi, true)
	if rw&unix.LANDLOCK_ACCESS_FS_REMOVE_DIR == 0 || w&unix.LANDLOCK_ACCESS_FS_REMOVE_DIR != 0 {
		t.Errorf("REMOVE_DIR: read+write %#x, write-only %#x", rw, w)
	}
	if w&(unix.LANDLOCK_ACCESS_FS_READ_FILE|unix.LANDLOCK_ACCESS_FS_READ_DIR) != 0 {
		t.Errorf("write-only reads: %#x", w)
	}
	if f&^fileRights != 0 || f&unix.LANDLOCK_ACCESS_FS_IOCTL_DEV != 0 || dev&unix.LANDLOCK_ACCESS_FS_IOCTL_DEV == 0 {
		t.Errorf("file rights %#x, device %#x", f, dev)
	}
	if (Rule{Access: ReadWrite}).rights(1, true)&^fsRights(1) != 0 {
		t.Error("ABI 1 rights beyond what it handles")
	}
}

// TestFilterProgram checks the jumps of nono's seccomp filter: every
// jump lands inside the program, and the program ends in a return.
func TestFilterProgram(t *testing.T) {
	for _, s := range []filterSpec{{thread: 1234}, {unixOnly: true}, {thread: 99, unixOnly: true}, {thread: 7, tcpOnly: true}, {unixOnly: true, tcpOnly: true}} {
		prog, err := s.program()
		if err != nil {
			t.Fatal(err)
		}
		for i, ins := range prog {
			if ins.Code&0x07 == unix.BPF_JMP && (i+1+int(ins.Jt) >= len(prog) || i+1+int(ins.Jf) >= len(prog)) {
				t.Errorf("%+v: instruction %d jumps out of the program", s, i)
			}
		}
		if last := prog[len(prog)-1]; last.Code != retK {
			t.Errorf("%+v: ends with %+v", s, last)
		}
	}
}
