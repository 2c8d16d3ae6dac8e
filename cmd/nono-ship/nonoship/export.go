package nonoship

import (
	"errors"
	"os"
	"time"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/platform"
	"github.com/nono-audit/nono/lib/session"
)

type exportCmd struct {
	Session  string `arg:"" help:"Session ID, or the path of a session directory (one containing a /)." placeholder:"ID|DIR"`
	Output   string `short:"o" placeholder:"FILE" help:"Write the envelope to FILE (atomically, 0600) instead of stdout."`
	IngestID string `name:"ingest-id" placeholder:"UUID" help:"Request ID to put in the envelope (default: a new UUIDv7)."`
	Tenant   string `name:"tenant-id" placeholder:"ID" help:"tenant_id to put in the envelope (default: the enrollment's, else empty)."`
	Shipper  string `name:"shipper-id" placeholder:"ID" help:"shipper_id to put in the envelope (default: the enrollment's subject, else empty)."`
}

// Run prints the envelope's exact wire bytes (no trailing newline), the
// same bytes `nono audit sync` would send.
func (c *exportCmd) Run(ui *cli.UI) error {
	st, err := session.Open(os.Getenv)
	if err != nil {
		return err
	}
	root := st.AuditRoot
	e, err := st.Locate(session.AuditSide, c.Session)
	if err != nil {
		return err
	}
	id := envelope.Identity{IngestID: c.IngestID, TenantID: c.Tenant, ShipperID: c.Shipper}
	if p, err := platform.Locate(os.Getenv); err == nil {
		if st, err := platform.Load(p); err == nil {
			if id.TenantID == "" {
				id.TenantID = st.TenantID
			}
			if id.ShipperID == "" {
				id.ShipperID = st.SubjectID
			}
		}
	}
	if id.IngestID == "" {
		if id.IngestID, err = delivery.NewUUIDv7(time.Now()); err != nil {
			return err
		}
	} else if !delivery.ValidUUID(id.IngestID) {
		return cli.Usage("--ingest-id %q: want a lower-case UUID", id.IngestID)
	}
	env, err := envelope.Build(e, root, id)
	if errors.Is(err, envelope.ErrNotShippable) {
		return cli.Verdict(err)
	}
	if err != nil {
		return cli.Unusable(err)
	}
	body := env.Encode()
	if c.Output != "" {
		return cli.Unusable(atomicfile.WriteFile(c.Output, body, 0o600))
	}
	if _, err := ui.Stdout.Write(body); err != nil {
		return cli.Unusable(err)
	}
	return nil
}
