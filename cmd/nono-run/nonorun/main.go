// Package nonorun is the nono-run command: its flags and what each
// subcommand wires together. cmd/nono-run runs Main; the end-to-end tests
// run it in-process.
package nonorun

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
)

// Main runs nono-run with os.Args and exits.
func Main() {
	if len(os.Args) > 1 && os.Args[1] == "plan" {
		// `plan` is only ever the first word: `nono-run -- plan` runs a
		// program called plan.
		os.Args = append(os.Args[:1:1], os.Args[2:]...)
		cli.Main("nono run", "Run COMMAND under the trusted supervisor and record the session: nono run [FLAGS] -- COMMAND [ARG...]. (nono-run plan checks these flags, creates the session and prints the plan as bash assignments; see docs/RUN.md.)", &planCLI{})
	}
	cli.Main("nono-run", "Run a command under the trusted supervisor and emit its raw audit events on --event-fd: nono-run [FLAGS] -- COMMAND [ARG...]. The flags of nono run are checked by `nono-run plan` (see docs/RUN.md).", &runCLI{})
}

// grantFlags are the directories the command is given; they decide the
// session's tracked paths.
type grantFlags struct {
	Allow    []string `short:"a" sep:"none" placeholder:"DIR" help:"Grant DIR read-write (repeatable). NONO_ALLOW (comma-separated) applies when no --allow is given."`
	Read     []string `short:"r" sep:"none" placeholder:"DIR" help:"Grant DIR read-only (repeatable)."`
	AllowCwd bool     `help:"Grant the working directory (read-only)."`
}

// command returns the command from a passthrough argument list as it
// was given: the same words taken from os.Args, since kong turns bytes
// that are not UTF-8 into U+FFFD and the child must get the exact bytes.
// The "--" kong keeps in front is dropped.
func command(parsed []string) []string {
	args := os.Args[len(os.Args)-len(parsed):]
	if len(args) > 0 && args[0] == "--" {
		return args[1:]
	}
	return args
}
