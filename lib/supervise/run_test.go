package supervise

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/launch/launchtest"
	"github.com/nono-audit/nono/lib/redact"
	"github.com/nono-audit/nono/lib/session"
)

// The test binary doubles as the helper processes of the terminal tests
// (terminal_test.go) and of the watchdog's (watchdog_test.go).
const helperEnv = "SUPERVISE_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "supervisor":
		os.Exit(helperSupervisor(os.Args[1:]))
	case "child":
		os.Exit(helperChild())
	case "attacker":
		os.Exit(helperAttacker(os.Args[1:]))
	case "watchdog":
		os.Exit(helperWatchdog(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		ws   unix.WaitStatus
		want int
	}{
		{0, 0},
		{42 << 8, 42},
		{255 << 8, 255},
		{unix.WaitStatus(unix.SIGTERM), 143},
		{unix.WaitStatus(unix.SIGKILL), 137},
		{unix.WaitStatus(unix.SIGSEGV) | 0x80, 139}, // core dumped
	}
	for _, tt := range tests {
		if got := ExitStatus(tt.ws); got != tt.want {
			t.Errorf("ExitStatus(%#x) = %d, want %d", uint32(tt.ws), got, tt.want)
		}
	}
}

// harness runs sessions with a captured event stream.
type harness struct {
	t   *testing.T
	dir string
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, dir: t.TempDir()}
}

// config returns a Config for argv with an event pipe; finish returns
// the events written.
func (h *harness) config(argv ...string) (Config, func() []string) {
	h.t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		h.t.Fatal(err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(h.dir, "stdout"))
	if err != nil {
		h.t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		data, _ := io.ReadAll(r)
		r.Close()
		got <- data
	}()
	times := []time.Time{
		time.Date(2026, 4, 21, 20, 0, 0, 0, time.FixedZone("", 2*3600)),
		time.Date(2026, 4, 21, 20, 0, 1, 500_000_000, time.FixedZone("", 2*3600)),
	}
	cfg := Config{
		Argv:    argv,
		Env:     append(os.Environ(), helperEnv+"="),
		Dir:     h.dir,
		EventFD: int(w.Fd()),
		Policy:  redact.DefaultPolicy(),
		Rules:   redact.Default,
		Stdio:   Stdio{In: null, Out: out, Err: os.Stderr},
		Now: func() time.Time {
			t := times[0]
			if len(times) > 1 {
				times = times[1:]
			}
			return t
		},
	}
	return cfg, func() []string {
		w.Close()
		null.Close()
		out.Close()
		data := <-got
		return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	}
}

const (
	testStarted = "2026-04-21T20:00:00+02:00"
	testEnded   = "2026-04-21T20:00:01.500+02:00"
)

