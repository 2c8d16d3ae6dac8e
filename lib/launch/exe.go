package launch

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

// Error is why a command could not be started. Code is the status a
// shell gives the same failure: 127 when the command does not exist, 126
// when it exists but cannot be executed.
type Error struct {
	Name string
	Code int
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Name, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

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
	_, abs, err := lookPath(name, pathEnv, cwd)
	return abs, err
}

// lookPath is LookPath that also returns the path as a shell passes it to
// execve (name itself, or the PATH entry as written joined to name), which
// is what a script sees as $0 and what names the process.
func lookPath(name, pathEnv, cwd string) (execPath, abs string, err error) {
	if name == "" {
		return "", "", &Error{Name: `""`, Code: StatusNotFound, Err: errors.New("empty command name")}
	}
	if strings.Contains(name, "/") {
		p := absolute(name, cwd)
		if err := executable(p); err != nil {
			return "", "", errorFor(name, err)
		}
		return name, p, nil
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
			return dir + "/" + name, p, nil
		}
		if errors.Is(err, unix.EACCES) && denied == nil {
			denied = err // like execvp: keep looking, report it if nothing else fits
		}
	}
	if denied != nil {
		return "", "", errorFor(name, denied)
	}
	return "", "", &Error{Name: name, Code: StatusNotFound, Err: errors.New("command not found")}
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

func errorFor(name string, err error) *Error {
	code := StatusCannotExecute
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		code = StatusNotFound
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{Name: name, Code: code, Err: err}
}

// Executable is a command resolved for launch: the file its path named
// when it was resolved (held open), whether it is an ELF binary, and, once
// it has been executed, the identity of what runs.
//
// The command is executed by path, as a shell would, so it sees its own
// name in argv[0], $0 and /proc/PID/comm. What ran is identified with the
// child stopped at its exec (see Child): for a binary, /proc/PID/exe is
// the file the kernel mapped, and the kernel refuses to open a running
// executable for writing (ETXTBSY), so hashing it then is hashing exactly
// what runs. A script is hashed before the exec; at the stop it must
// still be the same unchanged file at its path, and the interpreter the
// kernel started for it is identified like a binary.
type Executable struct {
	Path     string // canonical: absolute, every symbolic link resolved
	ExecPath string // as given to execve: the name typed, or PATH's entry joined to it
	Script   bool   // not ELF: a #! script (or another format the kernel hands to an interpreter)
	SHA256   string // plain SHA-256 of the content, lowercase hex: a script's at hashing, a binary's once Identify ran

	// Interpreter is, for a script, the program the kernel ran for it
	// (for `#!/usr/bin/env python3`, env), identified at the exec.
	Interpreter *Identity

	file       *os.File
	absPath    string // ExecPath made absolute
	dev, ino   uint64
	stamp      stamp  // a script's state when it was hashed
	interp     string // the program a script's #! line names
	beforeExec func(path string) error
}

// Identity is a file that ran, as recorded.
type Identity struct {
	Path   string
	SHA256 string
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

// MaxAttempts bounds the retries when the file changes under us (here,
// and between a launch and its identification at the exec).
const MaxAttempts = 3

// Open resolves name (LookPath with pathEnv and cwd),
// canonicalises the result, opens it, tells a binary from a script, and
// hashes a script. beforeExec, when set, runs last (a test hook).
func Open(name, pathEnv, cwd string, beforeExec func(path string) error) (*Executable, error) {
	execPath, p, err := lookPath(name, pathEnv, cwd)
	if err != nil {
		return nil, err
	}
	for range MaxAttempts {
		canonical, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, errorFor(name, err)
		}
		// Opened with unix.Open, not os.OpenFile: a regular file gains
		// nothing from the runtime's poller, and setting the poller up
		// costs every start a few system calls.
		fd, err := unix.Open(canonical, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, errorFor(name, err)
		}
		f := os.NewFile(uintptr(fd), canonical)
		// The path must still name this very file: a symbolic link swapped
		// into it since EvalSymlinks would make the recorded path a lie.
		if at, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd()))); err != nil || at != canonical {
			f.Close()
			if err != nil {
				return nil, errorFor(name, fmt.Errorf("cannot check the opened file (is /proc mounted?): %w", err))
			}
			continue
		}
		e := &Executable{Path: canonical, ExecPath: execPath, absPath: p, file: f, beforeExec: beforeExec}
		if err := e.inspect(); err != nil {
			f.Close()
			return nil, errorFor(name, err)
		}
		if e.Script {
			if e.SHA256, e.stamp, err = hashFile(f, canonical); err != nil {
				f.Close()
				return nil, &Error{Name: name, Code: StatusCannotExecute, Err: err}
			}
		}
		if beforeExec != nil {
			if err := beforeExec(canonical); err != nil {
				f.Close()
				return nil, &Error{Name: name, Code: StatusCannotExecute, Err: fmt.Errorf("test hook before exec: %w", err)}
			}
		}
		return e, nil
	}
	return nil, &Error{Name: name, Code: StatusCannotExecute, Err: errors.New("the path kept changing while it was being resolved")}
}

