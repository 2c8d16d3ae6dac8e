package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// TmpBase is where temporary directories are made: $TMPDIR when it is an
// absolute directory, else /tmp.
func TmpBase(getenv func(string) string) string {
	if t := getenv("TMPDIR"); filepath.IsAbs(t) && isDir(t) {
		return t
	}
	return "/tmp"
}

// PrivateTmpDir makes a fresh directory (0700) under base for one
// session's command, which gets it as TMPDIR instead of the shared /tmp.
// The caller removes it when the session ends.
func PrivateTmpDir(base string) (string, error) {
	dir, err := os.MkdirTemp(base, "nono-session-")
	if err != nil {
		return "", fmt.Errorf("private temporary directory: %w", err)
	}
	cp, err := filepath.EvalSymlinks(dir)
	if err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("private temporary directory: %w", err)
	}
	return cp, nil
}

// UserTmpDir returns base/nono-UID, a directory (0700) only this user can
// enter, made if missing: the TMPDIR of commands run in place (`nono wrap`,
// `nono run --no-audit`), which nothing outlives to remove a fresh one.
// It is shared by those commands, never by another user or a session.
func UserTmpDir(base string) (string, error) {
	uid := os.Getuid()
	dir := filepath.Join(base, "nono-"+strconv.Itoa(uid))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("temporary directory: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return "", fmt.Errorf("temporary directory: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != uid || st.Mode&0o077 != 0 {
		return "", fmt.Errorf("temporary directory %s is not a directory of its own that only user %d can enter; remove it", dir, uid)
	}
	cp, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("temporary directory: %w", err)
	}
	return cp, nil
}
