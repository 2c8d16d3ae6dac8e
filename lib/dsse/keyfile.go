package dsse

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nono-audit/nono/lib/atomicfile"
)

// ErrKeyExists reports that keygen would overwrite an existing key file.
var ErrKeyExists = errors.New("key file already exists (use --force to overwrite)")

// PublicKeyPath is where the public key of the key file at path lives:
// the suffix is appended (key.pem → key.pem.pub), as upstream does.
func PublicKeyPath(path string) string { return path + ".pub" }

// WriteKeyPair stores priv at path (base64 PKCS#8 DER) and its public key
// at path.pub (base64 SPKI DER), as WriteKeyFiles does.
func WriteKeyPair(path string, priv *ecdsa.PrivateKey, overwrite bool) error {
	privText, err := encodePrivateKey(priv)
	if err != nil {
		return err
	}
	pubText, err := EncodePublicKey(&priv.PublicKey)
	if err != nil {
		return err
	}
	return WriteKeyFiles(path, []byte(privText), []byte(pubText), overwrite)
}

// WriteKeyFiles stores the text of a private key at path and of its public
// key at path.pub, both mode 0600, as given. Missing parent directories
// are created with mode 0700.
//
// Each file is written to a temporary file, synced, and then moved into
// place: without overwrite by a hard link, which fails if the name exists
// (so two keygens cannot both win), with overwrite by a rename. Neither
// ever writes through a symlink at the target; a rename replaces the
// link itself. Without overwrite, an existing file at either name (a
// dangling symlink included) is an error wrapping ErrKeyExists and
// nothing is written; if the second file cannot be created, the first is
// removed again.
func WriteKeyFiles(path string, privText, pubText []byte, overwrite bool) error {
	pubPath := PublicKeyPath(path)
	if !overwrite {
		for _, p := range []string{path, pubPath} {
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("%s: %w", p, ErrKeyExists)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("check %s: %w", p, err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	if err := placeFile(path, privText, overwrite); err != nil {
		return err
	}
	if err := placeFile(pubPath, pubText, overwrite); err != nil {
		if !overwrite {
			os.Remove(path)
		}
		return err
	}
	return nil
}

// placeFile writes data to a synced 0600 temporary file beside path and
// moves it into place.
func placeFile(path string, data []byte, overwrite bool) error {
	if overwrite {
		return atomicfile.WriteFile(path, data, 0o600)
	}
	f, tmp, err := atomicfile.CreateTemp(filepath.Dir(path), 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrKeyExists)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}
