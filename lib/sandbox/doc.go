// Package sandbox confines a command with Landlock (and seccomp where
// Landlock has no say): it turns grant flags into a checked Policy, refuses
// grants that would reach a deny group or a protected store, and applies
// the policy to a command: a supervised one enforces the Landlock ruleset
// itself between fork and exec, or a process enforces it just before it
// execs the command in place.
//
// Go runs no code of ours between fork and exec. Seccomp filters and
// no_new_privs belong to a thread, and a forked child inherits its
// forking thread's, so the supervisor guards one locked thread (never the
// main one, never unlocked again; GuardThread documents what that thread
// must then do and avoid) and forks from it a confining copy (a small
// program of lib/confine's, or its own program), which adds the rule for
// its own /proc/PID to the inherited ruleset, enforces it and execs the
// command (lib/confine): a Landlock rule is bound to an inode when it is
// added, and the command's /proc/PID does not exist before the fork.
// Every other thread of the supervisor stays unconfined.
//
// The pieces: grant.go (flags, resolution), profile.go (the default
// profile, deny groups), policy.go (Spec → Policy, the refusals),
// landlock.go (ABI, ruleset), seccomp.go (filters), apply.go (guarding a
// thread, enforcing the ruleset before an exec), record.go (policy.json and --dry-run).
//
// Extension points, each a field rather than a new code path:
//
//   - Network ports: Spec.Network (and Policy.Network) lists TCP ports
//     the command may connect to or bind when TCP is restricted, e.g. a
//     filtering proxy's port or --allow-port; Landlock allows exactly
//     those.
//   - Seccomp programs: Spec.Filters are installed on the launch thread
//     after nono's own filter; one with NewListener set returns its
//     user-notification descriptor from GuardThread, for the supervisor
//     to serve (SECCOMP_IOCTL_NOTIF_*). The program must check the
//     architecture itself.
//   - Anything the child needs in its environment is the caller's: the
//     policy only names its private TMPDIR.
package sandbox
