package nonoaudit

import (
	"time"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/report"
	"github.com/nono-audit/nono/lib/session"
)

type showCmd struct {
	ID   string `arg:"" help:"Session ID (as nono audit list shows it)." placeholder:"ID"`
	JSON bool   `name:"json" help:"Print one JSON object for compliance tools."`
}

func (c *showCmd) Run(ui *cli.UI) error {
	st, err := store()
	if err != nil {
		return err
	}
	entry, err := st.Resolve(session.AuditSide, c.ID)
	if err != nil {
		return err
	}
	data, err := report.LoadAuditShow(entry)
	if err != nil {
		return err
	}
	if c.JSON {
		return report.WriteAuditShowJSON(ui.Stdout, data)
	}
	return report.WriteAuditShow(ui.Stdout, data, time.Local)
}
