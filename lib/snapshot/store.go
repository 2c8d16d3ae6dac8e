package snapshot

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/fstree"
)

// Store is a content-addressed object store: objects/<first byte as 2
// hex>/<remaining 62 hex>, each object the raw bytes whose SHA-256 names
// it, mode 0600.
//
// The sessions of one rollback root (the default one, or a
// --rollback-dest) share one store, <root>/.objects, so a session costs
// only the content that no earlier session of the root already stored.
// An object's references are the manifests that name it; cleanup removes
// only objects that no manifest of the root names (sweepObjects). A
// session directory with objects/ of its own (recorded by upstream, or by
// a version before the shared store) keeps using that.
//
// An object is made by copying the source into a temporary file (a
// reflink where the filesystem has them, else copy_file_range, else a
// read/write loop) and hashing the bytes of the copy, or, for the plain
// loop, the very bytes written to it. The name therefore always matches
// the content, even if the source changed while it was copied: a
// manifest can never point at a missing or wrong object.
type Store struct {
	dir     string // the objects directory
	shared  bool   // the rollback root's store, not the session's own
	shardMu sync.Mutex
	shards  map[string]bool

	// What this filesystem turned out not to support; tried once.
	noClone     atomic.Bool
	noCopyRange atomic.Bool

	newMu   sync.Mutex
	created []string // objects written since the last Sync
}

// sharedObjectsDir, in a rollback root, is the object store its sessions
// share. A leading dot keeps it from ever being a session ID.
const sharedObjectsDir = ".objects"

// lockFileName, in the shared store, serialises cleanup's sweep with the
// sessions that are adding objects or reading them.
const lockFileName = ".lock"

// OpenStore opens the object store of the rollback session directory
// dir: its own objects/ when it has one, else the shared store of its
// rollback root (created if needed).
func OpenStore(dir string) (*Store, error) {
	own := filepath.Join(dir, objectsDir)
	if fi, err := os.Lstat(own); err == nil && fi.IsDir() {
		return &Store{dir: own, shards: map[string]bool{}}, nil
	}
	shared := filepath.Join(filepath.Dir(dir), sharedObjectsDir)
	if err := mkdirPrivate(shared); err != nil {
		return nil, err
	}
	return &Store{dir: shared, shared: true, shards: map[string]bool{}}, nil
}

// Dir is the objects directory.
func (s *Store) Dir() string { return s.dir }

// lock holds the shared store's lock until unlock is called: shared by
// the sessions that add or read objects, exclusive for the sweep, which
// therefore never removes an object a session is about to name in a
// manifest or to restore from. A session's own store needs no lock.
func (s *Store) lock(exclusive bool) (unlock func(), err error) {
	if !s.shared {
		return func() {}, nil
	}
	f, err := os.OpenFile(filepath.Join(s.dir, lockFileName), os.O_RDONLY|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the object store: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the object store %s: %w", s.dir, err)
	}
	return func() { f.Close() }, nil
}

// ObjectPath is where the object h lives.
func (s *Store) ObjectPath(h fstree.Hash) string {
	x := hex.EncodeToString(h[:])
	return filepath.Join(s.dir, x[:2], x[2:])
}

// File stores the content of src (an open regular file, read from offset
// 0) and returns the SHA-256 of the stored bytes and their number. It
// implements fstree.Sink.
func (s *Store) File(src *os.File, buf []byte, read func(n int64)) (fstree.Hash, int64, error) {
	tmp, name, err := s.createTemp()
	if err != nil {
		return fstree.Hash{}, 0, fmt.Errorf("create object: %w", err)
	}
	h, n, err := s.copyHashed(src, tmp, buf, read)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", name, cerr)
	}
	if err != nil {
		os.Remove(name)
		return fstree.Hash{}, n, err
	}
	return h, n, s.commit(name, h)
}

// Bytes stores a small in-memory content.
func (s *Store) Bytes(b []byte) (fstree.Hash, error) {
	h := fstree.Hash(sha256.Sum256(b))
	if s.has(h) {
		return h, nil
	}
	tmp, name, err := s.createTemp()
	if err != nil {
		return h, fmt.Errorf("create object: %w", err)
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return h, fmt.Errorf("write object: %w", err)
	}
	return h, s.commit(name, h)
}

// createTemp makes a new temporary object, open for reading and writing
// (the copy is read back to be hashed), named like atomicfile's
// temporaries so cleanup code recognises crash leftovers.
func (s *Store) createTemp() (*os.File, string, error) {
	for range 16 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, "", err
		}
		name := filepath.Join(s.dir, atomicfile.TempPrefix+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("create temporary object in %s: too many collisions", s.dir)
}

// copyHashed fills dst with the content of src and hashes what dst holds.
func (s *Store) copyHashed(src, dst *os.File, buf []byte, read func(n int64)) (fstree.Hash, int64, error) {
	if !s.noClone.Load() {
		err := unix.IoctlFileClone(int(dst.Fd()), int(src.Fd()))
		if err == nil {
			return hashFrom(dst, buf, read)
		}
		if !unsupported(err) {
			return fstree.Hash{}, 0, fmt.Errorf("clone into object: %w", err)
		}
		s.noClone.Store(true)
	}
	if !s.noCopyRange.Load() {
		n, err := copyRange(src, dst)
		if err == nil {
			h, m, err := hashFrom(dst, buf, read)
			if err == nil && m != n {
				err = fmt.Errorf("object copy holds %d bytes, %d were copied", m, n)
			}
			return h, m, err
		}
		if !unsupported(err) || n > 0 {
			return fstree.Hash{}, 0, err
		}
		s.noCopyRange.Store(true)
	}
	h := sha256.New()
	n, err := teeCopy(h, dst, src, buf, read)
	if err != nil {
		return fstree.Hash{}, n, err
	}
	var out fstree.Hash
	h.Sum(out[:0])
	return out, n, nil
}

