package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/ndjson"
)

type recordCmd struct {
	Resume  string `placeholder:"FILE" help:"Continue the log in FILE: number and chain the new records after its last one. FILE must verify in full. Only the new records are written, so append them yourself: nono-chain --resume log < events >> log."`
	MaxLine int    `name:"max-line" default:"16777216" placeholder:"BYTES" help:"Longest input event accepted, in bytes."`
}

func (c *recordCmd) Run() error {
	if c.MaxLine <= 0 {
		return cli.Usage("--max-line must be positive")
	}
	// As a stage of `nono run`, the recorder shares the terminal's process
	// group: Ctrl-C is for the child, and the recorder drains its input to
	// EOF so that nothing the supervisor reported is lost.
	if !isTerminal(os.Stdin) {
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	}
	rec := chain.NewRecorder(os.Stdout)
	if c.Resume != "" {
		f, err := os.Open(c.Resume)
		if err != nil {
			return cli.Exit(2, err)
		}
		rec, err = chain.Resume(os.Stdout, f)
		f.Close()
		if err != nil {
			var re *chain.RecordError
			if errors.As(err, &re) {
				return fmt.Errorf("%s: refusing to resume: %w", c.Resume, err)
			}
			return cli.Exit(2, fmt.Errorf("%s: %w", c.Resume, err))
		}
	}
	err := rec.AppendFrom(os.Stdin, chain.StreamOptions{MaxLine: c.MaxLine})
	if serr := syncIfFile(os.Stdout); serr != nil && err == nil {
		err = serr
	}
	var le *ndjson.Error
	if errors.As(err, &le) {
		return fmt.Errorf("stdin: %w", err)
	}
	return err
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
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
