// Package merkle is the alpha Merkle tree over audit-event leaves: a root
// computed in O(log n) memory, inclusion proofs and consistency proofs.
//
// The tree has RFC 6962's shape (split at the largest power of two below
// n), so a lone last node is promoted unchanged; only the node hash
// differs: SHA-256(Domain ‖ left ‖ right).
package merkle

import "crypto/sha256"

// Domain separates interior node hashes from every other alpha hash.
const Domain = "nono.audit.merkle.alpha\n"

// Hash is a SHA-256 digest.
type Hash = [sha256.Size]byte

// NodeHash is the hash of an interior node.
func NodeHash(left, right Hash) Hash {
	var buf [len(Domain) + 2*sha256.Size]byte
	n := copy(buf[:], Domain)
	n += copy(buf[n:], left[:])
	copy(buf[n:], right[:])
	return sha256.Sum256(buf[:])
}
