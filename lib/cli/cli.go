// Package cli holds the conventions every nono tool shares. Exit status:
// 0 when what was checked is valid, 1 for a verdict (the input is invalid
// or was tampered with), 2 for unusable input and usage errors, each
// failure with one "tool: message" line on stderr; a command may choose
// its own exit status (nono-run returns the child's).
//
// exitStatus is the one place that maps errors to statuses. A verdict is an
// error that is, or wraps, a *verdictError (Verdict, Verdictf) or an
// error type of its own with a method `Verdict() bool` reporting true
// (chain.RecordError, ledger.DamagedError, ...), so packages need not
// import this one to say so. Every other error is unusable input (2),
// however it is wrapped: a command never has to sort errors itself.
package cli

import (
	"fmt"
	"io"
	"os"
	"reflect"

	"github.com/alecthomas/kong"

	// Every tool starts faster on a heap of huge pages and with its main
	// goroutine's stack grown once, early (see the packages).
	_ "github.com/nono-audit/nono/lib/hugeheap"
	_ "github.com/nono-audit/nono/lib/mainstack"
)

// exitError ends the program with Code. A nil Err prints nothing: the
// command has already said what it needed to.
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *exitError) Unwrap() error { return e.Err }

// Exit returns an error that makes Main exit with code after printing err
// (if not nil).
func Exit(code int, err error) error { return &exitError{Code: code, Err: err} }

// verdictError is what a checking tool found about its input: it is
// invalid, or it was tampered with. Main exits 1 for it. Anything else
// that goes wrong (unreadable or malformed input, a bad flag) is not a
// verdict about the input's integrity.
type verdictError struct{ Err error }

func (e *verdictError) Error() string { return e.Err.Error() }
func (e *verdictError) Unwrap() error { return e.Err }

// Verdict reports true: a *verdictError is a verdict.
func (e *verdictError) Verdict() bool { return true }

// Verdict marks err as a verdict (exit 1); nil stays nil.
func Verdict(err error) error {
	if err == nil {
		return nil
	}
	return &verdictError{Err: err}
}

// Verdictf is Verdict(fmt.Errorf(format, args...)).
func Verdictf(format string, args ...any) error {
	return &verdictError{Err: fmt.Errorf(format, args...)}
}

// verdicter is implemented by the error types of packages that find
// inputs invalid (a chain record that does not verify, a damaged ledger):
// they declare themselves verdicts with a method `Verdict() bool`, so
// that they need not import this package.
type verdicter interface{ Verdict() bool }

// isVerdict reports whether err is, or wraps, a verdict: a *verdictError
// or an error whose Verdict method reports true, unless an *exitError or
// an error whose Verdict reports false wraps it.
func isVerdict(err error) bool {
	v, ok := decisive(err).(verdicter)
	return ok && v.Verdict()
}

// Unusable marks err as unusable input (exit 2): it could not be read or
// parsed, so nothing can be said about its integrity.
func Unusable(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{Code: 2, Err: err}
}

// Usage is a usage error found after parsing (a bad combination of flags,
// say): exit status 2.
func Usage(format string, args ...any) error {
	return &exitError{Code: 2, Err: fmt.Errorf(format, args...)}
}

// ProgramEnv names the command a user typed when the nono wrapper runs a
// tool for one of its commands ("nono audit verify", "nono trust"): the
// tool then speaks of itself by that name and offers only that command.
const ProgramEnv = "NONO_PROGRAM"

// Main parses os.Args into grammar (a kong CLI struct), runs the selected
// command and exits. Run methods may take a *UI; bindings in opts are
// available to them too.
func Main(name, description string, grammar any, opts ...kong.Option) {
	os.Exit(run(name, description, grammar, os.Args[1:], os.Stdout, os.Stderr, opts...))
}

