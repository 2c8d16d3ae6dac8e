// Package capability lets a sandboxed command ask for files its grants do
// not cover, and records every answer.
//
// A seccomp filter (Filter) sends the command's open, openat and openat2
// calls to the supervisor as user notifications. The supervisor (Serve)
// reads the path from the command's memory and resolves it against the
// caller's working directory or directory descriptor. A path inside the
// static grants is let through unchanged (SECCOMP_USER_NOTIF_FLAG_CONTINUE:
// Landlock still decides). Any other path is a request: the protected
// stores and the deny groups are refused outright; the rest go to the
// approval backend (Approver). On a grant the supervisor opens the file
// itself, with exactly the access asked, and places the descriptor in the
// command (SECCOMP_IOCTL_NOTIF_ADDFD); otherwise the call fails with
// EACCES. Each request is one capability_decision event, written live.
package capability
