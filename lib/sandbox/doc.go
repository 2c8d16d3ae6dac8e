// Package sandbox confines a command with Landlock (and seccomp where
// Landlock has no say): it turns grant flags into a checked Policy, refuses
// grants that would reach a deny group or a protected store, and applies
// the policy to one OS thread just before that thread forks the command,
// or to the process just before it execs the command in place.
//
// Go runs no code of ours between fork and exec. Landlock domains,
// no_new_privs and seccomp filters belong to a thread, and a forked child
// inherits its forking thread's, so the supervisor confines one locked
// thread (never the main one, never unlocked again) and forks from it;
// every other thread of the supervisor stays unconfined. ConfineThread
// documents what that thread must then do and avoid.
//
// The pieces: grant.go (flags, resolution), profile.go (the default
// profile, deny groups), policy.go (Spec → Policy, the refusals),
// landlock.go (ABI, ruleset), seccomp.go (filters), apply.go (confining a
// thread, exec in place), record.go (policy.json and --dry-run).
//
// Extension points, each a field rather than a new code path:
//
//   - Network ports: Spec.Network (and Policy.Network) lists TCP ports
//     the command may connect to or bind when TCP is restricted, e.g. a
//     filtering proxy's port or --allow-port; Landlock allows exactly
//     those.
//   - Seccomp programs: Spec.Filters are installed on the confined thread
//     after nono's own filter; one with NewListener set returns its
//     user-notification descriptor from ConfineThread, for the supervisor
//     to serve (SECCOMP_IOCTL_NOTIF_*). The program must check the
//     architecture itself.
//   - Anything the child needs in its environment is the caller's: the
//     policy only names its private TMPDIR.
package sandbox
