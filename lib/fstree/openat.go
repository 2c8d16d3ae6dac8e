package fstree

import (
	"errors"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenBeneath opens rel (a relative, '/'-separated path) below the
// directory dirfd without following a symlink in any component, the last
// one included, and without leaving dirfd's subtree. It uses openat2 with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS where the kernel has it, else walks
// the components one openat(O_NOFOLLOW) at a time; both are immune to a
// directory being swapped for a symlink while we work. rel "" reopens
// dirfd itself.
func OpenBeneath(dirfd int, rel string, flags int, mode uint32) (int, error) {
	flags |= unix.O_CLOEXEC | unix.O_NOFOLLOW
	if rel == "" {
		rel = "."
	}
	how := unix.OpenHow{
		Flags:   uint64(flags),
		Mode:    uint64(mode),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	if flags&(unix.O_CREAT|unix.O_TMPFILE) == 0 {
		how.Mode = 0
	}
	fd, err := unix.Openat2(dirfd, rel, &how)
	for errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
		fd, err = unix.Openat2(dirfd, rel, &how)
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
		return fd, err
	}
	return openByComponents(dirfd, rel, flags, mode)
}

// OpenNoSymlinks opens an absolute path that must not contain a symlink
// in any component (a canonical tracked root, say).
func OpenNoSymlinks(path string, flags int, mode uint32) (int, error) {
	if !strings.HasPrefix(path, "/") {
		return -1, unix.EINVAL
	}
	root, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(root)
	return OpenBeneath(root, strings.TrimPrefix(path, "/"), flags, mode)
}

func openByComponents(dirfd int, rel string, flags int, mode uint32) (int, error) {
	comps := strings.Split(rel, "/")
	cur, err := unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	for i, c := range comps {
		if c == ".." {
			unix.Close(cur)
			return -1, unix.EXDEV
		}
		if c == "" || c == "." {
			if i < len(comps)-1 {
				continue
			}
			next, err := unix.Openat(cur, ".", flags, mode)
			unix.Close(cur)
			return next, err
		}
		if i == len(comps)-1 {
			next, err := unix.Openat(cur, c, flags, mode)
			unix.Close(cur)
			return next, err
		}
		next, err := unix.Openat(cur, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(cur)
		if err != nil {
			return -1, err
		}
		cur = next
	}
	return cur, nil
}
