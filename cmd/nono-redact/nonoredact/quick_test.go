package nonoredact

import (
	"testing"

	"github.com/nono-audit/nono/lib/cli"
)

// nono run's first stage, and the usual pipeline flags, are read without
// building kong's model, to the same result as kong's.
func TestParsesQuickly(t *testing.T) {
	if err := cli.CheckQuickAccepts(func() any { return &CLI{} },
		[]string{"--session-header"},
		[]string{},
		[]string{"--rules", "upstream", "--config=/etc/nono.toml"},
		[]string{"--argv"},
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
