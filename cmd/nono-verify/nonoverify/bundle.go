package nonoverify

import (
	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/offline"
	"github.com/nono-audit/nono/lib/session"
)

// bundleFlags are the off-device attestation checks of the default command.
type bundleFlags struct {
	Bundle        string `help:"Attestation bundle to verify off-device (with --root and --session-id)." placeholder:"FILE"`
	SessionID     string `name:"session-id" help:"Session ID the bundle must attest to." placeholder:"ID"`
	PublicKeyFile string `name:"public-key-file" help:"Pinned signer public key (.pub base64 DER or PEM)." placeholder:"FILE"`
}

// bundle reads --bundle and its pinned key; nil without --bundle. The
// bundle is checked against the Merkle root (and, when given, the chain
// head): --root and --head, which must be valid even when records are
// read, since the pinned totals must then match the log's.
func (b *bundleFlags) bundle(rootHex, headHex string) (*offline.Bundle, error) {
	switch {
	case b.Bundle == "":
		return nil, nil
	case rootHex == "":
		return nil, cli.Usage("--bundle needs --root: the Merkle root the bundle must attest to")
	case b.SessionID == "":
		return nil, cli.Usage("--bundle needs --session-id: the session the bundle must attest to")
	case b.PublicKeyFile == "":
		return nil, cli.Usage("--bundle needs --public-key-file: a bundle names its signer only by key id, so the key must come from you")
	}
	if err := session.ValidateID(b.SessionID); err != nil {
		return nil, cli.Usage("--session-id: %v", err)
	}
	_, pub, err := dsse.ReadPublicKeyFile(b.PublicKeyFile)
	if err != nil {
		return nil, err
	}
	data, err := attest.ReadBundleFile(b.Bundle)
	if err != nil {
		return nil, err
	}
	return &offline.Bundle{Name: b.Bundle, Data: data, PublicKey: pub, SessionID: b.SessionID}, nil
}
