package nonoaudit

import (
	"os"
	"time"

	"github.com/nono-audit/nono/lib/audit"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/session"
)

type showCmd struct {
	ID   string `arg:"" help:"Session ID (as nono audit list shows it)." placeholder:"ID"`
	JSON bool   `name:"json" help:"Print one JSON object for compliance tools."`
}

func (c *showCmd) Run() error {
	if err := session.ValidateID(c.ID); err != nil {
		return cli.Usage("%v", err)
	}
	auditRoot, rollbackRoot, err := roots()
	if err != nil {
		return err
	}
	entry, err := audit.Locate(c.ID, auditRoot, rollbackRoot)
	if err != nil {
		return err
	}
	data, err := audit.LoadShow(entry)
	if err != nil {
		return err
	}
	if c.JSON {
		return audit.WriteShowJSON(os.Stdout, data)
	}
	return audit.WriteShow(os.Stderr, data, time.Local)
}
