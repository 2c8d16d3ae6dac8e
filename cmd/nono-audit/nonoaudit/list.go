package nonoaudit

import (
	"os"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/report"
	"github.com/nono-audit/nono/lib/session"
)

type listCmd struct {
	Today   bool   `help:"Only sessions started today (local time)."`
	Since   string `help:"Only sessions started on or after this day (local time)." placeholder:"YYYY-MM-DD"`
	Until   string `help:"Only sessions started on or before this day (local time)." placeholder:"YYYY-MM-DD"`
	Command string `help:"Only sessions whose program name contains NAME (case-insensitive)." placeholder:"NAME"`
	Path    string `help:"Only sessions whose tracked paths contain P or lie inside it." placeholder:"P"`
	Recent  int    `help:"Only the newest N matching sessions." placeholder:"N"`
	JSON    bool   `name:"json" help:"Print a JSON array for scripts and compliance tools."`
}

func (c *listCmd) Run(ui *cli.UI) error {
	now := time.Now()
	cwd, _ := os.Getwd()
	home := human.Home(os.Getenv)
	opts := session.ListOptions{Today: c.Today, Since: c.Since, Until: c.Until, Command: c.Command, Path: c.Path, Recent: c.Recent}
	filter, err := opts.Filter(now, cwd, home)
	if err != nil {
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
	entries = filter.Apply(entries)
	if c.JSON {
		return ui.Line(canon.Pretty(report.AuditListValue(entries, now)))
	}
	return report.WriteAuditList(ui.Stdout, entries, now, home, opts != session.ListOptions{})
}
