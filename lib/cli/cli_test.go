package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/inplace"
	"github.com/nono-audit/nono/lib/progress"
)

type okCmd struct{ Fail string }

func (c *okCmd) Run() error {
	switch c.Fail {
	case "plain":
		return errors.New("it broke")
	case "code":
		return Exit(42, nil)
	case "usage":
		return Usage("--a conflicts with --b")
	}
	return nil
}

type grammar struct {
	Do okCmd `cmd:""`
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"do"}, 0, ""},
		{[]string{"do", "--fail=plain"}, 2, "tool: it broke"},
		{[]string{"do", "--fail=code"}, 42, ""},
		{[]string{"do", "--fail=usage"}, 2, "conflicts"},
		{[]string{"nope"}, 2, "Run 'tool --help'"},
		{[]string{"--help"}, 0, ""},
	}
	for _, c := range cases {
		var stderr strings.Builder
		code := run("tool", "test", &grammar{}, c.args, io.Discard, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%v: code %d stderr %q; want %d containing %q", c.args, code, stderr.String(), c.code, c.msg)
		}
	}
}

func TestReportVerdictAndUnusable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{Verdict(errors.New("chain hash mismatch at line 3")), 1},
		{fmt.Errorf("checking: %w", Verdict(errors.New("root differs"))), 1},
		{Unusable(errors.New("line 1: not JSON")), 2},
		{Usage("--a and --b cannot be used together"), 2},
		{Exit(7, nil), 7},
		{errors.New("read x: permission denied"), 2},
		{fmt.Errorf("x: %w", &ownVerdict{}), 1},
		{Unusable(Verdict(errors.New("outer decides"))), 2},
		{Verdict(Unusable(errors.New("outer decides"))), 1},
		{errors.Join(errors.New("a"), Verdict(errors.New("b"))), 1},
	} {
		var buf bytes.Buffer
		if got := report("tool", tc.err, &buf); got != tc.want {
			t.Errorf("report(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if Verdict(nil) != nil || Unusable(nil) != nil {
		t.Error("Verdict(nil) and Unusable(nil) must be nil")
	}
}

// ownVerdict is a package's own verdict type, as chain.RecordError is.
type ownVerdict struct{}

func (*ownVerdict) Error() string { return "record 3 does not verify" }
func (*ownVerdict) Verdict() bool { return true }

type printCmd struct{}

func (printCmd) Run(ui *UI) error {
	ui.Warn("careful")
	return ui.Printf("result\n")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// A result that could not be written fails the command, even when the
// command dropped the write error.
func TestFailedResultWrite(t *testing.T) {
	var stderr strings.Builder
	g := &struct {
		Print printCmd `cmd:""`
	}{}
	code := run("tool", "test", g, []string{"print"}, failingWriter{}, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "tool: warning: careful\n") || !strings.Contains(stderr.String(), "tool: writing the output: no space left on device") {
		t.Errorf("code %d, stderr %q", code, stderr.String())
	}
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	env := func(v string) func(string) string { return func(string) string { return v } }
	ui, _ := newUI("tool", io.Discard, io.Discard, env(""))
	if ui.Progress(progress.Options{}) != nil {
		t.Error("progress drawn on a writer that is not a terminal")
	}
	ui.StderrTTY = true
	p := ui.Progress(progress.Options{})
	if p == nil {
		t.Error("no progress on a terminal")
	}
	p.Done()
	ui, _ = newUI("tool", io.Discard, io.Discard, env("1"))
	ui.StderrTTY = true
	if ui.Progress(progress.Options{}) != nil || !ui.Silent {
		t.Errorf("%s=1: progress drawn", silentEnv)
	}
}

func TestProgressDelayEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == progressDelayEnv {
				return v
			}
			return ""
		}
	}
	for v, want := range map[string]time.Duration{"": 0, "2s": 2 * time.Second, "0": time.Nanosecond} {
		ui, _ := newUI("t", io.Discard, io.Discard, env(v))
		if ui.ProgressDelay != want || ui.progressDelayErr != nil {
			t.Errorf("%s=%q: delay %v, err %v; want %v", progressDelayEnv, v, ui.ProgressDelay, ui.progressDelayErr, want)
		}
	}
	for _, v := range []string{"soon", "-1s"} {
		if ui, _ := newUI("t", io.Discard, io.Discard, env(v)); ui.progressDelayErr == nil {
			t.Errorf("%s=%q accepted", progressDelayEnv, v)
		}
	}
}

func TestVersionCompleteAndMan(t *testing.T) {
	var out, errs strings.Builder
	if code := run("tool", "A test tool.", &grammar{}, []string{"--version"}, &out, &errs); code != 0 || !strings.HasPrefix(out.String(), "tool ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("--version: code %d, stdout %q", code, out.String())
	}
	out.Reset()
	run("tool", "A test tool.", &grammar{}, []string{"__complete", ""}, &out, &errs)
	if out.String() != "do\n" {
		t.Errorf("__complete of the first word: %q", out.String())
	}
	out.Reset()
	run("tool", "A test tool.", &grammar{}, []string{"__complete", "do", "--f"}, &out, &errs)
	if out.String() != "--fail\n" {
		t.Errorf("__complete of a flag: %q", out.String())
	}
	out.Reset()
	if code := run("tool", "A test tool.", &grammar{}, []string{"__man"}, &out, &errs); code != 0 ||
		!strings.HasPrefix(out.String(), ".TH TOOL 1 ") || !strings.Contains(out.String(), ".SH EXIT STATUS") || !strings.Contains(out.String(), `\-\-fail`) {
		t.Errorf("__man: code %d, page %q", code, out.String())
	}
}

// TestProgramEnvShared: nono-run-inplace, which does not link this
// package, reads the same variable.
func TestProgramEnvShared(t *testing.T) {
	if inplace.ProgramEnv != ProgramEnv {
		t.Errorf("inplace.ProgramEnv = %q, ProgramEnv = %q", inplace.ProgramEnv, ProgramEnv)
	}
}
