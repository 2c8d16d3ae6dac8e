package offline

import (
	"errors"
	"fmt"
	"io"

	"github.com/nono-audit/nono/lib/chain"
)

// Input reads a log for Verify and classifies what went wrong with it.
type Input struct{ r io.Reader }

// NewInput wraps r.
func NewInput(r io.Reader) *Input { return &Input{r: r} }

func (in *Input) Read(p []byte) (int, error) { return in.r.Read(p) }

// NotLogError is input that is not an alpha log: its first line is not a
// record. It is not a verdict (exit status 2).
type NotLogError struct {
	Name string
	Kind string // what it is not; "" means "an alpha audit log"
	Err  error  // what the verifier found at the first line
}

func (e *NotLogError) Error() string {
	kind := e.Kind
	if kind == "" {
		kind = "an alpha audit log"
	}
	return fmt.Sprintf("%s is not %s (%v)", e.Name, kind, e.Err)
}

func (e *NotLogError) Unwrap() error { return e.Err }

// Verdict reports false: nothing can be said about a log that is not one.
func (e *NotLogError) Verdict() bool { return false }

// Classify returns err as a *NotLogError when the verifier found the
// input is not a log at all (a *chain.InputError: its first line is not
// a JSON object with a sequence member), and err itself otherwise.
func (in *Input) Classify(name string, err error) error {
	var ie *chain.InputError
	if errors.As(err, &ie) {
		return &NotLogError{Name: name, Err: err}
	}
	return err
}
