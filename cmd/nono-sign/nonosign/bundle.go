package nonosign

import (
	"fmt"
	"io"
	"os"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/session"
)

type bundleCmd struct {
	Key        string `required:"" help:"Signing key reference: file:///ABS/PATH or env://VAR." placeholder:"REF"`
	Events     string `help:"The session's audit-events.ndjson: checked against audit_integrity, and its session_started event gives the redaction policy (without it: the secure default policy, log unchecked)." placeholder:"FILE" type:"existingfile"`
	SessionOut string `name:"session-out" help:"Also write the session record with its audit_attestation set to FILE." placeholder:"FILE"`
}

func (c *bundleCmd) Run(ui *cli.UI) error {
	key, err := loadKey(c.Key)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	if err != nil {
		return fmt.Errorf("read session record from stdin: %w", err)
	}
	s, err := session.Decode(data)
	if err != nil {
		return fmt.Errorf("stdin: session record: %w", err)
	}
	policy := canon.NullValue()
	if c.Events != "" {
		if policy, err = attest.ReadLog(c.Events, s); err != nil {
			return err
		}
	}
	b, att, err := attest.Sign(s, policy, key)
	if err != nil {
		return err
	}
	if c.SessionOut != "" {
		s.AuditAttestation = att
		enc, err := s.Encode()
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(c.SessionOut, enc, 0o600); err != nil {
			return err
		}
	}
	_, err = ui.Stdout.Write(b.Encode())
	return err
}
