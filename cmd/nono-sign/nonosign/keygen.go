package nonosign

import (
	"errors"
	"fmt"
	"os"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
)

type keygenCmd struct {
	Keyref string `required:"" help:"Where to store the key: file:///ABS/PATH (the public key goes to PATH.pub)." placeholder:"file:///PATH"`
	Force  bool   `help:"Replace existing key files."`
	PEM    bool   `name:"pem" xor:"format" help:"Print only the public key as PEM on stdout (for cosign and other tools); the report goes to stderr."`
	JSON   bool   `name:"json" xor:"format" help:"Print the key's ID, fingerprint, algorithm, path and public key as JSON on stdout."`
}

// Run writes the key pair, then upstream's report on stdout (upstream
// writes it to stderr: results go to stdout here, as with every command).
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
	keyID := dsse.KeyID(&key.PublicKey)
	if c.JSON {
		return ui.Line(canon.Pretty(canon.ObjectValue(
			canon.Member{Key: "key_ref", Value: canon.StringValue(c.Keyref)},
			canon.Member{Key: "path", Value: canon.StringValue(ref.Path)},
			canon.Member{Key: "public_key_path", Value: canon.StringValue(ref.Path + ".pub")},
			canon.Member{Key: "fingerprint", Value: canon.StringValue(keyID)},
			canon.Member{Key: "algorithm", Value: canon.StringValue("ecdsa-p256-sha256")},
			canon.Member{Key: "public_key", Value: canon.StringValue(pubText)},
			canon.Member{Key: "public_key_pem", Value: canon.StringValue(string(pem))},
		)))
	}
	report := ui.Stdout
	if c.PEM {
		report = ui.Messages()
	}
	fmt.Fprintf(report, "Signing key generated successfully.\n"+
		"  Key ID:      %s\n"+
		"  Fingerprint: %s\n"+
		"  Algorithm:   ECDSA P-256 (SHA-256)\n"+
		"  Stored in:   file (%s)\n"+
		"\n"+
		"Public key (base64 DER, for trust-policy.json):\n"+
		"  %s\n"+
		"\n"+
		"Public key (PEM):\n"+
		"%s\n", c.Keyref, keyID, ref.Path, pubText, pem)
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
