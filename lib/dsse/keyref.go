package dsse

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
)

// maxKeyFile bounds what is read from a key file: a base64 P-256 key is
// 184 bytes, a PEM one about 250.
const maxKeyFile = 64 << 10

// KeyRef is a parsed secret reference: exactly one of Path (file://) and
// Env (env://) is set.
type KeyRef struct {
	Ref  string // as given
	Path string // absolute path of a file:// reference
	Env  string // variable name of an env:// reference
}

// ParseKeyRef parses a signing key reference. Supported: file:///ABS/PATH
// (validated as upstream does, §2.1 of the signing spec) and env://VAR.
// Keyring references (a bare name, keystore://, keyring://) and password
// manager schemes (op://, bw://, apple-password://) are recognised and
// refused with a pointer to the supported forms; cmd:// is refused
// outright, as upstream does.
func ParseKeyRef(ref string) (KeyRef, error) {
	switch {
	case ref == "":
		return KeyRef{}, errors.New("empty key reference")
	case strings.HasPrefix(ref, "file://"):
		p, err := parseFileURI(ref)
		if err != nil {
			return KeyRef{}, err
		}
		return KeyRef{Ref: ref, Path: p}, nil
	case strings.HasPrefix(ref, "env://"):
		name := strings.TrimPrefix(ref, "env://")
		if !validEnvName(name) {
			return KeyRef{}, fmt.Errorf("env:// reference needs a variable name of [A-Za-z0-9_] not starting with a digit, got: %s", ref)
		}
		return KeyRef{Ref: ref, Env: name}, nil
	case strings.HasPrefix(ref, "cmd://"):
		return KeyRef{}, fmt.Errorf("cmd:// key references are not allowed: %s", ref)
	}
	for _, scheme := range []string{"keystore://", "keyring://", "op://", "bw://", "apple-password://"} {
		if strings.HasPrefix(ref, scheme) {
			return KeyRef{}, fmt.Errorf("unsupported key reference %s: use file:///path or env://VAR", ref)
		}
	}
	if strings.Contains(ref, "://") {
		return KeyRef{}, fmt.Errorf("unrecognized key reference scheme: %s (expected file:///path or env://VAR)", ref)
	}
	return KeyRef{}, fmt.Errorf("unsupported key reference %s: system keystore names are not supported; use file:///path or env://VAR", ref)
}

func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseFileURI validates a file:// URI as upstream does and returns its
// path: absolute, not empty or `/` once trailing slashes are trimmed, no
// `..` component, none of NUL, newline, CR, `;`, backquote, `|`, `$`,
// `&`, `>`, `<`.
func parseFileURI(uri string) (string, error) {
	p, ok := strings.CutPrefix(uri, "file://")
	if !ok {
		return "", fmt.Errorf("not a file:// URI: %s", uri)
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("file:// URI must use an absolute path (file:///path), got: %s", uri)
	}
	if strings.TrimRight(p, "/") == "" {
		return "", fmt.Errorf("file:// URI path is empty: %s", uri)
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return "", fmt.Errorf("file:// URI must not contain path traversal (..): %s", uri)
		}
	}
	if i := strings.IndexAny(p, "\x00\n\r;`|$&><"); i >= 0 {
		return "", fmt.Errorf("file:// URI contains forbidden character %q: %q", p[i], uri)
	}
	return filepath.Clean(p), nil
}

// LoadSigningKey resolves ref (file:///path or env://VAR) and parses the
// ECDSA P-256 key it holds: base64 PKCS#8 DER as upstream writes it, or a
// PEM PRIVATE KEY block. getenv reads env:// variables (os.Getenv when
// nil). A file reference reads at most 64 KiB and strips one trailing
// newline (LF or CRLF).
func LoadSigningKey(ref string, getenv func(string) string) (*ecdsa.PrivateKey, error) {
	text, err := ReadKeyRef(ref, getenv)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(text)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", ref, err)
	}
	return k, nil
}

// ReadKeyRef resolves ref (file:///path or env://VAR) and returns the key
// text it holds, whatever its kind: a file reads at most 64 KiB and loses
// one trailing newline (LF or CRLF); an empty file or variable is an
// error. getenv reads env:// variables (os.Getenv when nil).
func ReadKeyRef(ref string, getenv func(string) string) ([]byte, error) {
	kr, err := ParseKeyRef(ref)
	if err != nil {
		return nil, err
	}
	if kr.Path != "" {
		text, err := readKeyFile(kr.Path)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", ref, err)
		}
		text = trimOneNewline(text)
		if len(text) == 0 {
			return nil, fmt.Errorf("signing key %s: file %s is empty", ref, kr.Path)
		}
		return text, nil
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	v := getenv(kr.Env)
	if strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("signing key %s: environment variable %s is unset or empty", ref, kr.Env)
	}
	return []byte(v), nil
}

// readKeyFile reads a small key file. Pipes are fine (a key passed as
// <(command)); the size bound stops an endless device.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	data, err := canon.ReadAll(f, maxKeyFile, path)
	if err != nil {
		return nil, fmt.Errorf("%w: not a key file", err)
	}
	return data, nil
}

// ReadPublicKeyFile reads a public key file (base64 DER .pub or PEM, LF
// or CRLF) and returns its DER bytes and the parsed P-256 key. Every
// failure is an error naming the file: an unreadable or undecodable key
// file is never treated as a mismatch.
func ReadPublicKeyFile(path string) ([]byte, *ecdsa.PublicKey, error) {
	text, err := readKeyFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read public key file: %w", err)
	}
	der, err := DecodePublicKeyText(text)
	if err != nil {
		return nil, nil, fmt.Errorf("public key file %s: %w", path, err)
	}
	pub, err := ParsePublicKey(der)
	if err != nil {
		return nil, nil, fmt.Errorf("public key file %s: %w", path, err)
	}
	return der, pub, nil
}

func trimOneNewline(b []byte) []byte {
	if n := len(b); n >= 2 && b[n-2] == '\r' && b[n-1] == '\n' {
		return b[:n-2]
	}
	if n := len(b); n >= 1 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// LoadPublicKey returns the public key of the signing key at ref. For a
// file:// reference it reads PATH.pub, as upstream's export-key does, when
// that file exists (the private key is then not read); otherwise, and for
// env://, it derives the key from the private key.
func LoadPublicKey(ref string, getenv func(string) string) (*ecdsa.PublicKey, error) {
	kr, err := ParseKeyRef(ref)
	if err != nil {
		return nil, err
	}
	if kr.Path != "" {
		pubPath := PublicKeyPath(kr.Path)
		if _, err := os.Stat(pubPath); err == nil {
			_, pub, err := ReadPublicKeyFile(pubPath)
			return pub, err
		}
	}
	priv, err := LoadSigningKey(ref, getenv)
	if err != nil {
		return nil, err
	}
	return &priv.PublicKey, nil
}
