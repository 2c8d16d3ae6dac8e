// Package supervise runs one command the way a trusted supervisor must:
// it finds the executable, hashes the very file it is about to run and
// runs that open file (so no one can swap it in between), keeps the
// terminal and job control working for the child, forwards signals, makes
// sure the child cannot outlive the supervisor, reaps it, and records the
// session: raw audit events on a file descriptor and the supervisor's own
// fields of session.json.
//
// The pieces, one file each: exe.go (resolution and identity), child.go
// (spawn, signals, job control), terminal.go, watchdog.go (the child's
// process group dies with the supervisor), events.go (whole-line event
// writes that survive a dead reader), paths.go (tracked paths) and run.go
// (a whole session).
package supervise
