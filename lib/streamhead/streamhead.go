// Package streamhead is the first line of `nono run`'s event stream: it
// names the session the recorder stages record, so they can start
// before the session exists (concurrently with the supervisor) instead
// of being given its directory on their command line.
//
//	{"nono_stream":1,"session_dir":"/…/audit/ID","integrity":true,"sign_key":"","ledger":true}
//
// nono-run writes it before the first event; nono-redact passes it on
// unchanged, nono-chain takes the log's path from it and passes it on,
// and nono-merkle session, the last stage, takes the session directory,
// whether to compute audit_integrity, and what to do when the stream
// ends (sign, append to the ledger) from it. A stream without it (the
// supervisor failed before the session existed) is empty, and every
// stage then exits 0 having done nothing.
package streamhead

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/session"
)

// Version is the "nono_stream" member this package writes and reads.
const Version = 1

// maxLine bounds the header: a path, a key reference and three flags.
const maxLine = 64 << 10

// Header is what the stages need to know of the session.
type Header struct {
	SessionDir string // absolute; its base name is the session ID
	Integrity  bool   // compute audit_integrity (else null)
	SignKey    string // sign the session at the end with this key ("" for none)
	Ledger     bool   // append the session to the ledger at the end
}

// Encode is the header line, newline included.
func (h *Header) Encode() []byte {
	v := canon.ObjectValue(
		canon.Member{Key: "nono_stream", Value: canon.IntValue(Version)},
		canon.Member{Key: "session_dir", Value: canon.StringValue(h.SessionDir)},
		canon.Member{Key: "integrity", Value: canon.BoolValue(h.Integrity)},
		canon.Member{Key: "sign_key", Value: canon.StringValue(h.SignKey)},
		canon.Member{Key: "ledger", Value: canon.BoolValue(h.Ledger)})
	return append(canon.Compact(v), '\n')
}

// ErrNoHeader: the stream ended before its first line.
var ErrNoHeader = errors.New("the stream is empty: no session header")

// Read reads the header line from r and returns it with a reader of the
// rest of the stream.
func Read(r io.Reader) (*Header, io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	line, err := readLine(br)
	if err != nil {
		return nil, br, err
	}
	h, err := Parse(line)
	return h, br, err
}

// Copy copies the header line from r to w unchanged, checking it, and
// returns a reader of the rest of the stream (nono-redact, which passes
// the header on without needing it).
func Copy(w io.Writer, r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	line, err := readLine(br)
	if err != nil {
		return br, err
	}
	if _, err := Parse(line); err != nil {
		return br, err
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return br, err
	}
	return br, nil
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("session header: longer than %d bytes", maxLine)
		}
		if err == nil {
			return line[:len(line)-1], nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				return nil, ErrNoHeader
			}
			return nil, errors.New("session header: the stream ends inside it")
		}
		return nil, fmt.Errorf("session header: %w", err)
	}
}

// Parse checks one header line: the strict reader, the version, every
// member of its type, and a session directory that is an absolute path
// to a directory named by a valid session ID.
func Parse(line []byte) (*Header, error) {
	v, err := canon.Parse(line)
	if err != nil {
		return nil, fmt.Errorf("session header: %w", err)
	}
	if v.Kind != canon.Object {
		return nil, errors.New("session header: not a JSON object")
	}
	if ver, ok := v.Get("nono_stream"); !ok || ver.Kind != canon.Number || ver.Num != fmt.Sprint(Version) {
		return nil, fmt.Errorf("session header: want \"nono_stream\":%d as its first line (is the stream from nono-run record?)", Version)
	}
	h := &Header{}
	str := func(key string, dst *string) error {
		m, ok := v.Get(key)
		if !ok || m.Kind != canon.String {
			return fmt.Errorf("session header: %q must be a string", key)
		}
		*dst = m.Str
		return nil
	}
	flag := func(key string, dst *bool) error {
		m, ok := v.Get(key)
		if !ok || m.Kind != canon.Bool {
			return fmt.Errorf("session header: %q must be true or false", key)
		}
		*dst = m.Bool
		return nil
	}
	if err := errors.Join(str("session_dir", &h.SessionDir), str("sign_key", &h.SignKey),
		flag("integrity", &h.Integrity), flag("ledger", &h.Ledger)); err != nil {
		return nil, err
	}
	dir := h.SessionDir
	if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir {
		return nil, fmt.Errorf("session header: session_dir %q is not a clean absolute path", dir)
	}
	if err := session.ValidateID(filepath.Base(dir)); err != nil {
		return nil, fmt.Errorf("session header: session_dir %q: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("session header: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("session header: session_dir %s is not a directory", dir)
	}
	return h, nil
}
