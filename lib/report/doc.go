// Package report writes what `nono audit` and `nono rollback` show a
// user, as text for people and as JSON for scripts and compliance tools:
// the session listings, one session's record (metadata, snapshots,
// changes with unified diffs, every event), and what a cleanup removed.
// It finds sessions through lib/session's store, reads snapshots through
// lib/snapshot, and prints every recorded string through human.Sanitize;
// it writes nothing to disk.
package report
