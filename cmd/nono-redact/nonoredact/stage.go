package nonoredact

import "github.com/nono-audit/nono/lib/cli"

// StageProgram is nono-redact's stage in nono run's recorder pipeline
// (nono-redact --session-header) as a program of its own, beside the tool
// (cmd/nono-redact/nono-redact-stage), which links only what the stage needs.
const StageProgram = "nono-redact-stage"

// StageArgs are the stage's arguments to nono-redact.
var StageArgs = []string{"--session-header"}

// StageMain is StageProgram's main (lib/cli.StageMain): with StageArgs,
// the stage; with any other arguments, nono-redact itself.
func StageMain() { cli.StageMain("nono-redact", StageArgs, stage().Run) }

// stage is the command StageArgs select, as kong would fill it in (a
// test holds the two alike).
func stage() *CLI { return &CLI{SessionHeader: true} }
