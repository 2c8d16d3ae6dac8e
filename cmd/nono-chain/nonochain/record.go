package nonochain

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/ndjson"
)

type recordCmd struct {
	Resume  string `placeholder:"FILE" help:"Continue the log in FILE: number and chain the new records after its last one. FILE must verify in full. Only the new records are written, so append them yourself: nono-chain --resume log < events >> log."`
	Log     string `placeholder:"FILE" help:"Also append every record to FILE (created 0600, fsynced at the end), before passing it on to stdout; FILE keeps every record even if stdout's reader goes away. For a summariser downstream: nono-chain --log log | nono-merkle session DIR --stdin."`
	MaxLine int    `name:"max-line" default:"16777216" placeholder:"BYTES" help:"Longest input event accepted, in bytes."`
}

func (c *recordCmd) Run(ui *cli.UI) error {
	if c.MaxLine <= 0 {
		return cli.Usage("--max-line must be positive")
	}
	cli.RecorderStage()
	var out io.Writer = ui.Stdout
	var tee *chain.Tee
	if c.Log != "" {
		// A gone reader downstream must not stop the log: EPIPE, not SIGPIPE.
		signal.Ignore(syscall.SIGPIPE)
		var err error
		if tee, err = chain.OpenTee(c.Log, ui.Stdout); err != nil {
			return err
		}
		out = tee
	}
	rec := chain.NewRecorder(out)
	if c.Resume != "" {
		f, err := os.Open(c.Resume)
		if err != nil {
			return err
		}
		rec, err = chain.Resume(out, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: refusing to resume: %w", c.Resume, err)
		}
	}
	err := rec.AppendFrom(os.Stdin, chain.StreamOptions{MaxLine: c.MaxLine})
	if tee != nil {
		if terr := tee.Close(); terr != nil && err == nil {
			err = terr
		}
	} else if serr := syncIfFile(os.Stdout); serr != nil && err == nil {
		err = serr
	}
	if le := (*ndjson.Error)(nil); errors.As(err, &le) {
		return fmt.Errorf("stdin: %w", err) // the input line is named
	}
	return err
}

// syncIfFile makes the records durable when they went to a regular file.
func syncIfFile(f *os.File) error {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync of the output: %w", err)
	}
	return nil
}
