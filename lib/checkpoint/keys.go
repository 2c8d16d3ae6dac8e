package checkpoint

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/nono-audit/nono/lib/dsse"
)

// Key is an Ed25519 note key in the signed-note formats: the signer, and
// the verifier others use to check what it signed.
type Key struct {
	Signer   note.Signer
	Verifier note.Verifier
	VKey     string // the verifier key, as others are given it
}

// Name is the key's name: for a ledger's key, the ledger's origin.
func (k *Key) Name() string { return k.Signer.Name() }

// LedgerOrigin returns the origin of a ledger named name (a host name
// when the user chose none): nono-ledger/<name>.
func LedgerOrigin(name string) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("invalid ledger name %.80q: want 1-200 characters of [A-Za-z0-9._-]", name)
	}
	return OriginPrefix + name, nil
}

// DefaultName is the name of this host's ledger: its host name.
func DefaultName() (string, error) {
	h, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("find the host name for the ledger's origin: %w (give a name)", err)
	}
	if !validName(h) {
		return "", fmt.Errorf("the host name %.80q cannot name a ledger: give a name of [A-Za-z0-9._-]", h)
	}
	return h, nil
}

// GenerateKey makes a new Ed25519 note key named name: the signer key
// (PRIVATE+KEY+name+hash+base64, kept secret) and the verifier key
// (name+hash+base64, given to whoever checks checkpoints).
func GenerateKey(name string) (skey, vkey string, err error) {
	if strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r == '+' }) >= 0 || name == "" {
		return "", "", fmt.Errorf("invalid key name %.80q: no spaces or '+'", name)
	}
	return note.GenerateKey(rand.Reader, name)
}

// ParseKey reads a signer key in the signed-note format
// (PRIVATE+KEY+name+hash+base64 of an Ed25519 seed).
func ParseKey(skey string) (*Key, error) {
	skey = strings.TrimSpace(skey)
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("not an Ed25519 note signer key (PRIVATE+KEY+name+hash+base64; make one with `nono trust keygen --note`): %w", err)
	}
	// NewSigner accepted five fields and an Ed25519 seed; derive the
	// verifier key from that seed.
	raw, err := base64.StdEncoding.DecodeString(strings.SplitN(skey, "+", 5)[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return nil, errors.New("not an Ed25519 note signer key")
	}
	vkey, err := note.NewEd25519VerifierKey(s.Name(), ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Key{Signer: s, Verifier: v, VKey: vkey}, nil
}

// LoadKey resolves a key reference (file:///ABS/PATH or env://VAR, as for
// signing keys) and reads the note signer key it holds.
func LoadKey(ref string, getenv func(string) string) (*Key, error) {
	text, err := dsse.ReadKeyRef(ref, getenv)
	if err != nil {
		return nil, err
	}
	k, err := ParseKey(string(text))
	if err != nil {
		return nil, fmt.Errorf("note key %s: %w", ref, err)
	}
	return k, nil
}

// LoadVerifier reads a verifier key given as its text (name+hash+base64)
// or as the name of a file holding it (PATH.pub of `nono trust keygen
// --note`).
func LoadVerifier(arg string) (note.Verifier, error) {
	if v, err := note.NewVerifier(arg); err == nil {
		return v, nil
	}
	data, err := ReadFile(arg)
	if err != nil {
		return nil, fmt.Errorf("%s is neither a verifier key (name+hash+base64) nor a file holding one: %w", arg, err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: not a note verifier key (name+hash+base64): %w", arg, err)
	}
	return v, nil
}
