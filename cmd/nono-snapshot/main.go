// Command nono-snapshot takes the filesystem snapshots of a session
// (--audit-integrity and --rollback) and implements `nono rollback`:
// list, show, restore, verify and cleanup of rollback sessions.
package main

import "github.com/nono-audit/nono/lib/cli"

type CLI struct {
	Begin   beginCmd   `cmd:"" help:"Take the baseline snapshot before the command runs."`
	End     endCmd     `cmd:"" help:"Take the final snapshot after the command exited; record the changes."`
	Finish  finishCmd  `cmd:"" help:"Copy the final session.json to the rollback directory; print the summary; offer to restore."`
	List    listCmd    `cmd:"" help:"List rollback sessions (those with file changes unless --all)."`
	Show    showCmd    `cmd:"" help:"Show a rollback session and its changes."`
	Restore restoreCmd `cmd:"" help:"Put the tracked files back as they were in a snapshot (default: before the session)."`
	Verify  verifyCmd  `cmd:"" help:"Verify a rollback session: manifests, roots, every object, change lists."`
	Cleanup cleanupCmd `cmd:"" help:"Remove old rollback sessions."`
}

func main() {
	cli.Main("nono-snapshot", "Filesystem snapshots of nono sessions: integrity roots, rollback store, restore.", &CLI{})
}
