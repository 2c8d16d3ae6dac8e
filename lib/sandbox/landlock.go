package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/confine"
)

// ABI returns the Landlock ABI version the kernel offers, 0 when it has
// none (too old, or Landlock not enabled). NONO_TEST_NO_LANDLOCK=1 in
// the environment makes it 0, so tests can exercise the unsandboxed path.
func ABI(getenv func(string) string) int {
	if getenv("NONO_TEST_NO_LANDLOCK") == "1" {
		return 0
	}
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}

// ABIName is the ABI as upstream writes it in sandbox_runtime: "V7".
func ABIName(abi int) string { return "V" + strconv.Itoa(abi) }

// rulesetAttr is struct landlock_ruleset_attr up to ABI 6's scoped field;
// older kernels accept the larger struct as long as what they do not know
// is zero.
type rulesetAttr struct {
	handledFS, handledNet, scoped uint64
}

type netPortAttr struct {
	allowed uint64
	port    uint64
}

// The filesystem rights each ABI handles: 1 has the thirteen basic ones,
// 2 adds REFER, 3 TRUNCATE, 5 IOCTL_DEV.
func fsRights(abi int) uint64 {
	r := uint64(unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_WRITE_FILE |
		unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR |
		unix.LANDLOCK_ACCESS_FS_REMOVE_DIR | unix.LANDLOCK_ACCESS_FS_REMOVE_FILE |
		unix.LANDLOCK_ACCESS_FS_MAKE_CHAR | unix.LANDLOCK_ACCESS_FS_MAKE_DIR |
		unix.LANDLOCK_ACCESS_FS_MAKE_REG | unix.LANDLOCK_ACCESS_FS_MAKE_SOCK |
		unix.LANDLOCK_ACCESS_FS_MAKE_FIFO | unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		unix.LANDLOCK_ACCESS_FS_MAKE_SYM)
	if abi >= 2 {
		r |= unix.LANDLOCK_ACCESS_FS_REFER
	}
	if abi >= 3 {
		r |= unix.LANDLOCK_ACCESS_FS_TRUNCATE
	}
	if abi >= 5 {
		r |= unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	}
	return r
}

// fileRights are the rights that apply to a file itself (the rest only to
// directories); a rule on a file may hold only these.
const fileRights = unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_WRITE_FILE |
	unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_TRUNCATE | unix.LANDLOCK_ACCESS_FS_IOCTL_DEV

const netTCP = unix.LANDLOCK_ACCESS_NET_BIND_TCP | unix.LANDLOCK_ACCESS_NET_CONNECT_TCP

// scopes: ABI 6 keeps signals and abstract UNIX sockets inside the domain.
func scopes(abi int) uint64 {
	if abi >= 6 {
		return unix.LANDLOCK_SCOPE_SIGNAL | unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
	}
	return 0
}

// rights maps a rule to Landlock rights. Read is upstream's read (files,
// directory listings, execution); write is upstream's write (files, and in
// a directory creating, renaming and removing entries), except that
// removing directories needs read+write. Device files, and directories
// of them under /dev, also get IOCTL_DEV with write (terminal ioctls).
func (r Rule) rights(abi int, device bool) uint64 {
	var x uint64
	if r.Access&Read != 0 {
		x |= unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR | unix.LANDLOCK_ACCESS_FS_EXECUTE
	}
	if r.Access&Write != 0 {
		x |= unix.LANDLOCK_ACCESS_FS_WRITE_FILE | unix.LANDLOCK_ACCESS_FS_TRUNCATE |
			unix.LANDLOCK_ACCESS_FS_MAKE_CHAR | unix.LANDLOCK_ACCESS_FS_MAKE_DIR |
			unix.LANDLOCK_ACCESS_FS_MAKE_REG | unix.LANDLOCK_ACCESS_FS_MAKE_SOCK |
			unix.LANDLOCK_ACCESS_FS_MAKE_FIFO | unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK |
			unix.LANDLOCK_ACCESS_FS_MAKE_SYM | unix.LANDLOCK_ACCESS_FS_REMOVE_FILE |
			unix.LANDLOCK_ACCESS_FS_REFER
		if r.Access&Read != 0 {
			x |= unix.LANDLOCK_ACCESS_FS_REMOVE_DIR
		}
		if device {
			x |= unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
		}
	}
	if r.File {
		x &= fileRights
	}
	return x & fsRights(abi)
}

// Ruleset is a Landlock ruleset made from a policy, ready to be enforced
// on a thread (ConfineThread) or a process about to exec (Exec).
type Ruleset struct {
	fd  int
	abi int
}

// Close releases the ruleset's descriptor (an enforced domain stays).
func (rs *Ruleset) Close() error {
	if rs == nil || rs.fd < 0 {
		return nil
	}
	err := unix.Close(rs.fd)
	rs.fd = -1
	return err
}

