package offline

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
)

// Input reads a log and keeps its first line, so that input which is not
// an alpha log at all (text, events instead of records: unusable, exit
// status 2) can be told from a log whose records do not verify (a
// verdict, exit status 1).
type Input struct {
	r     io.Reader
	first []byte
	full  bool // first holds a whole line, or as much as is kept
}

// maxFirstLine bounds what Input keeps of the first line.
const maxFirstLine = 64 << 10

// NewInput wraps r.
func NewInput(r io.Reader) *Input { return &Input{r: r} }

func (in *Input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	if !in.full {
		chunk := p[:n]
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			chunk, in.full = chunk[:i], true
		}
		room := maxFirstLine - len(in.first)
		if len(chunk) >= room {
			chunk, in.full = chunk[:room], true
		}
		in.first = append(in.first, chunk...)
	}
	return n, err
}

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

// Classify returns err as a *NotLogError when it is a *chain.RecordError
// at the first line and that line is not a JSON object with a sequence
// member, and err itself otherwise.
func (in *Input) Classify(name string, err error) error {
	var re *chain.RecordError
	if !errors.As(err, &re) || len(bytes.TrimSpace(in.first)) == 0 || re.Line != 1 {
		return err
	}
	v, perr := canon.Parse(bytes.TrimSpace(in.first))
	if perr == nil && v.Kind == canon.Object {
		if _, ok := v.Get("sequence"); ok {
			return err
		}
	}
	return &NotLogError{Name: name, Err: err}
}
