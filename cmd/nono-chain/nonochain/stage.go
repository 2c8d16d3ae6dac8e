package nonochain

import "github.com/nono-audit/nono/lib/cli"

// StageProgram is nono-chain's stage in nono run's recorder pipeline
// (nono-chain --session-header) as a program of its own, beside the tool
// (cmd/nono-chain/nono-chain-stage), which links only what the stage needs.
const StageProgram = "nono-chain-stage"

// StageArgs are the stage's arguments to nono-chain.
var StageArgs = []string{"--session-header"}

// StageMain is StageProgram's main (lib/cli.StageMain): with StageArgs,
// the stage; with any other arguments, nono-chain itself.
func StageMain() { cli.StageMain("nono-chain", StageArgs, stage().Run) }

// stage is the command StageArgs select, as kong would fill it in (a
// test holds the two alike).
func stage() *recordCmd { return &recordCmd{SessionHeader: true, MaxLine: 16 << 20} }
