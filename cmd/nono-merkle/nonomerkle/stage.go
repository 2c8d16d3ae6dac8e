package nonomerkle

import "github.com/nono-audit/nono/lib/cli"

// StageProgram is nono-merkle's stage in nono run's recorder pipeline
// (nono-merkle session --session-header) as a program of its own,
// beside the tool (cmd/nono-merkle/nono-merkle-stage), which links only
// what the stage needs.
const StageProgram = "nono-merkle-stage"

// StageArgs are the stage's arguments to nono-merkle.
var StageArgs = []string{"session", "--session-header"}

// StageMain is StageProgram's main (lib/cli.StageMain): with StageArgs,
// the stage; with any other arguments, nono-merkle itself.
func StageMain() { cli.StageMain("nono-merkle", StageArgs, stage().Run) }

// stage is the command StageArgs select, as kong would fill it in (a
// test holds the two alike).
func stage() *sessionCmd { return &sessionCmd{SessionHeader: true} }