func run(name, description string, grammar any, args []string, stdout, stderr io.Writer, opts ...kong.Option) int {
	exitCode := -1
	ui, out := newUI(name, stdout, stderr, os.Getenv)
	hidden := len(args) > 0 && (args[0] == completeCommand || args[0] == manCommand)
	if !hidden && len(opts) == 0 {
		if _, run, ok := quickParse(grammar, args); ok {
			return finish(name, run(ui), out, stderr)
		}
		// grammar may be half-parsed: kong resets every value it has.
	}
	opts = append(kongOptions(name, description, stdout, stderr, ui, func(code int) { exitCode = code; panic(exitSignal{}) }), opts...)
	var prune kong.Option
	pruned := opts
	if !hidden {
		if prune = pruneOption(grammar, args); prune != nil {
			pruned = append(opts[:len(opts):len(opts)], prune)
		}
	}
	parser, err := kong.New(grammar, pruned...)
	if err != nil {
		fmt.Fprintf(stderr, "%s: internal error: %v\n", name, err)
		return 2
	}
	if hidden {
		switch args[0] { // for shell completion and `make man`
		case completeCommand:
			return complete(parser.Model, args[1:], stdout)
		case manCommand:
			return writeMan(parser.Model, name, stdout)
		}
	}
	var ctx *kong.Context
	if code, exited := catchExit(func() { ctx, err = parser.Parse(args) }); exited {
		return code(exitCode) // --help and friends
	}
	if err != nil && prune != nil {
		// Parse again with the whole model: its error is the one to show.
		if parser, err = kong.New(grammar, opts...); err != nil {
			fmt.Fprintf(stderr, "%s: internal error: %v\n", name, err)
			return 2
		}
		if code, exited := catchExit(func() { ctx, err = parser.Parse(args) }); exited {
			return code(exitCode)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
		return 2
	}
	if code, exited := catchExit(func() { err = ctx.Run() }); exited {
		return code(exitCode)
	}
	return finish(name, err, out, stderr)
}

// kongOptions are the options of every tool's parser: exit is kong's
// exit callback (for --help and --version).
func kongOptions(name, description string, stdout, stderr io.Writer, ui *UI, exit func(int)) []kong.Option {
	return []kong.Option{
		kong.Name(name),
		kong.Description(description),
		kong.Writers(stdout, stderr),
		kong.Bind(ui),
		kong.Exit(exit),
		kong.Embed(&standardFlags{}),
		kong.KindMapper(reflect.String, exactString),
	}
}

// exactString is kong's string mapper without its JSON round trip, which
// turns each byte that is not UTF-8 into U+FFFD: a path given on the
// command line must reach the tool as the same bytes.
var exactString = kong.MapperFunc(func(ctx *kong.DecodeContext, target reflect.Value) error {
	t, err := ctx.Scan.PopValue("string")
	if err != nil {
		return err
	}
	s, ok := t.Value.(string)
	if !ok {
		return fmt.Errorf("expected a string but got %v (%T)", t.Value, t.Value)
	}
	target.SetString(s)
	return nil
})

// finish returns the exit status of a command that returned err, after
// reporting it; a result that could not be written fails the command.
func finish(name string, err error, out *stickyWriter, stderr io.Writer) int {
	if err == nil && out.err != nil {
		err = out.err
	}
	if err == nil {
		return 0
	}
	return report(name, err, stderr)
}

// report prints err and returns its exit status (exitStatus); an
// *exitError without an error prints nothing.
func report(name string, err error, stderr io.Writer) int {
	code, silent := exitCode(err)
	if !silent {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
	}
	return code
}

// exitStatus is the one mapping from a command's error to its exit status:
// 0 for nil; the code of an *exitError (Exit, Unusable, Usage); 1 for a
// verdict (isVerdict); fallbackCode for anything else. When an error
// wraps several of these, the outermost decides.
func exitStatus(err error) int {
	code, _ := exitCode(err)
	return code
}

// fallbackCode is the exit status of an error that is neither a verdict
// nor an *exitError: unusable input (unreadable, malformed, missing).
const fallbackCode = 2

func exitCode(err error) (code int, silent bool) {
	if err == nil {
		return 0, true
	}
	switch d := decisive(err).(type) {
	case *exitError:
		return d.Code, d.Err == nil
	case verdicter:
		if d.Verdict() {
			return 1, false
		}
	}
	return fallbackCode, false
}

// decisive returns the outermost error in err's tree that is an
// *exitError or has a Verdict method, or nil. (An error whose Verdict
// reports false decides too: what it wraps is not a verdict on the
// input, say a record error on input that is not a log at all.)
func decisive(err error) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *exitError, verdicter:
		return e
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return decisive(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if d := decisive(e); d != nil {
				return d
			}
		}
	}
	return nil
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
