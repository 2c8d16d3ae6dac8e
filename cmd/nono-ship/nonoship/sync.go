package nonoship

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/platform"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/ship"
)

type syncCmd struct {
	Session  string        `placeholder:"ID" help:"Queue only this session (the outbox is still delivered)."`
	Timeout  time.Duration `placeholder:"DURATION" help:"Stop after this long; what is not delivered stays in the outbox (default: no limit; 5s with --after-run)."`
	Retries  int           `default:"3" placeholder:"N" help:"Tries after a failure that may pass (network, receiver down), within this sync."`
	Backoff  time.Duration `default:"500ms" placeholder:"DURATION" help:"First pause before a retry; doubles each time."`
	Parallel int           `default:"8" placeholder:"N" help:"Sessions queued and delivered at once."`
	JSON     bool          `name:"json" help:"Print the outcome of every session as JSON."`
	AfterRun string        `name:"after-run" placeholder:"DIR" help:"Used by 'nono run': ship the session in DIR if this machine is enrolled, within --timeout, never failing (warnings on stderr)."`
	Silent   bool          `help:"With --after-run: no messages."`
}

func (c *syncCmd) Run(ui *cli.UI) error {
	p, err := paths()
	if err != nil {
		return err
	}
	root, err := auditRoot()
	if err != nil {
		return err
	}
	opts := ship.SyncOptions{
		AuditRoot: root, Session: c.Session, Retries: c.Retries, Backoff: c.Backoff, Parallel: c.Parallel,
	}
	if c.AfterRun != "" {
		return c.afterRun(ui, p, opts)
	}
	if c.Session != "" {
		if err := session.ValidateID(c.Session); err != nil {
			return cli.Usage("--session: %v", err)
		}
	}
	if c.Timeout > 0 {
		opts.Deadline = time.Now().Add(c.Timeout)
	}
	client, err := ship.Open(p)
	if err != nil {
		return notEnrolled(err)
	}
	if !c.JSON {
		opts.Progress = func(o ship.Outcome) { printOutcome(ui, o) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := client.Sync(ctx, opts)
	if err != nil {
		return cli.Unusable(err)
	}
	if c.JSON {
		rows := make([]canon.Value, len(rep.Outcomes))
		for i, o := range rep.Outcomes {
			rows[i] = outcomeValue(o)
		}
		if err := writeJSON(ui, canon.ArrayValue(rows...)); err != nil {
			return err
		}
	} else {
		ui.Printf("Audit sync: %d delivered, %d failed, %d left for later, %d not shippable\n",
			rep.Count(ship.Delivered), rep.Count(ship.Failed), rep.Count(ship.Deferred), rep.Count(ship.NotShippable))
	}
	w, werr := witnessAfterSync(ctx, ui, client, root)
	if w != nil {
		fmt.Fprintf(ui.Messages(), "%s: %s witnessed by %s; kept in %s\n", ui.Name, w.Checkpoint.Describe(), w.Witness, w.Path)
	}
	switch {
	case werr != nil:
		return werr
	case rep.Invalid():
		return cli.Verdict(errors.New("a session does not verify and was not shipped (see above); check it with `nono audit verify ID`"))
	case rep.Count(ship.Failed) > 0:
		return cli.Exit(1, errors.New("some sessions were not delivered; they stay in the outbox for the next `nono audit sync`"))
	}
	return nil
}

// afterRun ships the session nono run has just recorded: only when
// enrolled, within the deadline, and without ever failing the run.
func (c *syncCmd) afterRun(ui *cli.UI, p platform.Paths, opts ship.SyncOptions) error {
	if !platform.Enrolled(os.Getenv) {
		return nil
	}
	quiet := c.Silent || ui.Silent
	warn := func(format string, args ...any) {
		if !quiet {
			fmt.Fprintf(ui.Stderr, "nono: warning: "+format+"\n", args...)
		}
	}
	client, err := ship.Open(p)
	if err != nil {
		warn("session not shipped: %v", err)
		return nil
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	opts.Session = filepath.Base(filepath.Clean(c.AfterRun))
	opts.Deadline = time.Now().Add(timeout)
	opts.DueOnly = true
	opts.Retries = 1
	rep, err := client.Sync(context.Background(), opts)
	if err != nil {
		warn("session %s not shipped: %v", opts.Session, err)
		return nil
	}
	defer func() {
		ctx, cancel := context.WithDeadline(context.Background(), opts.Deadline.Add(2*time.Second))
		defer cancel()
		if _, err := witnessAfterSync(ctx, ui, client, opts.AuditRoot); err != nil {
			warn("the ledger's checkpoint was not witnessed: %v", err)
		}
	}()
	for _, o := range rep.Outcomes {
		if o.SessionID != opts.Session {
			continue
		}
		switch o.Kind {
		case ship.Delivered:
			if !quiet {
				fmt.Fprintf(ui.Stderr, "nono session %s delivered to %s\n", o.SessionID, client.State.URL)
			}
		case ship.NotShippable:
			warn("%v", o.Err)
		default:
			warn("session %s is queued for delivery (%v); `nono audit sync` retries", o.SessionID, o.Err)
		}
	}
	return nil
}

func printOutcome(ui *cli.UI, o ship.Outcome) {
	switch o.Kind {
	case ship.Delivered:
		ui.Printf("delivered %s: %s (ingest %s)\n", o.SessionID, o.Receipt.ObjectPath, o.IngestID)
	case ship.NotShippable:
		fmt.Fprintf(ui.Stderr, "%s: not shipped: %v\n", ui.Name, o.Err)
	default:
		fmt.Fprintf(ui.Stderr, "%s: %s %s: %v\n", ui.Name, o.Kind, o.SessionID, o.Err)
	}
}

func outcomeValue(o ship.Outcome) canon.Value {
	null := canon.NullValue()
	ingest, receipt, msg := null, null, null
	if o.IngestID != "" {
		ingest = canon.StringValue(o.IngestID)
	}
	if o.Receipt != nil {
		receipt = o.Receipt.Value()
	}
	if o.Err != nil {
		msg = canon.StringValue(o.Err.Error())
	}
	return canon.ObjectValue(
		canon.Member{Key: "session_id", Value: canon.StringValue(o.SessionID)},
		canon.Member{Key: "outcome", Value: canon.StringValue(o.Kind)},
		canon.Member{Key: "ingest_id", Value: ingest},
		canon.Member{Key: "attempts", Value: canon.UintValue(uint64(o.Attempts))},
		canon.Member{Key: "receipt", Value: receipt},
		canon.Member{Key: "error", Value: msg},
	)
}

type statusCmd struct {
	JSON bool `name:"json" help:"Print every session's state as JSON."`
}

func (c *statusCmd) Run(ui *cli.UI) error {
	p, err := paths()
	if err != nil {
		return err
	}
	root, err := auditRoot()
	if err != nil {
		return err
	}
	rows, err := ship.Status(p, root)
	if err != nil {
		return cli.Unusable(err)
	}
	if c.JSON {
		vals := make([]canon.Value, len(rows))
		for i := range rows {
			vals[i] = rows[i].Value()
		}
		return writeJSON(ui, canon.ArrayValue(vals...))
	}
	if !platform.Enrolled(os.Getenv) {
		ui.Printf("Not enrolled with an audit receiver: nothing is shipped (nono platform enroll)." + "\n")
	}
	return cli.Unusable(ship.WriteStatusTable(os.Stdout, rows))
}
