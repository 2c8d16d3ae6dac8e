package nonoverify

import (
	"errors"
	"os"

	"github.com/nono-audit/nono/lib/audit"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/session"
)

// sessionCmd is `nono audit verify`: the session's log against its
// session.json, its ledger entry, and its attestation. Unlike upstream it
// exits 1 whenever anything does not verify, with --json too.
type sessionCmd struct {
	Session       string `arg:"" help:"Session ID, or the path of a session directory (one containing a /)." placeholder:"ID|DIR"`
	PublicKeyFile string `name:"public-key-file" help:"Pin the signer: its public key (.pub base64 DER or PEM)." placeholder:"FILE"`
	JSON          bool   `name:"json" help:"Print the session, ledger and attestation results as JSON on stdout."`
}

func (c *sessionCmd) Run() error {
	auditRoot, err := session.AuditRoot(os.Getenv)
	if err != nil {
		return err
	}
	rollbackRoot, err := session.RollbackRoot(os.Getenv)
	if err != nil {
		return err
	}
	entry, err := audit.Locate(c.Session, auditRoot, rollbackRoot)
	if ue := (*audit.UsageError)(nil); errors.As(err, &ue) {
		return cli.Usage("%v", ue)
	}
	if err != nil {
		return err
	}
	v, err := audit.VerifySession(entry, audit.VerifyOptions{AuditRoot: auditRoot, PublicKeyFile: c.PublicKeyFile})
	if err != nil {
		return err
	}
	if c.JSON {
		if _, err := os.Stdout.Write(append(canon.Pretty(v.Value()), '\n')); err != nil {
			return err
		}
	} else if err := v.WriteText(os.Stderr, c.PublicKeyFile != ""); err != nil {
		return err
	}
	if !v.OK() {
		return errors.New("audit integrity verification failed for session " + entry.ID)
	}
	return nil
}
