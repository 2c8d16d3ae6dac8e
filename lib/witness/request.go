package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/nono-audit/nono/lib/merkle"
)

// AddRequest is the body of a C2SP tlog-witness add-checkpoint request:
//
//	old <size held, as the host believes it>
//	<base64 hash of the consistency proof>   (one a line, none for size 0 or an equal size)
//	<empty line>
//	<the signed checkpoint>
type AddRequest struct {
	OldSize    uint64
	Proof      []merkle.Hash
	Checkpoint []byte
}

// Limits of a request: a consistency proof of a tree of fewer than 2^64
// leaves has at most 2·64 hashes, and a checkpoint is a small note.
const (
	maxProofHashes = 128
	MaxAddRequest  = 70 << 10
)

// Encode returns the request body.
func (r *AddRequest) Encode() []byte {
	b := fmt.Appendf(nil, "old %d\n", r.OldSize)
	for _, h := range r.Proof {
		b = base64.StdEncoding.AppendEncode(b, h[:])
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, r.Checkpoint...)
}

// ParseAddRequest reads an add-checkpoint body strictly: "old N" in
// canonical decimal, proof hashes in canonical base64 of 32 bytes, one
// empty line, then the checkpoint (whose signature Add checks).
func ParseAddRequest(body []byte) (*AddRequest, error) {
	if len(body) > MaxAddRequest {
		return nil, fmt.Errorf("add-checkpoint: the body is %d bytes, more than the %d allowed", len(body), MaxAddRequest)
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	num, isOld := bytes.CutPrefix(line, []byte("old "))
	if !ok || !isOld {
		return nil, errors.New(`add-checkpoint: line 1: want "old <size>"`)
	}
	size, err := strconv.ParseUint(string(num), 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != string(num) {
		return nil, fmt.Errorf("add-checkpoint: line 1: %.40q is not a size", num)
	}
	r := &AddRequest{OldSize: size, Proof: []merkle.Hash{}}
	for n := 2; ; n++ {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return nil, errors.New("add-checkpoint: no empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		var h merkle.Hash
		// Decoding skips \r and \n; only the canonical encoding is taken.
		raw, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(raw) != len(h) || base64.StdEncoding.EncodeToString(raw) != string(line) || len(r.Proof) == maxProofHashes {
			return nil, fmt.Errorf("add-checkpoint: line %d: want a proof hash, base64 of 32 bytes (at most %d)", n, maxProofHashes)
		}
		copy(h[:], raw)
		r.Proof = append(r.Proof, h)
	}
	if len(rest) == 0 {
		return nil, errors.New("add-checkpoint: no checkpoint after the empty line")
	}
	r.Checkpoint = rest
	return r, nil
}
