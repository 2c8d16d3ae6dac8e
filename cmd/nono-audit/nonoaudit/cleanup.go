package nonoaudit

import (
	"errors"
	"os"
	"time"

	"github.com/nono-audit/nono/lib/audit"
	"github.com/nono-audit/nono/lib/session"
)

type cleanupCmd struct {
	OlderThan *int `name:"older-than" help:"Remove sessions that started more than DAYS days ago." placeholder:"DAYS"`
	Keep      int  `help:"Spare the newest N of the selected sessions (alone: remove all but the newest N)." placeholder:"N"`
	All       bool `help:"Remove every session that is not running."`
	DryRun    bool `name:"dry-run" help:"Print what would be removed, remove nothing."`
}

func (c *cleanupCmd) Run() error {
	if os.Getenv("NONO_CAP_FILE") != "" {
		return errors.New("nono audit cleanup cannot be used inside a sandbox")
	}
	opts := audit.CleanupOptions{All: c.All, OlderThan: c.OlderThan, Keep: c.Keep, DryRun: c.DryRun}
	if err := opts.Validate(); err != nil {
		return err
	}
	auditRoot, _, err := roots()
	if err != nil {
		return err
	}
	entries, err := session.List(auditRoot, "")
	if err != nil {
		return err
	}
	plan := audit.PlanCleanup(entries, opts, time.Now())
	return audit.Cleanup(os.Stderr, auditRoot, plan, c.DryRun)
}
