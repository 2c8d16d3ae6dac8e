// Package chain is the alpha hash chain over audit events: the domain
// separators, the leaf and chain hashes, a recorder that turns events into
// records, and a streaming verifier.
package chain

import (
	"crypto/sha256"

	"github.com/nono-audit/nono/lib/merkle"
)

// Domain separators. Every hash in the alpha scheme starts with one, so a
// value hashed for one purpose can never be replayed as another.
const (
	eventDomain         = "nono.audit.event.alpha\n"
	chainDomain         = "nono.audit.chain.alpha\n"
	merkleDomain        = merkle.Domain
	SessionDigestDomain = "nono.audit.session-digest.alpha\n"
	LedgerDomain        = "nono.audit.ledger.chain.alpha\n"
)

// Hash is a SHA-256 digest.
type Hash = merkle.Hash

// LeafHash is SHA-256(event domain ‖ canonical event JSON).
func LeafHash(eventJSON []byte) Hash {
	h := sha256.New()
	h.Write([]byte(eventDomain))
	h.Write(eventJSON)
	var out Hash
	h.Sum(out[:0])
	return out
}

// ChainHash links a leaf to its predecessor:
// SHA-256(chain domain ‖ prev ‖ leaf), with prev all zero for record 0.
func ChainHash(prev, leaf Hash) Hash {
	var buf [len(chainDomain) + 2*sha256.Size]byte
	n := copy(buf[:], chainDomain)
	n += copy(buf[n:], prev[:])
	copy(buf[n:], leaf[:])
	return sha256.Sum256(buf[:])
}
