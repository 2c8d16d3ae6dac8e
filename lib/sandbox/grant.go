package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Access is what a rule lets the command do beneath a path.
type Access uint8

const (
	// Read: read files, list directories, execute programs.
	Read Access = 1 << iota
	// Write: write and truncate files; in a directory also create,
	// rename and delete entries. A write-only directory grant cannot
	// remove directories (upstream's -w).
	Write

	ReadWrite = Read | Write
)

func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	case ReadWrite:
		return "read+write"
	}
	return "none"
}

// Grant is one grant flag as given on the command line.
type Grant struct {
	Path   string // as given; relative paths are taken from the working directory
	Access Access
	File   bool   // a single file (--allow-file, --read-file, --write-file)
	Source string // the flag or variable it came from, for messages and policy.json
}

// Writable reports whether the grant lets the command write.
func (g Grant) Writable() bool { return g.Access&Write != 0 }

// GrantFlags are the grant flags of `nono run` and `nono wrap`.
type GrantFlags struct {
	Allow, Read, Write             []string // directories
	AllowFile, ReadFile, WriteFile []string // single files
	AllowCwd                       bool     // the working directory, read-only
}

// Grants lists the grants in a fixed order: -a/--allow (or, as upstream's
// flag parser does when no --allow is given, NONO_ALLOW's comma-separated
// directories), -r/--read, -w/--write, the file flags, then --allow-cwd.
func (f GrantFlags) Grants(getenv func(string) string, cwd string) []Grant {
	var gs []Grant
	add := func(paths []string, a Access, file bool, source string) {
		for _, p := range paths {
			gs = append(gs, Grant{Path: p, Access: a, File: file, Source: source})
		}
	}
	if len(f.Allow) == 0 {
		for _, p := range strings.Split(getenv("NONO_ALLOW"), ",") {
			if p != "" {
				gs = append(gs, Grant{Path: p, Access: ReadWrite, Source: "NONO_ALLOW"})
			}
		}
	}
	add(f.Allow, ReadWrite, false, "--allow")
	add(f.Read, Read, false, "--read")
	add(f.Write, Write, false, "--write")
	add(f.AllowFile, ReadWrite, true, "--allow-file")
	add(f.ReadFile, Read, true, "--read-file")
	add(f.WriteFile, Write, true, "--write-file")
	if f.AllowCwd {
		gs = append(gs, Grant{Path: cwd, Access: Read, Source: "--allow-cwd"})
	}
	return gs
}

// Args turns grants back into flags (values attached with '=', so none can
// be taken for a flag), for a later stage that must apply the same ones.
func Args(grants []Grant) []string {
	var args []string
	for _, g := range grants {
		switch g.Source {
		case "--allow-cwd":
			args = append(args, "--allow-cwd")
			continue
		case "NONO_ALLOW":
			args = append(args, "--allow="+g.Path)
			continue
		}
		args = append(args, g.Source+"="+g.Path)
	}
	return args
}

// Resolve returns the grant's canonical path (absolute, every symbolic
// link resolved), checking that it exists, is a directory or a file as
// the flag says, and is valid UTF-8 (the record cannot hold anything
// else). Errors name the flag.
func (g Grant) Resolve(cwd string) (string, error) {
	if !utf8.ValidString(g.Path) {
		return "", fmt.Errorf("%s %q: path is not valid UTF-8, so it cannot be recorded", g.Source, g.Path)
	}
	if g.Path == "" {
		return "", fmt.Errorf("%s: empty path", g.Source)
	}
	p, err := filepath.EvalSymlinks(absolute(g.Path, cwd))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("%s %q: %w", g.Source, g.Path, err)
	}
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", g.Source, g.Path, err)
	}
	switch {
	case g.File && st.IsDir():
		return "", fmt.Errorf("%s %q: is a directory (grant directories with the directory flags)", g.Source, g.Path)
	case !g.File && !st.IsDir():
		return "", fmt.Errorf("%s %q: not a directory (grant single files with the -file flags)", g.Source, g.Path)
	}
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("%s %q: resolves to %q, which is not valid UTF-8, so it cannot be recorded", g.Source, g.Path, p)
	}
	return p, nil
}

// absolute joins a relative p to cwd without cleaning: ".." must be
// resolved after the symbolic links before it, which EvalSymlinks does.
func absolute(p, cwd string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return strings.TrimSuffix(cwd, "/") + "/" + p
}

// Within reports whether path p is dir or lies beneath it, component-wise.
func Within(p, dir string) bool {
	if p == dir || dir == "/" {
		return true
	}
	return strings.HasPrefix(p, dir+"/")
}
