package nonochain

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/ndjson"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/streamhead"
)

type recordCmd struct {
	Resume  string `placeholder:"FILE" help:"Continue the log in FILE: number and chain the new records after its last one. FILE must verify in full. Only the new records are written, so append them yourself: nono-chain --resume log < events >> log."`
	Log     string `placeholder:"FILE" help:"Also append every record to FILE (created 0600, fsynced at the end), before passing it on to stdout; FILE keeps every record even if stdout's reader goes away. For a summariser downstream: nono-chain --log log | nono-merkle session DIR --stdin."`
	MaxLine int    `name:"max-line" default:"16777216" placeholder:"BYTES" help:"Longest input event accepted, in bytes."`
	// nono run's stages start before the session exists (lib/streamhead).
	SessionHeader bool `name:"session-header" help:"The first line names the session (nono-run record writes it): log to its audit-events.ndjson, as --log would, and pass the line on first. An empty stream is no error. A pipe on stdin is read non-blocking: it must be this stage's alone, as nono-run makes it."`
}

func (c *recordCmd) Run(ui *cli.UI) error {
	if c.MaxLine <= 0 {
		return cli.Usage("--max-line must be positive")
	}
	cli.RecorderStage()
	var in io.Reader = os.Stdin
	if c.SessionHeader {
		if c.Log != "" || c.Resume != "" {
			return cli.Usage("--session-header names the log: no --log or --resume with it")
		}
		h, rest, err := streamhead.Read(cli.RecorderInput())
		if errors.Is(err, streamhead.ErrNoHeader) {
			return nil
		}
		if err != nil {
			io.Copy(io.Discard, rest) // never block the supervisor
			return cli.Unusable(fmt.Errorf("stdin: %w", err))
		}
		// Downstream first: the header is not a record of the log.
		if _, err := ui.Stdout.Write(h.Encode()); err != nil {
			return err
		}
		c.Log, in = filepath.Join(h.SessionDir, session.EventsFileName), rest
	}
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
	err := rec.AppendFrom(in, chain.StreamOptions{MaxLine: c.MaxLine})
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
