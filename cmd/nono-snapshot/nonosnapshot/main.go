// Package nonosnapshot is the nono-snapshot command: its flags and what each
// subcommand wires together. cmd/nono-snapshot runs Main; the end-to-end tests
// run it in-process.
package nonosnapshot

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/session"
)

// Commands are what `nono rollback` offers.
type Commands struct {
	List    listCmd    `cmd:"" help:"List rollback sessions (those with file changes unless --all)."`
	Show    showCmd    `cmd:"" help:"Show a rollback session and its changes."`
	Restore restoreCmd `cmd:"" help:"Put the tracked files back as they were in a snapshot (default: before the session)."`
	Verify  verifyCmd  `cmd:"" help:"Verify a rollback session: the audit record, manifests, roots, every object, change lists, restores."`
	Cleanup cleanupCmd `cmd:"" help:"Remove old rollback sessions and the stored objects no other session uses."`
}

// CLI is nono-snapshot: the stages `nono run` calls around the command,
// and the commands.
type CLI struct {
	Begin  beginCmd  `cmd:"" help:"Take the baseline snapshot before the command runs."`
	End    endCmd    `cmd:"" help:"Take the final snapshot after the command exited; record the changes."`
	Finish finishCmd `cmd:"" help:"Copy the final session.json to the rollback directory; print the summary; offer to restore."`
	Commands
}

// ProgramEnv names the command the user typed when nono-snapshot runs
// for the nono wrapper: set to "nono rollback", the tool speaks of
// itself by that name and offers only what `nono rollback` does.
const ProgramEnv = cli.ProgramEnv

// Main runs nono-snapshot with os.Args and exits.
func Main() {
	os.Args = session.NewestArgs(os.Args) // a session ID of -1: the newest, not a flag
	if os.Getenv(ProgramEnv) == "nono rollback" {
		cli.Main("nono rollback", "Filesystem snapshots taken with `nono run --rollback`: list, show, restore, verify and clean them up.", &Commands{})
	}
	cli.Main("nono-snapshot", "Filesystem snapshots of nono sessions: integrity roots, rollback store, restore.", &CLI{})
}
