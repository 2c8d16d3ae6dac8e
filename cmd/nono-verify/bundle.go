package main

import (
	"errors"
	"io"
)

// bundleFlags are the off-device attestation checks of the default command.
type bundleFlags struct {
	Bundle        string `help:"Attestation bundle to verify off-device (with --root and --session-id)." placeholder:"FILE"`
	SessionID     string `name:"session-id" help:"Session ID the bundle must attest to." placeholder:"ID"`
	PublicKeyFile string `name:"public-key-file" help:"Pinned signer public key (.pub base64 DER or PEM)." placeholder:"FILE"`
}

// verify checks the bundle against the pinned root (and, when non-zero,
// event count and chain head).
func (b *bundleFlags) verify(rootHex, headHex string, count *uint64, jsonOut bool, stdout io.Writer) error {
	return errors.New("bundle verification not implemented yet")
}
