package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nono-audit/nono/lib/progress"
)

// UI is a command's connection to its user: results on Stdout,
// diagnostics on Stderr, every diagnostic prefixed with the tool's name.
// Main passes one to each Run method that takes a *UI, and fails the
// command (exit 2) when a write to Stdout failed, so that a full disk or
// a closed pipe never passes for a complete result.
type UI struct {
	Name   string    // the tool, as messages name it
	Stdout io.Writer // results
	Stderr io.Writer // diagnostics
	// Silent drops warnings and progress (nono run --silent sets
	// NONO_SILENT=1 for every stage); errors are still reported.
	Silent bool
	// StderrTTY says Stderr is a terminal, where progress is drawn.
	StderrTTY bool
	// ProgressDelay is how long work runs before its progress line
	// appears (NONO_PROGRESS_DELAY); 0 means the default.
	ProgressDelay time.Duration
	// progressDelayErr is a NONO_PROGRESS_DELAY that did not parse,
	// reported when progress is first asked for.
	progressDelayErr error
}

// silentEnv is the environment variable that silences every tool's
// warnings and progress when set to 1.
const silentEnv = "NONO_SILENT"

// progressDelayEnv is the environment variable that sets how long work
// runs before a progress line appears, as a Go duration ("2s", "0" for
// at once); unset means half a second, so quick work shows nothing.
const progressDelayEnv = "NONO_PROGRESS_DELAY"

// newUI returns a UI whose Stdout remembers its first write error.
func newUI(name string, stdout, stderr io.Writer, getenv func(string) string) (*UI, *stickyWriter) {
	out := &stickyWriter{w: stdout}
	ui := &UI{Name: name, Stdout: out, Stderr: stderr, Silent: getenv(silentEnv) == "1"}
	if f, ok := stderr.(*os.File); ok {
		ui.StderrTTY = IsTerminal(f)
	}
	if v := getenv(progressDelayEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			ui.progressDelayErr = fmt.Errorf("%s=%q is not a duration such as 2s or 0; using the default", progressDelayEnv, v)
		} else {
			// progress.Options reads a zero Delay as the default.
			ui.ProgressDelay = max(d, time.Nanosecond)
		}
	}
	return ui, out
}

// Progress starts a progress line on Stderr for long work, or returns
// nil (which does nothing) when Stderr is not a terminal or the UI is
// silent.
func (u *UI) Progress(opts progress.Options) *progress.Progress {
	if u.Silent || !u.StderrTTY {
		return nil
	}
	if u.progressDelayErr != nil {
		u.Warn(u.progressDelayErr.Error())
		u.progressDelayErr = nil
	}
	if opts.Delay == 0 {
		opts.Delay = u.ProgressDelay
	}
	return progress.Start(u.Stderr, opts)
}

// Messages is where a package prints its own notes and warnings: Stderr,
// or nowhere when the UI is silent. Errors are returned, never printed
// there.
func (u *UI) Messages() io.Writer {
	if u.Silent {
		return io.Discard
	}
	return u.Stderr
}

// Warn prints each message as "name: warning: message", unless silent.
func (u *UI) Warn(msgs ...string) {
	if u.Silent {
		return
	}
	for _, m := range msgs {
		fmt.Fprintf(u.Stderr, "%s: warning: %s\n", u.Name, m)
	}
}

// Warnf prints one warning.
func (u *UI) Warnf(format string, args ...any) { u.Warn(fmt.Sprintf(format, args...)) }

// Printf writes a result to Stdout.
func (u *UI) Printf(format string, args ...any) error {
	_, err := fmt.Fprintf(u.Stdout, format, args...)
	return err
}

// Line writes b and a newline to Stdout.
func (u *UI) Line(b []byte) error {
	_, err := u.Stdout.Write(append(b[:len(b):len(b)], '\n'))
	return err
}

// stickyWriter keeps the first error of the writer it wraps and refuses
// every write after it.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = fmt.Errorf("writing the output: %w", err)
	}
	return n, s.err
}
