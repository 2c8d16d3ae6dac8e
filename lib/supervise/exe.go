package supervise

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// LaunchError is why a command could not be started. Code is the status a
// shell gives the same failure: 127 when the command does not exist, 126
// when it exists but cannot be executed.
type LaunchError struct {
	Name string
	Code int
	Err  error
}

func (e *LaunchError) Error() string { return fmt.Sprintf("%s: %v", e.Name, e.Err) }
func (e *LaunchError) Unwrap() error { return e.Err }

// Statuses of a command that could not be started.
const (
	StatusCannotExecute = 126
	StatusNotFound      = 127
)

// defaultPath is searched when PATH is unset or empty (glibc's _CS_PATH).
const defaultPath = "/bin:/usr/bin"

// LookPath finds the file that name names, as execvp would: a name with a
// slash is taken relative to cwd; otherwise each PATH entry is tried in
// order (an empty entry is the current directory) for a regular file the
// caller may execute. The result is absolute but not canonical.
func LookPath(name, pathEnv, cwd string) (string, error) {
	if name == "" {
		return "", &LaunchError{Name: `""`, Code: StatusNotFound, Err: errors.New("empty command name")}
	}
	if strings.Contains(name, "/") {
		p := absolute(name, cwd)
		if err := executable(p); err != nil {
			return "", launchError(name, err)
		}
		return p, nil
	}
	if pathEnv == "" {
		pathEnv = defaultPath
	}
	var denied error
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := absolute(dir+"/"+name, cwd)
		err := executable(p)
		if err == nil {
			return p, nil
		}
		if errors.Is(err, unix.EACCES) && denied == nil {
			denied = err // like execvp: keep looking, report it if nothing else fits
		}
	}
	if denied != nil {
		return "", launchError(name, denied)
	}
	return "", &LaunchError{Name: name, Code: StatusNotFound, Err: errors.New("command not found")}
}

// absolute joins a relative p to cwd without cleaning: ".." must be
// resolved after the symbolic links before it, which EvalSymlinks does.
func absolute(p, cwd string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return strings.TrimSuffix(cwd, "/") + "/" + p
}

// executable checks that p is a regular file the caller may execute.
func executable(p string) error {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return unix.EISDIR
	default:
		return unix.EACCES
	}
	return unix.Faccessat(unix.AT_FDCWD, p, unix.X_OK, unix.AT_EACCESS)
}

func launchError(name string, err error) *LaunchError {
	code := StatusCannotExecute
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		code = StatusNotFound
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &LaunchError{Name: name, Code: code, Err: err}
}

// Executable is the open file a command will run from, and its identity.
// The file stays open from hashing to exec, and the child is executed
// through this descriptor, so the recorded hash is of the bytes the kernel
// loads, whatever happens to the path in between.
type Executable struct {
	Path   string // canonical: absolute, every symbolic link resolved
	SHA256 string // plain SHA-256 of the content, lowercase hex

	file      *os.File
	native    bool  // an ELF binary: runnable through a close-on-exec descriptor
	stamp     stamp // the file's state when it was hashed
	afterHash func(path string) error
}

// stamp is what fstat says about the open file. Any write to the inode
// changes size or ctime (which no one can set back without privilege),
// so a differing stamp means the content may have changed.
type stamp struct {
	size         int64
	mtime, ctime unix.Timespec
	mode         uint32
}

func fstamp(f *os.File) (stamp, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return stamp{}, err
	}
	return stamp{size: st.Size, mtime: st.Mtim, ctime: st.Ctim, mode: st.Mode}, nil
}

// maxAttempts bounds the retries when the file changes under us.
const maxAttempts = 3

