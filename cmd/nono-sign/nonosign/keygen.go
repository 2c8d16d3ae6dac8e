package nonosign

import (
	"errors"
	"fmt"
	"os"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
)

type keygenCmd struct {
	Keyref string `required:"" help:"Where to store the key: file:///ABS/PATH (the public key goes to PATH.pub)." placeholder:"file:///PATH"`
	Force  bool   `help:"Replace existing key files."`
	PEM    bool   `name:"pem" xor:"format" help:"Print only the public key as PEM on stdout (for cosign and other tools); the report goes to stderr."`
	JSON   bool   `name:"json" xor:"format" help:"Print the key's ID, fingerprint, algorithm, path and public key as JSON on stdout."`

	Note    bool   `help:"Make an Ed25519 note key for signing the ledger's checkpoints (C2SP signed-note format) instead: PATH holds the signer key, PATH.pub the verifier key, which is printed on stdout (the report goes to stderr)."`
	Name    string `placeholder:"NAME" help:"With --note: the ledger's name, its origin being nono-ledger/NAME (default: this host's name); with --witness, the witness's name."`
	Witness bool   `help:"With --note: a witness's key (named --name), to co-sign other hosts' checkpoints."`
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
	if c.Note {
		return c.noteKey(ui, ref.Path)
	}
	if c.Name != "" || c.Witness {
		return cli.Usage("--name and --witness go with --note")
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

// noteKey makes an Ed25519 note key: a ledger's (named after its origin)
// or a witness's.
func (c *keygenCmd) noteKey(ui *cli.UI, path string) error {
	if c.PEM {
		return cli.Usage("--pem does not go with --note: note keys have no PEM form")
	}
	name := c.Name
	switch {
	case c.Witness && name == "":
		return cli.Usage("--witness needs --name: the witness's name, as its cosignatures will carry it")
	case !c.Witness:
		var err error
		if name == "" {
			if name, err = checkpoint.DefaultName(); err != nil {
				return cli.Usage("%v", err)
			}
		}
		if name, err = checkpoint.LedgerOrigin(name); err != nil {
			return cli.Usage("--name: %v", err)
		}
	}
	skey, vkey, err := checkpoint.GenerateKey(name)
	if err != nil {
		return cli.Usage("--name: %v", err)
	}
	if err := dsse.WriteKeyFiles(path, []byte(skey), []byte(vkey), c.Force); err != nil {
		if errors.Is(err, dsse.ErrKeyExists) {
			return fmt.Errorf("key '%s' not written: %w", c.Keyref, err)
		}
		return err
	}
	use := "checkpoints of the ledger " + name
	if c.Witness {
		use = "cosignatures of the witness " + name
	}
	if c.JSON {
		return ui.Line(canon.Pretty(canon.ObjectValue(
			canon.Member{Key: "key_ref", Value: canon.StringValue(c.Keyref)},
			canon.Member{Key: "path", Value: canon.StringValue(path)},
			canon.Member{Key: "public_key_path", Value: canon.StringValue(dsse.PublicKeyPath(path))},
			canon.Member{Key: "name", Value: canon.StringValue(name)},
			canon.Member{Key: "algorithm", Value: canon.StringValue("ed25519-note")},
			canon.Member{Key: "verifier_key", Value: canon.StringValue(vkey)},
		)))
	}
	fmt.Fprintf(ui.Messages(), "Note key generated successfully.\n"+
		"  Name:       %s\n"+
		"  Algorithm:  Ed25519 (C2SP signed-note)\n"+
		"  Signs:      %s\n"+
		"  Stored in:  file (%s)\n"+
		"\n"+
		"Verifier key (also in %s; give it to whoever checks them):\n"+
		"  %s\n", name, use, path, dsse.PublicKeyPath(path), vkey)
	return ui.Line([]byte(vkey))
}
