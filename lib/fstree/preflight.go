package fstree

import (
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// heavyNames are top-level directories a rollback snapshot leaves out by
// default, with the reason shown to the user.
var heavyNames = map[string]string{
	".git":         "VCS internals",
	"target":       "build artifacts",
	"node_modules": "dependencies",
	"__pycache__":  "Python bytecode cache",
	".venv":        "Python virtual environment",
	".tox":         "tox environments",
	"dist":         "distribution artifacts",
	"build":        "build output",
	".next":        "Next.js build",
	".nuxt":        "Nuxt.js build",
	".gradle":      "Gradle cache",
	".cache":       "cache directory",
}

// defaultHeavyFiles: a top-level directory holding more files than this
// is left out of a rollback snapshot.
const defaultHeavyFiles = 10_000

// PreflightOptions select what Preflight looks for.
type PreflightOptions struct {
	SkipDirs []string // --skip-dir names: always left out
	Auto     bool     // also the heavyNames and directories over MaxFiles
	MaxFiles int      // 0 means defaultHeavyFiles
}

// AutoExcluded is one directory Preflight chose to leave out.
type AutoExcluded struct {
	Path   string
	Reason string
}

// Preflight looks at the immediate subdirectories of each root that the
// rules do not already exclude and picks the heavy ones. The result names
// exact paths (to add to Rules.Paths), never names: one heavy top-level
// build/ must not exclude every build/ at any depth. A force-included
// name is never picked.
func Preflight(roots []string, rules *Rules, opts PreflightOptions) []AutoExcluded {
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = defaultHeavyFiles
	}
	skip := map[string]bool{}
	for _, s := range opts.SkipDirs {
		skip[s] = true
	}
	var out []AutoExcluded
	for _, root := range roots {
		rfd, err := OpenNoSymlinks(root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			continue
		}
		w := &walker{opts: Options{Rules: *rules, Warn: func(string) {}}, tree: &Tree{}, seenIgnore: map[string]bool{}}
		m := newMatcher(rules, root)
		dir := os.NewFile(uintptr(rfd), root)
		names, _ := dir.Readdirnames(-1)
		slices.Sort(names)
		if m.gitignore && m.frozen == nil {
			w.loadDirIgnores(m, rfd, root, names)
		}
		for _, name := range names {
			var st unix.Stat_t
			if unix.Fstatat(rfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
				continue
			}
			abs := join(root, name)
			if m.included(name) || m.excluded(abs, name, name, true) {
				continue
			}
			reason := ""
			switch {
			case skip[name]:
				reason = "user-defined skip directory"
			case !opts.Auto:
			case heavyNames[name] != "":
				reason = heavyNames[name]
			default:
				if n := countFiles(rfd, name, opts.MaxFiles+1); n > opts.MaxFiles {
					reason = "more than " + strconv.Itoa(opts.MaxFiles) + " files"
				}
			}
			if reason != "" {
				out = append(out, AutoExcluded{Path: abs, Reason: reason})
			}
		}
		dir.Close()
	}
	return out
}

// countFiles counts the non-directory entries below dirfd/name, stopping
// at limit. It never follows symlinks.
func countFiles(dirfd int, name string, limit int) int {
	fd, err := OpenBeneath(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return 0
	}
	d := os.NewFile(uintptr(fd), name)
	defer d.Close()
	n := 0
	for n < limit {
		ents, err := d.ReadDir(512)
		for _, e := range ents {
			if e.IsDir() {
				n += countFiles(fd, e.Name(), limit-n)
			} else {
				n++
			}
			if n >= limit {
				return n
			}
		}
		if err != nil {
			break
		}
	}
	return n
}
