// Package cli holds the conventions every nono tool shares: exit 0 when
// what was checked is valid, 1 for a verdict (invalid or tampered input,
// see Verdict), 2 for unusable input and usage errors, each failure with
// one "tool: message" line on stderr; a command may choose its own exit
// status (nono-run returns the child's).
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"
)

// ExitError ends the program with Code. A nil Err prints nothing: the
// command has already said what it needed to.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an error that makes Main exit with code after printing err
// (if not nil).
func Exit(code int, err error) error { return &ExitError{Code: code, Err: err} }

// VerdictError is what a checking tool found about its input: it is
// invalid, or it was tampered with. Main exits 1 for it. Anything else
// that goes wrong (unreadable or malformed input, a bad flag) is not a
// verdict about the input's integrity.
type VerdictError struct{ Err error }

func (e *VerdictError) Error() string { return e.Err.Error() }
func (e *VerdictError) Unwrap() error { return e.Err }

// Verdict marks err as a verdict (exit 1); nil stays nil.
func Verdict(err error) error {
	if err == nil {
		return nil
	}
	return &VerdictError{Err: err}
}

// IsVerdict reports whether err is, or wraps, a verdict.
func IsVerdict(err error) bool {
	var v *VerdictError
	return errors.As(err, &v)
}

// Unusable marks err as unusable input (exit 2): it could not be read or
// parsed, so nothing can be said about its integrity.
func Unusable(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: 2, Err: err}
}

// Usage is a usage error found after parsing (a bad combination of flags,
// say): exit status 2.
func Usage(format string, args ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf(format, args...)}
}

// Main parses os.Args into grammar (a kong CLI struct), runs the selected
// command and exits. Bindings in opts are available to Run methods.
func Main(name, description string, grammar any, opts ...kong.Option) {
	os.Exit(run(name, description, grammar, os.Args[1:], os.Stderr, opts...))
}

func run(name, description string, grammar any, args []string, stderr io.Writer, opts ...kong.Option) int {
	exitCode := -1
	opts = append([]kong.Option{
		kong.Name(name),
		kong.Description(description),
		kong.Writers(os.Stdout, stderr),
		kong.Exit(func(code int) { exitCode = code; panic(exitSignal{}) }),
	}, opts...)
	parser, err := kong.New(grammar, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "%s: internal error: %v\n", name, err)
		return 1
	}
	var ctx *kong.Context
	if code, exited := catchExit(func() { ctx, err = parser.Parse(args) }); exited {
		return code(exitCode) // --help and friends
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
		return 2
	}
	if code, exited := catchExit(func() { err = ctx.Run() }); exited {
		return code(exitCode)
	}
	if err == nil {
		return 0
	}
	return report(name, err, stderr)
}

// report prints err and maps it to an exit status: an ExitError's own
// code, 1 for a verdict, and otherwise 1 (every tool is moving to 2 for
// errors that are not verdicts; see Verdict).
func report(name string, err error, stderr io.Writer) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	if IsVerdict(err) {
		return 1
	}
	return 1
}

type exitSignal struct{}

// catchExit runs f, turning kong's exit callback into a return value.
func catchExit(f func()) (code func(int) int, exited bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitSignal); !ok {
				panic(r)
			}
			code, exited = func(c int) int { return c }, true
		}
	}()
	f()
	return nil, false
}
