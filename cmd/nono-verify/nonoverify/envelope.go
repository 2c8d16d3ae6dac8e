package nonoverify

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/merkle"
)

// envelopeCmd verifies an exported or delivered session envelope with
// nothing else: no session directory, no ledger.
type envelopeCmd struct {
	File          string `arg:"" optional:"" placeholder:"FILE" help:"Envelope to verify ('-' or absent: stdin), as printed by 'nono audit export' or stored by nono-collect."`
	PublicKeyFile string `name:"public-key-file" placeholder:"FILE" help:"Pin the signer: the envelope must carry an attestation bundle signed by this key (.pub base64 DER or PEM)."`
	JSON          bool   `name:"json" help:"Print the verdict as JSON on stdout (also when invalid; the exit status still says which)."`
}

func (c *envelopeCmd) Run(ui *cli.UI) error {
	pub, err := pinnedKey(c.PublicKeyFile)
	if err != nil {
		return err
	}
	name := c.File
	if name == "" || name == "-" {
		name = "<stdin>"
	}
	env, _, err := envelope.ReadFile(c.File, envelope.MaxSize)
	if err != nil {
		return cli.Unusable(err)
	}
	r := envelope.Verify(env, envelope.Options{PublicKey: pub})
	if c.JSON {
		if err := ui.Line(canon.Pretty(r.Value())); err != nil {
			return err
		}
	} else if r.OK() {
		res := r.Events
		msg := fmt.Sprintf("%s: verified: session %s, %d events, root %s, metadata %s, attestation %s",
			name, r.SessionID, res.EventCount, merkle.Hex(*res.MerkleRoot), r.Metadata, r.Attestation)
		if err := ui.Line([]byte(msg)); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(ui.Stderr, "%s: note: %s: %s\n", ui.Name, name, n)
	}
	if !r.OK() {
		for _, p := range r.Problems {
			fmt.Fprintf(ui.Stderr, "%s: %s: %s\n", ui.Name, name, p)
		}
		return cli.Verdict(fmt.Errorf("%s: the envelope of session %s does not verify", name, r.SessionID))
	}
	return nil
}

// pinnedKey reads --public-key-file; nil when it is not given.
func pinnedKey(file string) (*ecdsa.PublicKey, error) {
	if file == "" {
		return nil, nil
	}
	_, pub, err := dsse.ReadPublicKeyFile(file)
	return pub, err
}
