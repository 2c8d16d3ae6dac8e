package session

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// UnsafeRootError names a store root that another local user could
// change: a session planted there would then verify. Like ssh's
// StrictModes and gpg's permission checks, such a root is refused.
type UnsafeRootError struct {
	Root   string // the root as configured
	Dir    string // the directory at fault (the root or a parent)
	Reason string
}

func (e *UnsafeRootError) Error() string {
	what := "it"
	if e.Dir != e.Root {
		what = "its parent " + e.Dir
	}
	return fmt.Sprintf("refusing the store root %s: %s %s (another user could plant or swap sessions there; fix the ownership or mode, or choose another root)", e.Root, what, e.Reason)
}

// CheckRoot refuses a root that is a symbolic link, or that (or an
// existing parent, up to $HOME when the root is inside it, else up to /)
// is owned by someone other than the user or root, or is writable by
// group or others; a parent with the sticky bit (/tmp) may be writable
// by others, the root itself may not. Parts not yet created are skipped:
// they are made 0700.
func CheckRoot(root string) error {
	root = filepath.Clean(root)
	fi, err := os.Lstat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("check the store root %s: %w", root, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return &UnsafeRootError{Root: root, Dir: root, Reason: "is a symbolic link"}
	}
	home := filepath.Clean(os.Getenv("HOME"))
	uid := uint32(os.Geteuid())
	for dir := root; ; dir = filepath.Dir(dir) {
		var st unix.Stat_t
		err := unix.Stat(dir, &st)
		if err == nil {
			if reason := unsafeDir(&st, uid, dir == root); reason != "" {
				return &UnsafeRootError{Root: root, Dir: dir, Reason: reason}
			}
		} else if !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("check the store root %s: %s: %w", root, dir, err)
		}
		if dir == home && strings.HasPrefix(root, home+"/") || dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// unsafeDir says what is wrong with a directory of a root's path, or "".
func unsafeDir(st *unix.Stat_t, uid uint32, isRoot bool) string {
	if st.Uid != uid && st.Uid != 0 {
		return fmt.Sprintf("is owned by uid %d, not by you (uid %d) or root", st.Uid, uid)
	}
	if st.Mode&0o022 == 0 || !isRoot && st.Mode&unix.S_ISVTX != 0 {
		return ""
	}
	return fmt.Sprintf("is writable by group or others (mode %04o)", st.Mode&0o7777)
}
