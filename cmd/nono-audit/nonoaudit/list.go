package nonoaudit

import (
	"os"
	"time"

	"github.com/nono-audit/nono/lib/audit"
	"github.com/nono-audit/nono/lib/canon"
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

func (c *listCmd) Run() error {
	now := time.Now()
	cwd, _ := os.Getwd()
	home := audit.Home(os.Getenv)
	opts := audit.ListOptions{Today: c.Today, Since: c.Since, Until: c.Until, Command: c.Command, Path: c.Path, Recent: c.Recent}
	filter, err := opts.Filter(now, cwd, home)
	if err != nil {
		return err
	}
	auditRoot, rollbackRoot, err := roots()
	if err != nil {
		return err
	}
	entries, err := session.List(auditRoot, rollbackRoot)
	if err != nil {
		return err
	}
	session.SortNewestFirst(entries)
	entries = filter.Apply(entries)
	if c.JSON {
		_, err := os.Stdout.Write(append(canon.Pretty(audit.ListValue(entries)), '\n'))
		return err
	}
	return audit.WriteList(os.Stderr, entries, now, home, opts != audit.ListOptions{})
}
