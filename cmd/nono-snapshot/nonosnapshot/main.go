// Package nonosnapshot is the nono-snapshot command: its flags and what each
// subcommand wires together. cmd/nono-snapshot runs Main; the end-to-end tests
// run it in-process.
package nonosnapshot

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/session"
)

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

// Main runs nono-snapshot with os.Args and exits.
func Main() {
	os.Args = session.NewestArgs(os.Args) // a session ID of -1: the newest, not a flag
	cli.Main("nono-snapshot", "Filesystem snapshots of nono sessions: integrity roots, rollback store, restore.", &CLI{})
}
