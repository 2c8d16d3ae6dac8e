package nonomerkle

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/integrity"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
	"github.com/nono-audit/nono/lib/streamhead"
)

type sessionCmd struct {
	Dir              string `arg:"" optional:"" type:"existingdir" help:"The session directory (not with --session-header, whose line names it)."`
	NoIntegrity      bool   `name:"no-integrity" help:"Still verify the log and count its records, but set audit_integrity to null."`
	Lenient          bool   `help:"Accept nono-py records whose event_json escapes non-ASCII."`
	AllowPartialTail bool   `name:"allow-partial-tail" help:"Ignore a truncated final record (a crash mid-write) instead of failing."`
	StrictSchema     bool   `name:"strict-schema" help:"Fail on an event that uses a type, field or value this version does not know, instead of summarising it with a warning."`
	Stdin            bool   `help:"Summarise the records streamed on stdin as they are written to DIR's log by nono-chain --log (the end of the nono run pipeline), then check the log holds exactly those bytes; the log is not read again."`
	// The last stage of nono run (lib/streamhead).
	SessionHeader bool `name:"session-header" help:"Implies --stdin. The first line names the session and says what to do when the stream ends: compute audit_integrity or not, then, once the session is recorded to the end, sign it and append it to the ledger (fsynced) as nono run does. An empty stream is no error. A pipe on stdin is read non-blocking: it must be this stage's alone, as nono-run makes it."`
}

func (c *sessionCmd) Run(ui *cli.UI) error {
	opts := integrity.Options{
		NoIntegrity: c.NoIntegrity,
		Chain:       chain.Options{Lenient: c.Lenient, AllowPartialTail: c.AllowPartialTail, StrictSchema: c.StrictSchema},
	}
	var head *streamhead.Header
	switch {
	case c.SessionHeader:
		if c.Dir != "" {
			return cli.Usage("--session-header names the session: no DIR with it")
		}
		cli.RecorderStage()
		h, rest, err := streamhead.Read(cli.RecorderInput())
		if errors.Is(err, streamhead.ErrNoHeader) {
			return nil
		}
		if err != nil {
			io.Copy(io.Discard, rest) // never block the stages upstream
			return cli.Unusable(fmt.Errorf("stdin: %w", err))
		}
		head, c.Dir, opts.Stream = h, h.SessionDir, rest
		opts.NoIntegrity = opts.NoIntegrity || !h.Integrity
		// Finishing the session includes its end, as the stream has it.
		opts.EndFromLog = h.Ledger
	case c.Dir == "":
		return cli.Usage("missing DIR: nono-merkle session DIR")
	case c.Stdin:
		cli.RecorderStage()
		opts.Stream = os.Stdin
	}
	sum, err := integrity.Summarize(c.Dir, opts)
	if err != nil {
		return err
	}
	ui.Warn(sum.Warnings...)
	if head != nil {
		return finish(ui, head)
	}
	return nil
}

// ledgerWait is the longest wait for another session's hold on the
// ledger lock, as nono-chain ledger append's default.
const ledgerWait = 30 * time.Second

// finish does what nono run does once the stream has ended: sign the
// session and append it to the ledger, only if it was recorded to the
// end. A damaged ledger is reported (with how to repair it and add the
// session) but fails nothing: the session itself is recorded.
func finish(ui *cli.UI, h *streamhead.Header) error {
	dir := h.SessionDir
	// Nothing unrecorded is signed; the ledger append checks the same
	// itself, so without a key session.json is read once, not twice (it
	// holds every network event: a proxied session's can be megabytes).
	if h.Ledger && h.SignKey != "" {
		s, err := session.Read(dir)
		if err != nil {
			return err
		}
		if err := session.Recorded(dir, s); err != nil {
			return &ledger.NotRecordedError{SessionID: s.SessionID, Err: err}
		}
	}
	// A session that could not be signed is still recorded and goes to
	// the ledger unsigned; the failure is reported (and fails nono run).
	var signErr error
	if h.SignKey != "" {
		key, err := dsse.LoadSigningKey(h.SignKey, os.Getenv)
		if err == nil {
			_, err = attest.SignSession(dir, key, false)
		}
		if err != nil {
			signErr = fmt.Errorf("sign the session: %w", err)
		}
	}
	if !h.Ledger {
		return signErr
	}
	_, s, err := ledger.AppendDir(dir, ledgerWait, true)
	if errors.Is(err, ledger.ErrDamaged) {
		// Reported even with --silent, but no failure: the session is recorded.
		fmt.Fprintf(os.Stderr, "nono: %v\n", ledger.DamagedHint(err, s.SessionID, dir))
		return signErr
	}
	if err != nil {
		return errors.Join(signErr, err)
	}
	ui.Warn(checkpoint.Auto(filepath.Dir(dir), ledgerWait, stores.ConfigPath(os.Getenv), os.Getenv)...)
	return signErr
}
