// Package fstree walks the tracked roots of a session and computes the
// filesystem Merkle root, byte-compatible with upstream nono:
//
//	leaf = SHA-256(0x00 ‖ absolute path bytes ‖ SHA-256(content))
//	node = SHA-256(0x01 ‖ left ‖ right)
//
// Leaves are ordered component-wise (Compare), paired level by level with
// an odd last node promoted unchanged, which is the RFC 6962 tree shape.
// The root of no files is SHA-256 of the empty string.
package fstree

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Hash is a SHA-256 digest.
type Hash = [sha256.Size]byte

// Leaf and node prefixes: a leaf input can never be read as a node input.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// EmptyRoot is the root of a tree without files: SHA-256("").
var EmptyRoot = Hash(sha256.Sum256(nil))

// leafHash is SHA-256(0x00 ‖ path ‖ content). The content hash has a fixed
// length, so the input splits unambiguously without a separator.
func leafHash(path string, content Hash) Hash {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write([]byte(path))
	h.Write(content[:])
	var out Hash
	h.Sum(out[:0])
	return out
}

// nodeHash is SHA-256(0x01 ‖ left ‖ right).
func nodeHash(left, right Hash) Hash {
	var buf [1 + 2*sha256.Size]byte
	buf[0] = nodePrefix
	copy(buf[1:], left[:])
	copy(buf[1+sha256.Size:], right[:])
	return sha256.Sum256(buf[:])
}

// rootOfLeaves builds the tree over leaves in the given order: pair (0,1),
// (2,3), …, promote an odd last node unchanged, repeat until one is left.
// It works in place on a copy, so memory is one slice of hashes.
func rootOfLeaves(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return EmptyRoot
	}
	level := append([]Hash(nil), leaves...)
	for len(level) > 1 {
		n := 0
		for i := 0; i < len(level); i += 2 {
			if i+1 < len(level) {
				level[n] = nodeHash(level[i], level[i+1])
			} else {
				level[n] = level[i]
			}
			n++
		}
		level = level[:n]
	}
	return level[0]
}

// Root is the tree root over files, which must already be sorted with
// Compare and free of duplicate paths (see SortFiles).
func Root(files []File) Hash {
	leaves := make([]Hash, len(files))
	for i := range files {
		leaves[i] = leafHash(files[i].Path, files[i].Hash)
	}
	return rootOfLeaves(leaves)
}

// ParseHash reads 64 hex digits (either case).
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("invalid hash %q: want 64 hex digits", s)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("invalid hash %q: want 64 hex digits", s)
	}
	return h, nil
}

// Hex is the lowercase hex form of h.
func Hex(h Hash) string { return hex.EncodeToString(h[:]) }