// Ruleset builds the Landlock ruleset of p for ABI abi. Each rule's path
// is opened without following any symbolic link, and the path the kernel
// reports for the open descriptor must be the one checked, so a directory
// swapped in since the policy was checked is refused rather than granted.
func (p *Policy) Ruleset(abi int) (*Ruleset, error) {
	if abi < 1 {
		return nil, errors.New("landlock is not available")
	}
	attr := rulesetAttr{handledFS: fsRights(abi), scoped: scopes(abi)}
	if p.Network.RestrictTCP && abi >= 4 {
		attr.handledNet = netTCP
	}
	fd, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if errno != 0 {
		return nil, fmt.Errorf("create landlock ruleset: %w", errno)
	}
	rs := &Ruleset{fd: int(fd), abi: abi}
	for _, r := range p.Rules {
		if err := rs.addPath(r); err != nil {
			rs.Close()
			return nil, err
		}
	}
	if attr.handledNet != 0 {
		for _, port := range p.Network.ConnectTCP {
			if err := rs.addPort(port, unix.LANDLOCK_ACCESS_NET_CONNECT_TCP); err != nil {
				rs.Close()
				return nil, err
			}
		}
		for _, port := range p.Network.BindTCP {
			if err := rs.addPort(port, unix.LANDLOCK_ACCESS_NET_BIND_TCP); err != nil {
				rs.Close()
				return nil, err
			}
		}
	}
	return rs, nil
}

func (rs *Ruleset) addPath(r Rule) error {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	fd, err := unix.Openat2(unix.AT_FDCWD, r.Path, &how)
	if err != nil {
		return fmt.Errorf("landlock rule for %s (%s): %w", r.Path, r.Source, err)
	}
	defer unix.Close(fd)
	if at, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err != nil || at != r.Path {
		return fmt.Errorf("landlock rule for %s (%s): the path changed while the sandbox was being built", r.Path, r.Source)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("landlock rule for %s: %w", r.Path, err)
	}
	mode := st.Mode & unix.S_IFMT
	if r.File != (mode != unix.S_IFDIR) {
		return fmt.Errorf("landlock rule for %s (%s): the path changed kind while the sandbox was being built", r.Path, r.Source)
	}
	device := mode == unix.S_IFCHR || mode == unix.S_IFBLK || mode == unix.S_IFDIR && Within(r.Path, "/dev")
	rights := r.rights(rs.abi, device)
	if rights == 0 {
		return nil
	}
	if err := confine.AddPathRule(rs.fd, fd, rights); err != nil {
		return fmt.Errorf("landlock rule for %s (%s): %w", r.Path, r.Source, err)
	}
	return nil
}

// addOwnProc lets the calling process read its own /proc/PID, which is
// what /proc/self names in it and in the program it execs: status, maps,
// fd, stat, cgroup, mountinfo, which many runtimes read. A Landlock rule
// is bound to the inode it names when it is added, and each process's
// /proc/PID is an inode of its own, so the rule names this process and no
// other: not its parent, not its own children (which get a PID, and a
// /proc entry, of their own).
func (rs *Ruleset) addOwnProc() error {
	return rs.addPath(Rule{Path: "/proc/" + strconv.Itoa(unix.Getpid()), Access: Read, Source: OwnProcSource})
}

// OwnProcSource is the source of the rule for the command's own /proc
// entry, as --dry-run and policy.json name it.
const OwnProcSource = "own /proc/PID"

// OwnProcRights are the rights of the rule for a process's own /proc/PID
// (see addOwnProc), for a confining copy (lib/confine) that adds it.
func (rs *Ruleset) OwnProcRights() uint64 {
	return Rule{Access: Read}.rights(rs.abi, false)
}

// File returns a duplicate of the ruleset's descriptor, for a confining
// copy (lib/confine) that enforces it itself; the caller closes it.
func (rs *Ruleset) File() (*os.File, error) {
	fd, err := unix.FcntlInt(uintptr(rs.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("duplicate the landlock ruleset: %w", err)
	}
	return os.NewFile(uintptr(fd), "landlock-ruleset"), nil
}

// ABI is the Landlock ABI the ruleset was made for.
func (rs *Ruleset) ABI() int { return rs.abi }

func (rs *Ruleset) addPort(port uint16, access uint64) error {
	attr := netPortAttr{allowed: access, port: uint64(port)}
	_, _, errno := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(rs.fd), ruleNetPort, uintptr(unsafe.Pointer(&attr)), 0, 0, 0)
	if errno != 0 {
		return fmt.Errorf("landlock rule for TCP port %d: %w", port, errno)
	}
	return nil
}

// restrictSelf enforces the ruleset on the calling thread (no_new_privs
// must already be set).
func (rs *Ruleset) restrictSelf() error {
	if err := confine.RestrictSelf(rs.fd); err != nil {
		return fmt.Errorf("landlock_restrict_self: %w", err)
	}
	return nil
}

// ruleNetPort is LANDLOCK_RULE_NET_PORT (ABI 4), which x/sys/unix lacks.
const ruleNetPort = 2