// inspect refuses what exec would refuse anyway, with a clearer message,
// and reads the file's kind and its #! line.
func (e *Executable) inspect() error {
	var st unix.Stat_t
	if err := unix.Fstat(int(e.file.Fd()), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.New("not a regular file")
	}
	e.dev, e.ino = st.Dev, st.Ino
	var head [256]byte
	n, _ := e.file.ReadAt(head[:], 0)
	e.Script = !bytes.HasPrefix(head[:n], []byte("\x7fELF"))
	if bytes.HasPrefix(head[:n], []byte("#!")) {
		first, _, _ := bytes.Cut(head[2:n], []byte("\n"))
		if fields := strings.Fields(string(first)); len(fields) > 0 {
			e.interp = fields[0]
		}
	}
	return nil
}

// ScriptInterpreter is the program a #! script names ("" for anything
// else): it must be executable inside the sandbox.
func (e *Executable) ScriptInterpreter() string { return e.interp }

// hashFile hashes f from offset 0 (leaving its offset alone) and returns
// the state it hashed, retrying while the file changes during hashing.
func hashFile(f *os.File, name string) (string, stamp, error) {
	buf := make([]byte, 64<<10)
	for range MaxAttempts {
		before, err := fstamp(f)
		if err != nil {
			return "", stamp{}, fmt.Errorf("stat %s: %w", name, err)
		}
		h := sha256.New()
		if _, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, 1<<62), buf); err != nil {
			return "", stamp{}, fmt.Errorf("read %s: %w", name, err)
		}
		after, err := fstamp(f)
		if err != nil {
			return "", stamp{}, fmt.Errorf("stat %s: %w", name, err)
		}
		if before == after {
			return hex.EncodeToString(h.Sum(nil)), after, nil
		}
	}
	return "", stamp{}, fmt.Errorf("%s kept changing while it was being hashed", name)
}

// Identify records what process pid, stopped at the exec of e, runs. It
// returns false when that is not the file e resolved (replaced at the
// path since, or, for a script, changed since it was hashed): the caller
// kills the stopped process and launches again.
func (e *Executable) Identify(pid int) (bool, error) {
	exe := "/proc/" + strconv.Itoa(pid) + "/exe"
	f, err := os.Open(exe)
	if err != nil {
		return false, fmt.Errorf("identify the command at exec: %w", err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false, fmt.Errorf("identify the command at exec: %w", err)
	}
	if !e.Script {
		if st.Dev != e.dev || st.Ino != e.ino {
			return false, nil
		}
		sum, _, err := hashFile(f, e.Path)
		if err != nil {
			return false, err
		}
		e.SHA256 = sum
		return true, nil
	}
	if now, err := fstamp(e.file); err != nil || now != e.stamp {
		return false, nil
	}
	var at unix.Stat_t
	if err := unix.Stat(e.absPath, &at); err != nil || at.Dev != e.dev || at.Ino != e.ino {
		return false, nil
	}
	path, err := os.Readlink(exe)
	if err != nil {
		return false, fmt.Errorf("identify the interpreter at exec: %w", err)
	}
	sum, _, err := hashFile(f, path)
	if err != nil {
		return false, err
	}
	e.Interpreter = &Identity{Path: path, SHA256: sum}
	return true, nil
}

// Close releases the descriptor.
func (e *Executable) Close() error { return e.file.Close() }
