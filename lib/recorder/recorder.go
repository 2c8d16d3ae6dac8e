// Package recorder starts the recording pipeline of `nono run` as
// children of the supervisor, from a spec the nono wrapper composes:
//
//	nono-redact --session-header | nono-chain --session-header | nono-merkle session --session-header
//
// Stages are separated by "|", words by blanks, with no quoting. A first
// word without "/" names a tool found beside the running executable
// (resolved), else on PATH; with "/" it is a path. The supervisor writes
// the event stream into the first stage's stdin; each stage's stdout
// feeds the next; the last one's stdout and every stage's stderr are the
// supervisor's. Starting them here rather than from a shell saves a
// shell's forks (copy-on-write faults) on every run: launch.Spawn
// uses vfork.
package recorder

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/nono-audit/nono/lib/launch"
)

// Stage is one program of the pipeline.
type Stage struct {
	Path string   // the program, resolved
	Argv []string // its words as written, Argv[0] the program's
}

// Name is the program's base name, as the failure message gives it.
func (s Stage) Name() string { return filepath.Base(s.Argv[0]) }

// Split parses spec's syntax: its stages and their words.
func Split(spec string) ([][]string, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("empty pipeline")
	}
	var stages [][]string
	for i, text := range strings.Split(spec, "|") {
		words := strings.Fields(text)
		if len(words) == 0 {
			return nil, fmt.Errorf("stage %d of %q is empty", i+1, spec)
		}
		stages = append(stages, words)
	}
	return stages, nil
}

// Parse parses spec and resolves each stage's program: a name without
// "/" in dir (when it is an executable file there) or else on PATH; a
// path as it is. An unknown or non-executable program is an error.
func Parse(spec, dir string) ([]Stage, error) {
	words, err := Split(spec)
	if err != nil {
		return nil, err
	}
	stages := make([]Stage, len(words))
	for i, w := range words {
		path, err := resolve(w[0], dir)
		if err != nil {
			return nil, fmt.Errorf("stage %d: %w", i+1, err)
		}
		stages[i] = Stage{Path: path, Argv: w}
	}
	return stages, nil
}

func resolve(name, dir string) (string, error) {
	if !strings.Contains(name, "/") && dir != "" {
		if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
			return p, nil
		}
	}
	// LookPath searches PATH for a bare name and checks a path as given.
	p, err := exec.LookPath(name)
	if err != nil && errors.Is(err, exec.ErrDot) {
		err = nil // a relative PATH entry is the user's choice
	}
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		return "", fmt.Errorf("program %q: %w", name, err)
	}
	return p, nil
}

// Running is a started pipeline.
type Running struct {
	stream *os.File // the write end of the first stage's stdin
	stages []Stage
	pids   []int
}

// Start starts the stages with env (and GOMAXPROCS=1 unless env sets
// it, see StageEnv), connected by pipes, the last one's stdout on stdout
// and every stderr on stderr; they inherit no other descriptor. The stages share a process group of their own, so that
// the terminal's signals (Ctrl-C, Ctrl-\, Ctrl-Z) and a signal to the
// supervisor's group never reach them: they drain the stream to its end.
// Start returns once every stage runs, or fails having started none
// (those it had started see the end of their input and are waited for).
func Start(stages []Stage, env []string, stdout, stderr *os.File) (*Running, error) {
	if len(stages) == 0 {
		return nil, errors.New("no stage to start")
	}
	env = StageEnv(env)
	in, stream, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start the recorder: %w", err)
	}
	r := &Running{stream: stream, stages: stages}
	for i, s := range stages {
		out := stdout
		var next *os.File
		if i < len(stages)-1 {
			if next, out, err = os.Pipe(); err != nil {
				in.Close()
				r.abort()
				return nil, fmt.Errorf("start the recorder: %w", err)
			}
		}
		sys := &syscall.SysProcAttr{Setpgid: true}
		if len(r.pids) > 0 {
			sys.Pgid = r.pids[0]
		}
		pid, err := launch.Spawn(s.Path, s.Argv, env, "", []*os.File{in, out, stderr}, sys)
		in.Close()
		if out != stdout {
			out.Close()
		}
		if err != nil {
			if next != nil {
				next.Close()
			}
			r.abort()
			return nil, fmt.Errorf("start the recorder: %s: %w", s.Argv[0], err)
		}
		r.pids = append(r.pids, pid)
		in = next
	}
	return r, nil
}

// StageEnv is env with GOMAXPROCS=1 unless env sets GOMAXPROCS. A
// stage is one step of a sequential pipeline; a Go program with a second
// P spends its start and every wait for input on threads that spin
// looking for work, which on a machine of few CPUs take the CPU the
// other programs of the session need. One P takes about 6 % off a short
// session's CPU time and nothing off the stages' throughput (docs/RUN.md).
func StageEnv(env []string) []string {
	if launch.LookupEnv(env, "GOMAXPROCS") != "" {
		return env
	}
	return launch.SetEnv(env, "GOMAXPROCS", "1")
}

// abort ends a pipeline that could not be started whole.
func (r *Running) abort() {
	r.Close()
	for _, pid := range r.pids {
		launch.Wait(pid)
	}
}

// Stream is the write end of the first stage's stdin. It stays open
// until Close.
func (r *Running) Stream() *os.File { return r.stream }

// Close ends the stream: the stages finish and exit.
func (r *Running) Close() error { return r.stream.Close() }

// Status is how one stage ended.
type Status struct {
	Name string // the program's base name
	Code int    // its exit status, 128+N when signal N killed it, -1 if unknown
}

// Wait closes the stream, waits for every stage and returns how each
// ended, and an error naming all of them when any did not exit 0.
func (r *Running) Wait() ([]Status, error) {
	r.stream.Close()
	statuses := make([]Status, len(r.pids))
	failed := false
	for i, pid := range r.pids {
		statuses[i] = Status{Name: r.stages[i].Name(), Code: -1}
		ws, err := launch.Wait(pid)
		if err == nil {
			switch {
			case ws.Exited():
				statuses[i].Code = ws.ExitStatus()
			case ws.Signaled():
				statuses[i].Code = 128 + int(ws.Signal())
			}
		}
		failed = failed || statuses[i].Code != 0
	}
	if failed {
		return statuses, &FailedError{statuses}
	}
	return statuses, nil
}

// FailedError is a pipeline of which some stage failed.
type FailedError struct{ Statuses []Status }

func (e *FailedError) Error() string {
	parts := make([]string, len(e.Statuses))
	for i, s := range e.Statuses {
		parts[i] = fmt.Sprintf("%s exit %d", s.Name, s.Code)
	}
	return "recording the session failed (" + strings.Join(parts, ", ") + ")"
}