// unsupported reports errors meaning "this filesystem (pair) cannot do
// that", after which the next method is tried.
func unsupported(err error) bool {
	for _, e := range []error{unix.EOPNOTSUPP, unix.ENOTTY, unix.EXDEV, unix.EINVAL, unix.ENOSYS, unix.EBADF, unix.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// copyRange copies src to dst in the kernel with copy_file_range.
func copyRange(src, dst *os.File) (int64, error) {
	var total int64
	var srcOff, dstOff int64
	for {
		n, err := unix.CopyFileRange(int(src.Fd()), &srcOff, int(dst.Fd()), &dstOff, 1<<30, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return total, err
		}
		if n == 0 {
			return total, nil
		}
		total += int64(n)
	}
}

// teeCopy reads src once, feeding every byte to the hash and to dst.
func teeCopy(h hash.Hash, dst io.Writer, src io.Reader, buf []byte, read func(n int64)) (int64, error) {
	var n int64
	for {
		k, rerr := src.Read(buf)
		if k > 0 {
			h.Write(buf[:k])
			if _, err := dst.Write(buf[:k]); err != nil {
				return n, fmt.Errorf("write object: %w", err)
			}
			n += int64(k)
			if read != nil {
				read(int64(k))
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, &fstree.SourceError{Err: rerr}
		}
	}
}

// hashFrom hashes the content of f from offset 0.
func hashFrom(f *os.File, buf []byte, read func(n int64)) (fstree.Hash, int64, error) {
	h := sha256.New()
	var off int64
	for {
		k, err := f.ReadAt(buf, off)
		h.Write(buf[:k])
		off += int64(k)
		if read != nil && k > 0 {
			read(int64(k))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fstree.Hash{}, off, fmt.Errorf("read back object copy: %w", err)
		}
	}
	var out fstree.Hash
	h.Sum(out[:0])
	return out, off, nil
}

// commit moves a finished temporary object to its name, or drops it when
// the object already exists (same name, same content).
func (s *Store) commit(tmp string, h fstree.Hash) error {
	final := s.ObjectPath(h)
	shard := filepath.Dir(final)
	s.shardMu.Lock()
	if !s.shards[shard] {
		if err := os.Mkdir(shard, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			s.shardMu.Unlock()
			os.Remove(tmp)
			return fmt.Errorf("create %s: %w", shard, err)
		}
		s.shards[shard] = true
	}
	s.shardMu.Unlock()
	if fi, err := os.Lstat(final); err == nil && fi.Mode().IsRegular() {
		os.Remove(tmp)
		return nil
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store object %s: %w", fstree.Hex(h), err)
	}
	s.newMu.Lock()
	s.created = append(s.created, final)
	s.newMu.Unlock()
	return nil
}

// has reports whether object h exists.
func (s *Store) has(h fstree.Hash) bool {
	fi, err := os.Lstat(s.ObjectPath(h))
	return err == nil && fi.Mode().IsRegular()
}

// Open opens object h for reading, refusing a symlink in its place.
func (s *Store) Open(h fstree.Hash) (*os.File, error) {
	p := s.ObjectPath(h)
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("object %s is missing", fstree.Hex(h))
		}
		return nil, fmt.Errorf("open object %s: %w", fstree.Hex(h), err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("object %s is not a regular file", fstree.Hex(h))
	}
	return f, nil
}

// check re-hashes object h, streaming, and returns the bytes read; read,
// when not nil, is told of them as they are.
func (s *Store) check(h fstree.Hash, buf []byte, read func(n int64)) (int64, error) {
	f, err := s.Open(h)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	got, n, err := hashFrom(f, buf, read)
	if err != nil {
		return n, fmt.Errorf("object %s: %w", fstree.Hex(h), err)
	}
	if got != h {
		return n, fmt.Errorf("object %s is corrupt: its content hashes to %s", fstree.Hex(h), fstree.Hex(got))
	}
	return n, nil
}

// syncEachLimit: up to this many new objects are synced one by one;
// beyond it one syncfs is cheaper (each fsync of a new file is a journal
// commit of its own; syncfs is one for all, though it also flushes
// unrelated dirty data of the filesystem).
const syncEachLimit = 16

// sync makes every object written since the last sync durable, before a
// manifest that refers to them is committed.
func (s *Store) sync() error {
	s.newMu.Lock()
	created := s.created
	s.created = nil
	s.newMu.Unlock()
	if len(created) == 0 {
		return nil
	}
	if len(created) > syncEachLimit {
		fd, err := unix.Open(s.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("sync object store: %w", err)
		}
		defer unix.Close(fd)
		if err := unix.Syncfs(fd); err != nil {
			return fmt.Errorf("sync object store: %w", err)
		}
		return nil
	}
	dirs := map[string]bool{}
	for _, p := range created {
		if err := syncPath(p, unix.O_RDONLY); err != nil {
			return err
		}
		dirs[filepath.Dir(p)] = true
	}
	for d := range dirs {
		if err := syncPath(d, unix.O_RDONLY|unix.O_DIRECTORY); err != nil {
			return err
		}
	}
	return syncPath(s.dir, unix.O_RDONLY|unix.O_DIRECTORY)
}

func syncPath(p string, flags int) error {
	fd, err := unix.Open(p, flags|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", p, err)
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil {
		return fmt.Errorf("sync %s: %w", p, err)
	}
	return nil
}
