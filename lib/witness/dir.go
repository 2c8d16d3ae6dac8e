package witness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/checkpoint"
)

// DirStore keeps a witness's state in a directory: one subdirectory per
// origin (its name the origin with every byte outside [A-Za-z0-9._-]
// written %XX), holding
//
//	checkpoint                    the latest checkpoint, co-signed
//	refused-<UTC time>.json       the evidence of each refusal
//	lock                          serialises changes
//
// Directories are 0700, files 0600, and nothing is followed through a
// symbolic link.
type DirStore struct{ Dir string }

// Names of the files in an origin's directory.
const (
	heldName = "checkpoint"
	lockName = "lock"
)

// OriginDir returns the directory of origin in the store.
func (s DirStore) OriginDir(origin string) string {
	return filepath.Join(s.Dir, EscapeOrigin(origin))
}

// EscapeOrigin turns an origin into one safe file name (or S3 key
// segment): every byte outside [A-Za-z0-9._-], and a leading '.', is
// written %XX.
func EscapeOrigin(origin string) string {
	var b strings.Builder
	for i := 0; i < len(origin); i++ {
		c := origin[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' && i > 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Latest implements Store.
func (s DirStore) Latest(origin string) ([]byte, error) {
	data, err := readHeld(filepath.Join(s.OriginDir(origin), heldName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

func readHeld(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return checkpoint.Read(f, path)
}

// Replace implements Store, under a lock on the origin's directory.
func (s DirStore) Replace(origin string, prev, next []byte) error {
	dir, release, err := s.lock(origin)
	if err != nil {
		return err
	}
	defer release()
	cur, err := s.Latest(origin)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, prev) {
		return ErrChanged
	}
	return atomicfile.WriteFile(filepath.Join(dir, heldName), next, 0o600)
}

// Refused implements Store.
func (s DirStore) Refused(origin string, evidence []byte) (string, error) {
	dir, release, err := s.lock(origin)
	if err != nil {
		return "", err
	}
	defer release()
	base := filepath.Join(dir, "refused-"+time.Now().UTC().Format("20060102T150405Z"))
	for i := 1; i < 1000; i++ {
		name := base + ".json"
		if i > 1 {
			name = base + "-" + strconv.Itoa(i) + ".json"
		}
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			return name, atomicfile.WriteFile(name, evidence, 0o600)
		}
	}
	return "", fmt.Errorf("no free name for the evidence beside %s", base)
}

// lock creates the origin's directory if needed and takes its lock.
func (s DirStore) lock(origin string) (dir string, release func(), err error) {
	dir = s.OriginDir(origin)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("witness directory: %w", err)
	}
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return "", nil, fmt.Errorf("witness directory %s is not a directory", dir)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("witness lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return "", nil, fmt.Errorf("witness lock %s: %w", f.Name(), err)
	}
	return dir, func() { f.Close() }, nil
}
