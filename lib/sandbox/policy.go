package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Store is a place a sandboxed command must never reach, not even to
// read: the audit root (sessions and the ledger), the rollback store,
// nono's configuration and keys. It need not exist yet.
type Store struct {
	Path string // absolute
	Name string // what it is, for messages: "audit root", ...
}

// Network is what the command may do on the network. The zero value is an
// open network, as upstream's default.
type Network struct {
	// RestrictTCP denies every TCP connect and bind (Landlock ABI 4 and
	// later) except to the ports listed below.
	RestrictTCP bool
	ConnectTCP  []uint16
	BindTCP     []uint16
	// UnixOnly refuses sockets of every family but AF_UNIX (seccomp:
	// UDP, raw, netlink and the rest, which Landlock does not cover), and
	// io_uring, which could create them behind seccomp's back.
	UnixOnly bool
}

// BlockNet is --block-net: no TCP, no other socket family but AF_UNIX.
func BlockNet() Network { return Network{RestrictTCP: true, UnixOnly: true} }

// Open reports whether the network is left alone.
func (n Network) Open() bool { return !n.RestrictTCP && !n.UnixOnly }

// Spec is what a run asks for, before it is checked.
type Spec struct {
	Grants    []Grant
	Cwd       string  // relative grants are taken from here
	Home      string  // "~/" of the deny groups; "" skips them
	Protected []Store // never granted
	Network   Network
	Filters   []Filter // extra seccomp programs (see Filter)
}

// Rule is one filesystem rule of a policy.
type Rule struct {
	Path   string // canonical
	Access Access
	File   bool   // a single file rather than a directory tree
	Source string // the flag, profile group or reason it came from
}

// Executable is what the policy must let the command execute.
type Executable struct {
	Path        string // the resolved command, canonical
	Interpreter string // for a #! script, the program its first line names
}

// Policy is a checked, complete sandbox: every rule the command gets.
type Policy struct {
	Rules     []Rule
	Network   Network
	TmpDir    string  // the command's private temporary directory ("" for none)
	Protected []Store // as checked, for the record
	Filters   []Filter
}

// RefusedError is a grant that would reach a deny group or a protected
// store. Nothing may run: it is a usage error (exit 2).
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

// Check resolves every grant (see Grant.Resolve) and refuses any that is,
// contains or lies inside an existing deny path or a protected store:
// Landlock can only allow, so a deny path inside a granted directory
// cannot be carved out of it. It returns the grants' canonical paths.
func (s *Spec) Check() ([]string, error) { return s.check(s.fences()) }

// check is Check against fences already found.
func (s *Spec) check(fences fences) ([]string, error) {
	paths := make([]string, len(s.Grants))
	for i, g := range s.Grants {
		p, err := g.Resolve(s.Cwd)
		if err != nil {
			return nil, err
		}
		if err := fences.check(p, g.Source+" "+g.Path); err != nil {
			return nil, err
		}
		paths[i] = p
	}
	return paths, nil
}

// Policy checks the spec and completes it into the rules a command gets:
// its grants, the executable's directory (or the executable alone, when
// its directory holds something no grant may reach) and its script
// interpreter, read-only; the private temporary directory tmpDir
// (read-write; "" for none); and the default profile's system groups.
func (s *Spec) Policy(exe Executable, tmpDir string) (*Policy, error) {
	// One look at the deny paths and stores for the grants and the rest.
	fences := s.fences()
	paths, err := s.check(fences)
	if err != nil {
		return nil, err
	}
	p := &Policy{Network: s.Network, TmpDir: tmpDir, Protected: s.Protected, Filters: s.Filters}
	index := map[string]int{}
	add := func(r Rule) {
		if i, ok := index[r.Path]; ok {
			p.Rules[i].Access |= r.Access
			if !strings.Contains(p.Rules[i].Source, r.Source) {
				p.Rules[i].Source += ", " + r.Source
			}
			return
		}
		index[r.Path] = len(p.Rules)
		p.Rules = append(p.Rules, r)
	}
	for i, g := range s.Grants {
		add(Rule{Path: paths[i], Access: g.Access, File: g.File, Source: g.Source})
	}
	if exe.Path != "" {
		if err := fences.check(exe.Path, "the command "+exe.Path); err != nil {
			return nil, err
		}
		dir := filepath.Dir(exe.Path)
		if fences.check(dir, "") == nil {
			add(Rule{Path: dir, Access: Read, Source: "executable"})
		} else {
			add(Rule{Path: exe.Path, Access: Read, File: true, Source: "executable"})
		}
	}
	system := resolver{}
	if exe.Interpreter != "" {
		if ip := system.resolve(exe.Interpreter); ip.ok && !p.covers(ip.path, Read) {
			if err := fences.check(ip.path, "the interpreter "+ip.path); err != nil {
				return nil, err
			}
			add(Rule{Path: ip.path, Access: Read, File: !ip.dir, Source: "interpreter"})
		}
	}
	if tmpDir != "" {
		if err := fences.check(tmpDir, "the temporary directory "+tmpDir); err != nil {
			return nil, err
		}
		add(Rule{Path: tmpDir, Access: ReadWrite, Source: "tmpdir"})
	}
	for _, grp := range []struct {
		group
		access Access
	}{{systemRead, Read}, {systemReadExtra, Read}, {systemWrite, ReadWrite}} {
		for _, sp := range grp.paths {
			cp := system.resolve(sp)
			if !cp.ok || Within(cp.path, "/proc") {
				continue
			}
			if err := fences.check(cp.path, "the default profile's "+sp); err != nil {
				return nil, err
			}
			add(Rule{Path: cp.path, Access: grp.access, File: !cp.dir, Source: grp.name})
		}
	}
	return p, nil
}

