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
)

// inputFlags choose and read the stream every record command takes.
type inputFlags struct {
	File             string `arg:"" optional:"" help:"Read this file instead of stdin ('-' is stdin)."`
	Leaves           bool   `help:"Input is one hex leaf hash a line, not alpha records (chain_head is then null)."`
	Lenient          bool   `help:"Accept nono-py records whose event_json escapes non-ASCII."`
	AllowPartialTail bool   `name:"allow-partial-tail" help:"Ignore a truncated final record (a crash mid-write) instead of failing."`
}

func (in *inputFlags) source() logproof.Source {
	return logproof.Source{Leaves: in.Leaves, Chain: chain.Options{Lenient: in.Lenient, AllowPartialTail: in.AllowPartialTail}}
}

// open returns the input and its name for messages.
func (in *inputFlags) open() (io.ReadCloser, string, error) {
	if in.File == "" || in.File == "-" {
		return io.NopCloser(os.Stdin), "<stdin>", nil
	}
	f, err := os.OpenFile(in.File, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, in.File, cli.Exit(2, err)
	}
	return f, in.File, nil
}

// run opens the input, calls do and maps its error to an exit status:
// bad content 1, a request the input cannot satisfy 2, I/O 2.
func (in *inputFlags) run(do func(r io.Reader, src logproof.Source) ([]byte, error)) error {
	r, name, err := in.open()
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := do(r, in.source())
	if err != nil {
		return exitError(name, err)
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	if err != nil {
		return cli.Exit(2, err)
	}
	return nil
}

func exitError(name string, err error) error {
	var re *chain.RecordError
	var le *logproof.LineError
	var rng *logproof.RangeError
	switch {
	case errors.As(err, &re), errors.As(err, &le):
		return cli.Exit(1, fmt.Errorf("%s: %w", name, err))
	case errors.As(err, &rng):
		return cli.Exit(2, err)
	}
	return cli.Exit(2, fmt.Errorf("%s: %w", name, err))
}

type summaryCmd struct {
	inputFlags
}

func (c *summaryCmd) Run() error {
	return c.run(func(r io.Reader, src logproof.Source) ([]byte, error) {
		s, err := logproof.Summarize(r, src)
		if err != nil {
			return nil, err
		}
		warnResult(s.Result)
		return s.Encode(), nil
	})
}

// warnResult tells about records accepted only by a relaxed option.
func warnResult(res *chain.Result) {
	if res == nil {
		return
	}
	if res.TruncatedTail {
		fmt.Fprintf(os.Stderr, "nono-merkle: warning: ignored the truncated final record on line %d\n", res.TruncatedLine)
	}
	if res.LenientCount > 0 {
		fmt.Fprintf(os.Stderr, "nono-merkle: warning: %d records accepted only in lenient mode (first on line %d)\n", res.LenientCount, res.LenientLines[0])
	}
}
