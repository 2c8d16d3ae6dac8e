// Package checkpoint commits to the whole ledger the way transparency
// logs do: a Merkle tree over the ledger's records, signed checkpoints of
// it in the C2SP tlog-checkpoint and signed-note formats, inclusion
// proofs of a session's record and consistency proofs between two
// checkpoints (docs/FORMAT.md §19, docs/CHECKPOINT.md).
//
// The tree is the alpha tree of lib/merkle over the ledger records in
// order, leaf i being the 32 raw bytes of record i's chain_hash. A chain
// hash already commits to its record and to every record before it, so
// the tree adds nothing to what a record proves about itself; what it
// adds is that someone holding an old checkpoint can demand proof that a
// newer one extends it, which a host that removed a session and
// recomputed its chain cannot give.
package checkpoint

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	tlog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/nono-audit/nono/lib/merkle"
)

// ErrInvalid matches every verdict of this package and of lib/witness: a
// signature that does not verify, a proof that does not hold, a ledger or
// checkpoint that no longer extends an older one. Other errors mean the
// input could not be read or understood.
var ErrInvalid = errors.New("invalid")

// invalid returns an error matching ErrInvalid with the given message.
func invalid(format string, args ...any) error {
	return &verdictError{fmt.Sprintf(format, args...)}
}

type verdictError struct{ msg string }

func (e *verdictError) Error() string        { return e.msg }
func (e *verdictError) Is(target error) bool { return target == ErrInvalid }

// Verdict reports true: the input is invalid (exit status 1, lib/cli).
func (e *verdictError) Verdict() bool { return true }

// OriginPrefix starts the origin of every nono ledger:
// nono-ledger/<host or configured name>.
const OriginPrefix = "nono-ledger/"

// maxNote bounds a checkpoint file: a note of ours is about 200 bytes, and
// note.Open allows at most 100 signatures.
const maxNote = 64 << 10

// Checkpoint is the body of a signed checkpoint: the origin line (the
// log's name), the tree size and the root hash, in the C2SP
// tlog-checkpoint format:
//
//	nono-ledger/build-7
//	42
//	q2HxkQ1f0mIh4sQ6mnqS2Qeb4ODYxK3bcsEEFCvnu/M=
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   merkle.Hash
}

// Body returns the checkpoint's text: three lines, each ending in a
// newline.
func (c *Checkpoint) Body() []byte {
	return tlog.Checkpoint{Origin: c.Origin, Size: c.Size, Hash: c.Root[:]}.Marshal()
}

// Sign returns the signed note of the checkpoint: its body, a blank line
// and the signature line of s, whose name must be the origin.
func (c *Checkpoint) Sign(s note.Signer) ([]byte, error) {
	if s.Name() != c.Origin {
		return nil, fmt.Errorf("the key %q cannot sign a checkpoint of %q: a log's key is named after its origin", s.Name(), c.Origin)
	}
	return note.Sign(&note.Note{Text: string(c.Body())}, s)
}

// ParseBody reads a checkpoint body. The first three lines must be
// exactly what Body writes (a decimal size without leading zeros, the root
// in padded standard base64 of 32 bytes); extension lines after them are
// allowed by the format, covered by the signatures, and ignored here.
func ParseBody(text []byte) (*Checkpoint, error) {
	var tc tlog.Checkpoint
	rest, err := tc.Unmarshal(text)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if len(tc.Hash) != len(merkle.Hash{}) {
		return nil, fmt.Errorf("checkpoint: root hash of %d bytes, want %d", len(tc.Hash), len(merkle.Hash{}))
	}
	c := &Checkpoint{Origin: tc.Origin, Size: tc.Size}
	copy(c.Root[:], tc.Hash)
	if body := c.Body(); !bytes.HasPrefix(text, body) || len(text) != len(body)+len(rest) {
		return nil, errors.New("checkpoint: the size or root line is not in canonical form (decimal without leading zeros, padded standard base64)")
	}
	for len(rest) > 0 {
		line, after, ok := bytes.Cut(rest, []byte("\n"))
		if !ok || len(line) == 0 {
			return nil, errors.New("checkpoint: an extension line is empty or unterminated")
		}
		rest = after
	}
	return c, nil
}

// Open verifies the signed checkpoint msg with the log's verifier log
// (named after the origin) and returns the checkpoint and the opened note.
// Signatures by others (witnesses' cosignatures) are checked when their
// verifiers are given and kept either way. A note that cannot be parsed
// is an ordinary error; one the log did not sign, or whose signature does
// not verify, matches ErrInvalid.
func Open(msg []byte, log note.Verifier, others ...note.Verifier) (*Checkpoint, *note.Note, error) {
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{log}, others...)...))
	var unverified *note.UnverifiedNoteError
	var bad *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, nil, invalid("checkpoint is not signed by %s+%08x", log.Name(), log.KeyHash())
	case errors.As(err, &bad):
		return nil, nil, invalid("checkpoint: the signature by %s+%08x does not verify", bad.Name, bad.Hash)
	case err != nil:
		return nil, nil, fmt.Errorf("checkpoint: not a signed note: %w", err)
	}
	if !signedBy(n, log) {
		return nil, nil, invalid("checkpoint is not signed by %s+%08x", log.Name(), log.KeyHash())
	}
	if err := canonicalSignatures(n); err != nil {
		return nil, nil, err
	}
	c, err := ParseBody([]byte(n.Text))
	if err != nil {
		return nil, nil, err
	}
	if c.Origin != log.Name() {
		return nil, nil, invalid("checkpoint of origin %q is signed by the key of %q", c.Origin, log.Name())
	}
	return c, n, nil
}

// ParseUnverified reads a signed checkpoint without checking any
// signature: for a prover, which only needs to know what tree it is asked
// to prove against. Whoever checks the proof checks the signature.
func ParseUnverified(msg []byte) (*Checkpoint, error) {
	_, err := note.Open(msg, nil)
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return nil, fmt.Errorf("checkpoint: not a signed note: %w", err)
	}
	return ParseBody([]byte(unverified.Note.Text))
}

func signedBy(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}

// canonicalSignatures refuses a signature written in base64 with stray
// bits in its last character: it decodes to the same bytes, so without
// this a changed byte of a signed checkpoint could still verify.
func canonicalSignatures(n *note.Note) error {
	for _, list := range [][]note.Signature{n.Sigs, n.UnverifiedSigs} {
		for _, s := range list {
			if _, err := base64.StdEncoding.Strict().DecodeString(s.Base64); err != nil {
				return fmt.Errorf("checkpoint: the signature of %s is not canonical base64", s.Name)
			}
		}
	}
	return nil
}

// ReadFile reads a checkpoint file (at most 64 KiB).
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads a checkpoint (at most 64 KiB) from r, named name in errors.
func Read(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxNote+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxNote {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a checkpoint", name, maxNote)
	}
	return data, nil
}

// Describe is a checkpoint in one line for messages.
func (c *Checkpoint) Describe() string {
	return fmt.Sprintf("%s at size %d (root %s)", c.Origin, c.Size, merkle.Hex(c.Root))
}

// validName reports whether name can follow OriginPrefix: 1 to 200
// characters of [A-Za-z0-9._-] (a host name, or one of the user's own).
func validName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	return strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}) < 0
}
