package nonomerkle

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/merkle/logproof"
	"github.com/nono-audit/nono/lib/offline"
)

// inputFlags choose and read the stream every record command takes.
type inputFlags struct {
	File             string `arg:"" optional:"" help:"Read this file instead of stdin ('-' is stdin)."`
	Leaves           bool   `help:"Input is one hex leaf hash a line, not alpha records (chain_head is then null)."`
	Lenient          bool   `help:"Accept nono-py records whose event_json escapes non-ASCII."`
	AllowPartialTail bool   `name:"allow-partial-tail" help:"Ignore a truncated final record (a crash mid-write) instead of failing."`
	StrictSchema     bool   `name:"strict-schema" help:"Fail on an event that uses a type, field or value this version does not know, instead of summarising it with a warning."`
}

// run reads the input, calls do and prints what it returns: a bad record
// or leaf line is a verdict (exit 1, the line named), a request the tree
// cannot satisfy or unreadable input exits 2.
func (in *inputFlags) run(ui *cli.UI, do func(r io.Reader, src logproof.Source) ([]byte, *chain.Result, error)) error {
	r, name := io.Reader(os.Stdin), "<stdin>"
	if in.File != "" && in.File != "-" {
		f, err := os.OpenFile(in.File, os.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, in.File
	}
	src := logproof.Source{Leaves: in.Leaves, Chain: chain.Options{Lenient: in.Lenient, AllowPartialTail: in.AllowPartialTail, StrictSchema: in.StrictSchema}}
	input := offline.NewInput(r)
	out, res, err := do(input, src)
	if le := (*logproof.LineError)(nil); errors.As(err, &le) && le.Line == 1 {
		return &offline.NotLogError{Name: name, Kind: "a list of leaf hashes", Err: err}
	}
	if nl := (*offline.NotLogError)(nil); errors.As(input.Classify(name, err), &nl) {
		return nl
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, w := range res.Warnings() {
		ui.Warnf("%s: %s", name, w)
	}
	return ui.Line(out)
}

type summaryCmd struct {
	inputFlags
}

func (c *summaryCmd) Run(ui *cli.UI) error {
	return c.run(ui, func(r io.Reader, src logproof.Source) ([]byte, *chain.Result, error) {
		s, err := logproof.Summarize(r, src)
		if err != nil {
			return nil, nil, err
		}
		return s.Encode(), s.Result, nil
	})
}
