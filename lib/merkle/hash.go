// Package merkle is the alpha Merkle tree over audit-event leaves: a root
// computed in O(log n) memory, inclusion proofs and consistency proofs.
//
// The tree has RFC 6962's shape (split at the largest power of two below
// n), so a lone last node is promoted unchanged; only the node hash
// differs: SHA-256(Domain ‖ left ‖ right).
package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Domain separates interior node hashes from every other alpha hash.
const Domain = "nono.audit.merkle.alpha\n"

// Hash is a SHA-256 digest.
type Hash = [sha256.Size]byte

// nodeHash is the hash of an interior node.
func nodeHash(left, right Hash) Hash {
	var buf [len(Domain) + 2*sha256.Size]byte
	n := copy(buf[:], Domain)
	n += copy(buf[n:], left[:])
	copy(buf[n:], right[:])
	return sha256.Sum256(buf[:])
}

// Hex is the lowercase hex form of h, as every alpha format writes it.
func Hex(h Hash) string { return hex.EncodeToString(h[:]) }

// AppendHex appends the lowercase hex form of h to dst.
func AppendHex(dst []byte, h Hash) []byte { return hex.AppendEncode(dst, h[:]) }

// ParseHash reads a hash written as exactly 64 hex digits, in either case.
// Anything else (another length, a sign, spaces, a 0x prefix) is an error.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("invalid hash %.80q: want 64 hex digits, got %d characters", s, len(s))
	}
	for i := range h {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return Hash{}, fmt.Errorf("invalid hash %.80q: want 64 hex digits", s)
		}
		h[i] = hi<<4 | lo
	}
	return h, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
