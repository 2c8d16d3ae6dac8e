package nonoaudit

import (
	"errors"
	"os"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/report"
	"github.com/nono-audit/nono/lib/session"
)

type cleanupCmd struct {
	OlderThan *int `name:"older-than" help:"Remove sessions that started more than DAYS days ago." placeholder:"DAYS"`
	Keep      *int `help:"Spare the newest N of the selected sessions (alone: remove all but the newest N)." placeholder:"N"`
	All       bool `help:"Remove every session that is not running."`
	DryRun    bool `name:"dry-run" help:"Print what would be removed, remove nothing."`
	JSON      bool `name:"json" help:"Print what was (or would be) removed as JSON."`
}

func (c *cleanupCmd) Run(ui *cli.UI) error {
	if os.Getenv("NONO_CAP_FILE") != "" {
		return errors.New("nono audit cleanup cannot be used inside a sandbox")
	}
	opts := session.CleanupOptions{All: c.All, OlderThan: c.OlderThan, Keep: c.Keep}
	if err := opts.Validate(); errors.Is(err, session.ErrNoSelection) {
		return cli.Usage("refusing to remove every session unasked: choose with --older-than DAYS, --keep N (all but the newest N) or --all; add --dry-run to preview")
	} else if err != nil {
		return err
	}
	st, err := store()
	if err != nil {
		return err
	}
	entries, err := st.List(session.AuditSide)
	if err != nil {
		return err
	}
	res := &report.Cleanup{Side: session.AuditSide, Plan: session.PlanCleanup(entries, opts, time.Now()), DryRun: c.DryRun}
	if !c.DryRun {
		res.Removed, res.Failed = session.Cleanup(res.Plan)
	}
	if c.JSON {
		if err := ui.Line(canon.Pretty(report.CleanupValue(res))); err != nil {
			return err
		}
		return res.Err()
	}
	return report.WriteCleanup(ui.Stdout, res)
}
