package nonoverify

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/session"
)

// bundleFlags are the off-device attestation checks of the default command.
type bundleFlags struct {
	Bundle        string `help:"Attestation bundle to verify off-device (with --root and --session-id)." placeholder:"FILE"`
	SessionID     string `name:"session-id" help:"Session ID the bundle must attest to." placeholder:"ID"`
	PublicKeyFile string `name:"public-key-file" help:"Pinned signer public key (.pub base64 DER or PEM)." placeholder:"FILE"`
}

// verify checks the bundle against the pinned root (and, when given, event
// count and chain head), the session ID and the pinned public key. It
// prints the verdict (JSON with jsonOut) on stdout and returns nil when
// valid, an exit-1 error when invalid, and an exit-2 error for usage and
// I/O problems.
func (b *bundleFlags) verify(rootHex, headHex string, count *uint64, jsonOut bool, stdout io.Writer) error {
	switch {
	case rootHex == "":
		return cli.Usage("--bundle needs --root: the Merkle root the bundle must attest to")
	case b.SessionID == "":
		return cli.Usage("--bundle needs --session-id: the session the bundle must attest to")
	case b.PublicKeyFile == "":
		return cli.Usage("--bundle needs --public-key-file: a bundle names its signer only by key id, so the key must come from you")
	}
	if err := session.ValidateID(b.SessionID); err != nil {
		return cli.Usage("--session-id: %v", err)
	}
	if !isHashArg(rootHex) {
		return cli.Usage("--root: want 64 hex digits, got %q", rootHex)
	}
	if headHex != "" && !isHashArg(headHex) {
		return cli.Usage("--head: want 64 hex digits, got %q", headHex)
	}
	_, pub, err := dsse.ReadPublicKeyFile(b.PublicKeyFile)
	if err != nil {
		return cli.Exit(2, err)
	}
	data, err := b.read()
	if err != nil {
		return cli.Exit(2, err)
	}
	r := attest.VerifyBundle(data, pub, attest.Expect{
		SessionID:  b.SessionID,
		MerkleRoot: rootHex,
		EventCount: count,
		ChainHead:  headHex,
	})
	if jsonOut {
		if _, err := stdout.Write(append(canon.Pretty(r.Value()), '\n')); err != nil {
			return cli.Exit(2, err)
		}
	} else if r.Valid() {
		p := r.Statement.Predicate
		fmt.Fprintf(stdout, "%s: verified: session %s, %d events, root %s, signed by pinned key %s\n",
			b.Bundle, p.SessionID, p.AuditLog.EventCount, p.AuditLog.MerkleRoot, r.KeyID)
	}
	if !r.Valid() {
		return cli.Exit(1, fmt.Errorf("%s: %s", b.Bundle, r.Error))
	}
	return nil
}

// isHashArg reports whether a flag value is a 64-digit hex hash.
func isHashArg(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 64 && err == nil
}

// read reads the bundle file, at most dsse.MaxBundleSize bytes.
func (b *bundleFlags) read() ([]byte, error) {
	path := b.Bundle
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, dsse.MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > dsse.MaxBundleSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a bundle", path, dsse.MaxBundleSize)
	}
	return data, nil
}
