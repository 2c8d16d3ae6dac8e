package nonoaudit

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/report"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/tail"
)

type tailCmd struct {
	ID     string `arg:"" help:"Session ID (as nono audit list shows it), or the path of a session directory." placeholder:"ID"`
	Follow bool   `short:"f" help:"Keep printing records as they are appended, until the session ends (or Ctrl-C)."`
	JSON   bool   `name:"json" help:"Print the records as they are in the log, one a line (for jq or a shipper)."`
}

func (c *tailCmd) Run(ui *cli.UI) error {
	st, err := store()
	if err != nil {
		return err
	}
	entry, err := st.Locate(session.AuditSide, c.ID)
	if err != nil {
		return err
	}
	if entry.AuditDir == "" {
		return cli.Usage("session %s has no audit directory, so no event log", entry.ID)
	}
	log := filepath.Join(entry.AuditDir, session.EventsFileName)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	res, err := tail.Follow(ctx, entry.AuditDir, tail.Options{Follow: c.Follow}, func(line int, rec []byte) error {
		if c.JSON {
			return ui.Line(rec)
		}
		return ui.Line([]byte(report.EventLine(line, rec, time.Local)))
	})
	if err != nil {
		return fmt.Errorf("session %s: %s: %w", entry.ID, log, err)
	}
	if res.TruncatedLine > 0 {
		ui.Warnf("session %s: %s: %v; the %d records before it verify", entry.ID, log, &chain.TornError{Line: res.TruncatedLine}, res.Records)
	}
	if c.Follow && !res.Ended && !res.Interrupted {
		ui.Warnf("session %s stopped running without recording its end (crashed?)", entry.ID)
	}
	return nil
}
