package nonochain

import (
	"testing"

	"github.com/nono-audit/nono/lib/cli"
)

// nono run's second stage, and the usual pipeline flags, are read
// without building kong's model, to the same result as kong's.
func TestParsesQuickly(t *testing.T) {
	if err := cli.CheckQuickAccepts(func() any { return &CLI{} },
		[]string{"--session-header"},
		[]string{},
		[]string{"record", "--log", "audit-events.ndjson"},
		[]string{"--max-line=4096", "--resume", "log"},
	); err != nil {
		t.Error(err)
	}
}

// The stage program runs the command kong would make of StageArgs.
func TestStageIsTheTools(t *testing.T) {
	if err := cli.CheckStage(func() any { return &CLI{} }, StageArgs, stage()); err != nil {
		t.Error(err)
	}
}