func TestRunRecordsSession(t *testing.T) {
	h := newHarness(t)
	sdir := filepath.Join(h.dir, "0123456789abcdef")
	if err := os.Mkdir(sdir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, finish := h.config("sh", "-c", `[ -n "$1" ] && exit 42`, "sh", "--password", "hunter2")
	cfg.SessionDir = sdir
	cfg.TrackedPaths = []string{"/tmp/work"}
	out, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := finish()
	if out.ExitCode != 42 || out.Launch != nil || out.Record != nil || out.Status() != 42 {
		t.Errorf("outcome = %+v, want exit 42 and no errors", out)
	}
	recorded := []string{"sh", "-c", `[ -n "$1" ] && exit 42`, "sh", "--password", "[REDACTED]"}
	want := []string{
		string(event.SessionStarted(testStarted, recorded, canon.NullValue())),
		string(event.SessionEnded(testEnded, 42)),
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}

	s, err := session.Read(sdir)
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := launch.LookPath("sh", launch.LookupEnv(os.Environ(), "PATH"), "/")
	shReal, _ := filepath.EvalSymlinks(sh)
	content, _ := os.ReadFile(shReal)
	if s.SessionID != "0123456789abcdef" || s.Started != testStarted || s.Ended == nil || *s.Ended != testEnded ||
		s.ExitCode == nil || *s.ExitCode != 42 || strings.Join(s.Command, " ") != strings.Join(recorded, " ") ||
		s.ExecutableIdentity == nil || s.ExecutableIdentity.ResolvedPath != shReal || s.ExecutableIdentity.SHA256 != launchtest.SHA256(string(content)) ||
		len(s.TrackedPaths) != 1 || s.TrackedPaths[0] != "/tmp/work" {
		t.Errorf("session.json = %+v (identity %+v)", s, s.ExecutableIdentity)
	}
	data, _ := os.ReadFile(filepath.Join(sdir, session.FileName))
	if !bytes.Contains(data, []byte(`"exit_code": 42`)) || bytes.Contains(data, []byte("hunter2")) {
		t.Errorf("session.json:\n%s", data)
	}
	if st, _ := os.Stat(filepath.Join(sdir, session.FileName)); st.Mode().Perm() != 0o600 {
		t.Errorf("session.json mode %o, want 600", st.Mode().Perm())
	}
	if session.IsRunning(sdir) {
		t.Error("the session still looks running after Run returned")
	}
}

func TestRunKeepsOtherFields(t *testing.T) {
	h := newHarness(t)
	sdir := filepath.Join(h.dir, "fedcba9876543210")
	if err := os.Mkdir(sdir, 0o700); err != nil {
		t.Fatal(err)
	}
	// What plan and the snapshot stage wrote before the supervisor ran.
	prior := &session.Session{SessionID: "fedcba9876543210", Started: "plan time", Command: []string{"x"},
		TrackedPaths: []string{"/a"}, SnapshotCount: 1, MerkleRoots: []string{strings.Repeat("ab", 32)}}
	if err := session.Write(sdir, prior); err != nil {
		t.Fatal(err)
	}
	cfg, finish := h.config("true")
	cfg.SessionDir = sdir
	cfg.TrackedPaths = []string{"/a"}
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	finish()
	s, err := session.Read(sdir)
	if err != nil {
		t.Fatal(err)
	}
	if s.SnapshotCount != 1 || len(s.MerkleRoots) != 1 || s.Started != testStarted || s.Command[0] != "true" || *s.ExitCode != 0 {
		t.Errorf("session.json = %+v", s)
	}
}

func TestRunWhileRunning(t *testing.T) {
	h := newHarness(t)
	sdir := filepath.Join(h.dir, "abcdefabcdefabcd")
	if err := os.Mkdir(sdir, 0o700); err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(h.dir, "probe")
	ready, proceed := mkfifo(t, h.dir, "ready"), mkfifo(t, h.dir, "proceed")
	// The child copies session.json, says it is running, and waits to be
	// told to end: the test looks at the session in between.
	cfg, finish := h.config("sh", "-c", `cat "$0"/session.json > "$1"; echo > "$2"; read x < "$3"`, sdir, probe, ready, proceed)
	cfg.SessionDir = sdir
	running := make(chan bool, 1)
	go func() {
		waitFor(t, ready)
		running <- session.IsRunning(sdir)
		if err := os.WriteFile(proceed, []byte("\n"), 0); err != nil {
			t.Error(err)
		}
	}()
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	finish()
	data, err := os.ReadFile(probe)
	if err != nil {
		t.Fatal(err)
	}
	if !<-running {
		t.Error("the session did not look running while the command ran")
	}
	// While the child runs, session.json already has the identity with
	// ended and exit_code still null.
	for _, want := range []string{`"ended": null`, `"exit_code": null`, `"resolved_path": "`, `"started": "` + testStarted} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("session.json while running lacks %s:\n%s", want, data)
		}
	}
}