// OpenExecutable resolves name (LookPath with pathEnv and cwd),
// canonicalises the result, opens it and hashes the open file. afterHash,
// when set, runs after every hash (a test hook).
func OpenExecutable(name, pathEnv, cwd string, afterHash func(path string) error) (*Executable, error) {
	p, err := LookPath(name, pathEnv, cwd)
	if err != nil {
		return nil, err
	}
	for range maxAttempts {
		canonical, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, launchError(name, err)
		}
		f, err := os.OpenFile(canonical, os.O_RDONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			return nil, launchError(name, err)
		}
		// The path must still name this very file: a symbolic link swapped
		// into it since EvalSymlinks would make the recorded path a lie.
		if at, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd()))); err != nil || at != canonical {
			f.Close()
			if err != nil {
				return nil, launchError(name, fmt.Errorf("cannot check the opened file (is /proc mounted?): %w", err))
			}
			continue
		}
		e := &Executable{Path: canonical, file: f, afterHash: afterHash}
		if err := e.check(); err != nil {
			f.Close()
			return nil, launchError(name, err)
		}
		if err := e.Rehash(); err != nil {
			f.Close()
			return nil, &LaunchError{Name: name, Code: StatusCannotExecute, Err: err}
		}
		return e, nil
	}
	return nil, &LaunchError{Name: name, Code: StatusCannotExecute, Err: errors.New("the path kept changing while it was being resolved")}
}

// check refuses what exec would refuse anyway, with a clearer message.
func (e *Executable) check() error {
	var st unix.Stat_t
	if err := unix.Fstat(int(e.file.Fd()), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.New("not a regular file")
	}
	return nil
}

// Rehash hashes the open file again (from offset 0, leaving the
// descriptor's offset alone) and records its state. It retries while the
// file changes during hashing.
func (e *Executable) Rehash() error {
	for range maxAttempts {
		before, err := fstamp(e.file)
		if err != nil {
			return fmt.Errorf("stat executable %s: %w", e.Path, err)
		}
		var magic [4]byte
		n, _ := e.file.ReadAt(magic[:], 0)
		h := sha256.New()
		buf := make([]byte, 64<<10)
		if _, err := io.CopyBuffer(h, io.NewSectionReader(e.file, 0, 1<<62), buf); err != nil {
			return fmt.Errorf("read executable %s: %w", e.Path, err)
		}
		after, err := fstamp(e.file)
		if err != nil {
			return fmt.Errorf("stat executable %s: %w", e.Path, err)
		}
		if before != after {
			continue
		}
		e.SHA256 = hex.EncodeToString(h.Sum(nil))
		e.native = n == 4 && bytes.Equal(magic[:], []byte("\x7fELF"))
		e.stamp = after
		if e.afterHash != nil {
			if err := e.afterHash(e.Path); err != nil {
				return fmt.Errorf("test hook after hashing: %w", err)
			}
		}
		return nil
	}
	return fmt.Errorf("executable %s kept changing while it was being hashed", e.Path)
}

// Changed reports whether the open file may have changed since it was last
// hashed. Called just before exec; when true, Rehash and record again.
func (e *Executable) Changed() (bool, error) {
	now, err := fstamp(e.file)
	if err != nil {
		return false, fmt.Errorf("stat executable %s: %w", e.Path, err)
	}
	return now != e.stamp, nil
}

// interpreter returns the program a #! script names ("" for anything
// else), for error messages.
func (e *Executable) interpreter() string {
	var line [256]byte
	n, _ := e.file.ReadAt(line[:], 0)
	if n < 2 || string(line[:2]) != "#!" {
		return ""
	}
	first, _, _ := bytes.Cut(line[2:n], []byte("\n"))
	fields := strings.Fields(string(first))
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

// Close releases the descriptor.
func (e *Executable) Close() error { return e.file.Close() }

// target is what to execute and the extra file the child needs. An ELF
// binary runs through /proc/self/fd/N of the supervisor's own descriptor:
// the forked child still holds it at exec time (it is close-on-exec, so
// the kernel opens the binary through it and then closes it: nothing
// leaks). A script or any other format needs its interpreter to open the
// file again by that name after exec, so it gets the descriptor as fd 3,
// inheritable, and runs as /proc/self/fd/3 (the interpreter's $0).
func (e *Executable) target() (path string, extra *os.File) {
	if e.native {
		return "/proc/self/fd/" + strconv.Itoa(int(e.file.Fd())), nil
	}
	return "/proc/self/fd/3", e.file
}