// covers reports whether a rule already gives access a to path.
func (p *Policy) covers(path string, a Access) bool {
	for _, r := range p.Rules {
		if r.Access&a == a && (r.Path == path || !r.File && Within(path, r.Path)) {
			return true
		}
	}
	return false
}

// Covers reports whether a rule of p gives access a to path (canonical).
func (p *Policy) Covers(path string, a Access) bool { return p.covers(path, a) }

// Unreachable returns a check of single paths against the deny groups
// and protected stores, as they stand now: for a path equal to or inside
// one, what it is. A supervisor that grants files one by one asks it
// before each grant.
func (s *Spec) Unreachable() func(path string) (what string, unreachable bool) {
	fs := s.fences()
	return func(p string) (string, bool) {
		for _, f := range fs {
			if Within(p, f.path) {
				return f.what, true
			}
		}
		return "", false
	}
}

// fence is a path no rule may equal, contain or enter.
type fence struct {
	path string // canonical where it exists, else as named
	what string // "deny path ~/.ssh (group deny_credentials)", "audit root"
}

type fences []fence

func (s *Spec) fences() fences {
	var fs fences
	if s.Home != "" {
		for _, g := range denyGroups {
			for _, d := range g.paths {
				p := filepath.Join(s.Home, strings.TrimPrefix(d, "~/"))
				if _, err := os.Lstat(p); err != nil {
					continue // upstream refuses only deny paths that exist
				}
				what := fmt.Sprintf("%s (deny group %s)", p, g.name)
				fs = append(fs, fence{p, what})
				if cp, ok := canonical(p); ok && cp != p {
					fs = append(fs, fence{cp, what})
				}
			}
		}
	}
	for _, st := range s.Protected {
		what := fmt.Sprintf("the %s %s", st.Name, st.Path)
		fs = append(fs, fence{filepath.Clean(st.Path), what})
		if cp := canonicalPrefix(st.Path); cp != filepath.Clean(st.Path) {
			fs = append(fs, fence{cp, what})
		}
	}
	return fs
}

// check refuses path p when it is, contains or lies inside a fence. A
// blank name only asks the question.
func (fs fences) check(p, name string) error {
	for _, f := range fs {
		switch {
		case Within(f.path, p):
			return &RefusedError{Msg: fmt.Sprintf("%s contains %s, which a sandboxed command must never reach; Landlock cannot carve a path out of a granted directory, so refusing to start (grant the directories you need beside it instead)", name, f.what)}
		case Within(p, f.path):
			return &RefusedError{Msg: fmt.Sprintf("%s lies inside %s, which a sandboxed command must never reach; refusing to start", name, f.what)}
		}
	}
	return nil
}

// canonical resolves every symbolic link of an existing path.
func canonical(p string) (string, bool) {
	cp, err := filepath.EvalSymlinks(p)
	return cp, err == nil
}

// canonicalPrefix resolves the longest existing prefix of p and keeps
// the rest as named, for places that may not exist yet.
func canonicalPrefix(p string) string {
	p = filepath.Clean(p)
	rest := ""
	for at := p; ; at = filepath.Dir(at) {
		if cp, ok := canonical(at); ok {
			return filepath.Join(cp, rest)
		}
		if filepath.Dir(at) == at {
			return p
		}
		rest = filepath.Join(filepath.Base(at), rest)
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
