// Package atomicfile replaces files so that readers see the old bytes or the
// new bytes, never a mix, even across a crash: write a temporary file in the
// same directory, fsync it, rename it over the target, fsync the directory.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// TempPrefix starts the name of every temporary file this package creates,
// so cleanup code can recognise leftovers of a crash.
const TempPrefix = ".tmp-"

// WriteFile atomically replaces path with data, created with mode perm.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Replace is WriteFile without the final directory fsync: readers still
// see the old bytes or the new, never a mix, and the new bytes are on disk
// before the rename, but after a power loss the rename itself may be
// undone, leaving the previous version. Callers that write the same
// directory several times (a directory fsync costs milliseconds) call
// SyncDir once when the last version must be durable.
func Replace(path string, data []byte, perm os.FileMode) error {
	return ReplaceWith(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// ReplaceWith is Replace with the content written by fill, which may
// stream it.
func ReplaceWith(path string, perm os.FileMode, fill func(io.Writer) error) error {
	return write(path, perm, fill, syncFile)
}

// Draft is ReplaceWith without any fsync: readers still see the old bytes
// or the new, never a mix, but after a power loss the file may be missing
// or empty. It is for a first version that a synced replacement follows
// before anything depends on it being on disk (each fsync costs
// milliseconds).
func Draft(path string, perm os.FileMode, fill func(io.Writer) error) error {
	return write(path, perm, fill, syncNothing)
}

// Write atomically replaces path with what fill writes. If fill fails,
// the target is left untouched and the temporary file removed.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) error {
	return write(path, perm, fill, syncFileAndDir)
}

// How much of a write is made durable before write returns.
type durability int

const (
	syncNothing    durability = iota
	syncFile                  // the new bytes, before the rename
	syncFileAndDir            // and the rename
)

func write(path string, perm os.FileMode, fill func(io.Writer) error, sync durability) (err error) {
	dir := filepath.Dir(path)
	f, tmp, err := CreateTemp(dir, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if sync >= syncFile {
		if err = f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", tmp, err)
		}
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if sync < syncFileAndDir {
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
		}
		return nil
	}
	return commit(tmp, path)
}

// CreateTemp creates a new temporary file in dir with mode perm (exactly,
// regardless of umask), refusing to follow or reuse an existing name.
func CreateTemp(dir string, perm os.FileMode) (*os.File, string, error) {
	for range 16 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, "", err
		}
		name := filepath.Join(dir, TempPrefix+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if err := f.Chmod(perm); err != nil { // umask may have narrowed it
			f.Close()
			os.Remove(name)
			return nil, "", err
		}
		return f, name, nil
	}
	return nil, "", fmt.Errorf("create temporary file in %s: too many collisions", dir)
}

// commit renames a finished, synced temporary file over path and syncs the
// directory so the rename itself survives a crash.
func commit(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory, making renames and creations in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