// mkfifo makes a named pipe: a test and a child wait on each other
// through it instead of sleeping.
func mkfifo(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor blocks until a writer has written a line to fifo, and returns it.
func waitFor(t *testing.T, fifo string) string {
	data, err := os.ReadFile(fifo)
	if err != nil {
		t.Error(err)
	}
	return strings.TrimSpace(string(data))
}

func TestRunLaunchFailure(t *testing.T) {
	h := newHarness(t)
	sdir := filepath.Join(h.dir, "0000000000000001")
	if err := os.Mkdir(sdir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, finish := h.config("no-such-command-anywhere")
	cfg.SessionDir = sdir
	out, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := finish()
	if out.ExitCode != 127 || out.Launch == nil || !strings.Contains(out.Launch.Error(), "command not found") {
		t.Errorf("outcome = %+v", out)
	}
	if len(events) != 2 || !strings.Contains(events[1], `"exit_code":127`) {
		t.Errorf("events = %q", events)
	}
	s, err := session.Read(sdir)
	if err != nil {
		t.Fatal(err)
	}
	if s.ExecutableIdentity != nil || *s.ExitCode != 127 {
		t.Errorf("session.json = %+v", s)
	}
}

func TestRunRecorderGone(t *testing.T) {
	for _, code := range []int{0, 42} {
		h := newHarness(t)
		marker := filepath.Join(h.dir, "ran")
		cfg, finish := h.config("sh", "-c", fmt.Sprintf(`echo ok > "$0"; exit %d`, code), marker)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // the reader is gone before anything is written: EPIPE
		cfg.EventFD = int(w.Fd())
		out, err := Run(cfg)
		w.Close()
		finish()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(marker); err != nil {
			t.Errorf("exit %d: the child did not run: %v", code, err)
		}
		want := code
		if code == 0 {
			want = 1
		}
		if out.ExitCode != code || out.Record == nil || !strings.Contains(out.Record.Error(), "broken pipe") || out.Status() != want {
			t.Errorf("exit %d: outcome = %+v, status %d", code, out, out.Status())
		}
	}

	// Nothing open on the descriptor at all.
	h := newHarness(t)
	cfg, finish := h.config("true")
	defer finish()
	cfg.EventFD = 1000
	out, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out.Record == nil || out.Status() != 1 {
		t.Errorf("closed event fd: outcome = %+v", out)
	}
}

func TestRunForwardsSignals(t *testing.T) {
	h := newHarness(t)
	ready := mkfifo(t, h.dir, "ready")
	cfg, finish := h.config("sh", "-c", `echo $$ > "$0"; sleep 30; exit 3`, ready)
	sigs := make(chan os.Signal, 1)
	cfg.Signals = sigs
	go func() {
		waitFor(t, ready) // the shell runs and has started sleep
		sigs <- syscall.SIGTERM
	}()
	out, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := finish()
	// The whole group got it: sh died of SIGTERM before sleep ended.
	if out.ExitCode != 128+int(syscall.SIGTERM) {
		t.Errorf("exit = %d, want %d", out.ExitCode, 128+int(syscall.SIGTERM))
	}
	if last := events[len(events)-1]; !strings.Contains(last, `"type":"session_ended"`) || !strings.Contains(last, `"exit_code":143`) {
		t.Errorf("last event = %s", last)
	}
}

func TestRunSyntheticEvents(t *testing.T) {
	h := newHarness(t)
	cfg, finish := h.config("true")
	cfg.Hooks.Events = 50
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	events := finish()
	if len(events) != 52 {
		t.Fatalf("%d events, want 52", len(events))
	}
	if !strings.HasPrefix(events[0], `{"type":"session_started"`) || !strings.HasPrefix(events[51], `{"type":"session_ended"`) {
		t.Errorf("first %s, last %s", events[0], events[51])
	}
	for i, e := range events[1:51] {
		got, err := event.Canonicalize([]byte(e))
		if err != nil || string(got) != e {
			t.Errorf("synthetic event %d is not canonical (%v):\n%s\n%s", i, err, e, got)
		}
	}
}

// helperChild is the command in the terminal tests: it reports each
// SIGINT, answers ping with pong and ends on quit.
func helperChild() int {
	ints := make(chan os.Signal, 8)
	signal.Notify(ints, syscall.SIGINT)
	go func() {
		for range ints {
			fmt.Println("got-INT")
		}
	}()
	fmt.Println("child-ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch strings.TrimSpace(in.Text()) {
		case "ping":
			fmt.Println("pong")
		case "quit":
			return 0
		}
	}
	fmt.Println("child-eof", in.Err())
	return 1
}

// helperSupervisor supervises argv on the test's terminal and reports
// whether the terminal came back to it.
func helperSupervisor(argv []string) int {
	sigs, stop := Signals()
	defer stop()
	launch.CloseOnExec()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, helperEnv+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, helperEnv+"=child")
	wd, _ := os.Getwd()
	out, err := Run(Config{
		Argv: argv, Env: env, Dir: wd, EventFD: -1,
		Stdio:   Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr},
		Signals: sigs,
	})
	if err != nil {
		fmt.Println("supervisor-error", err)
		return 1
	}
	if t := openTerminal(); t != nil && t.ours() {
		fmt.Println("terminal-restored")
	}
	fmt.Printf("supervisor-exit=%d\n", out.ExitCode)
	return out.ExitCode
}

func TestRunBadInterpreter(t *testing.T) {
	h := newHarness(t)
	launchtest.WriteFile(t, h.dir+"/script", "#!/nonexistent/interpreter -x\necho hi\n", 0o755)
	launchtest.WriteFile(t, h.dir+"/plain", "echo no shebang\n", 0o755)
	for _, tt := range []struct{ prog, msg string }{
		{"./script", "/nonexistent/interpreter: bad interpreter"},
		{"./plain", "exec format error"},
	} {
		cfg, finish := h.config(tt.prog)
		out, err := Run(cfg)
		finish()
		if err != nil {
			t.Fatal(err)
		}
		if out.ExitCode != launch.StatusCannotExecute || out.Launch == nil || !strings.Contains(out.Launch.Error(), tt.msg) {
			t.Errorf("%s: outcome = %+v, want 126 saying %q", tt.prog, out, tt.msg)
		}
	}
}
