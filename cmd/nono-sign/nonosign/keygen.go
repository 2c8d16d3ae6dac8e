package nonosign

import (
	"errors"
	"fmt"
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
)

type keygenCmd struct {
	Keyref string `required:"" help:"Where to store the key: file:///ABS/PATH (the public key goes to PATH.pub)." placeholder:"file:///PATH"`
	Force  bool   `help:"Replace existing key files."`
	PEM    bool   `name:"pem" help:"Also print the public key as PEM on stdout (for cosign and other tools)."`
}

func (c *keygenCmd) Run(ui *cli.UI) error {
	ref, err := dsse.ParseKeyRef(c.Keyref)
	if err != nil {
		return cli.Usage("--keyref: %v", err)
	}
	if ref.Path == "" {
		return cli.Usage("--keyref: keygen stores keys in files only: use file:///ABS/PATH")
	}
	key, err := dsse.GenerateKey()
	if err != nil {
		return err
	}
	if err := dsse.WriteKeyPair(ref.Path, key, c.Force); err != nil {
		if errors.Is(err, dsse.ErrKeyExists) {
			return fmt.Errorf("key '%s' not written: %w", c.Keyref, err)
		}
		return err
	}
	pubText, err := dsse.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	pem, err := dsse.PublicKeyPEM(&key.PublicKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "Signing key generated successfully.\n"+
		"  Key ID:      %s\n"+
		"  Fingerprint: %s\n"+
		"  Algorithm:   ECDSA P-256 (SHA-256)\n"+
		"  Stored in:   file (%s)\n"+
		"\n"+
		"Public key (base64 DER, for trust-policy.json):\n"+
		"  %s\n"+
		"\n"+
		"Public key (PEM):\n"+
		"%s\n", c.Keyref, dsse.KeyID(&key.PublicKey), ref.Path, pubText, pem)
	if c.PEM {
		_, err := ui.Stdout.Write(pem)
		return err
	}
	return nil
}

type exportKeyCmd struct {
	Keyref string `required:"" help:"The signing key: file:///ABS/PATH (reads PATH.pub when it exists) or env://VAR." placeholder:"REF"`
	PEM    bool   `name:"pem" help:"Print PEM (CRLF, as upstream) instead of base64 DER."`
}

func (c *exportKeyCmd) Run(ui *cli.UI) error {
	pub, err := dsse.LoadPublicKey(c.Keyref, os.Getenv)
	if err != nil {
		return err
	}
	if c.PEM {
		pem, err := dsse.PublicKeyPEM(pub)
		if err != nil {
			return err
		}
		_, err = ui.Stdout.Write(pem)
		return err
	}
	text, err := dsse.EncodePublicKey(pub)
	if err != nil {
		return err
	}
	return ui.Printf("%s\n", text)
}
