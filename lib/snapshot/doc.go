// Package snapshot records the filesystem side of a session: the
// baseline and final snapshots of the tracked roots (manifests in
// upstream nono's format, with the exclusions that made them), the list
// of changed paths, and, with a rollback store, a content-addressed copy
// of every file so the session can be undone.
//
// Begin, End and Finish are the stages `nono run` calls around the
// supervised command. Restore, Verify and SweepRoots back `nono
// rollback` (lib/session finds and lists sessions, lib/report renders
// them). ReadManifest, ReadChanges, ReadRestores, SessionChanges and
// ChangesTrust read and check the records for other tools.
// docs/ROLLBACK.md describes the formats and the safety rules.
package snapshot
