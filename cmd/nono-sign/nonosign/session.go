package nonosign

import (
	"crypto/ecdsa"
	"os"
	"strings"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
)

type sessionCmd struct {
	Dir   string `arg:"" type:"existingdir" help:"The session directory (holding session.json and audit-events.ndjson)."`
	Key   string `required:"" help:"Signing key reference: file:///ABS/PATH or env://VAR." placeholder:"REF"`
	Force bool   `help:"Sign again a session that is already signed (replaces its bundle)."`
}

func (c *sessionCmd) Run() error {
	key, err := loadKey(c.Key)
	if err != nil {
		return err
	}
	_, err = attest.SignSession(c.Dir, key, c.Force)
	return err
}

// loadKey resolves a --key reference; an empty one is a usage error.
func loadKey(ref string) (*ecdsa.PrivateKey, error) {
	if strings.TrimSpace(ref) == "" {
		return nil, cli.Usage("--key: empty key reference")
	}
	return dsse.LoadSigningKey(ref, os.Getenv)
}
