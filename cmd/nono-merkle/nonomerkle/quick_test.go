package nonomerkle

import (
	"testing"

	"github.com/nono-audit/nono/lib/cli"
)

// nono run's last stage, and the usual pipeline flags, are read without
// building kong's model, to the same result as kong's.
func TestParsesQuickly(t *testing.T) {
	if err := cli.CheckQuickAccepts(func() any { return &CLI{} },
		[]string{"session", "--session-header"},
		[]string{"session", "--stdin", "--lenient", "--no-integrity"},
		[]string{},
	); err != nil {
		t.Error(err)
	}
	// DIR is an existing directory to kong, which checks it.
	if accepted, err := cli.CheckQuick(func() any { return &CLI{} }, []string{"session", "/nonexistent"}); accepted || err != nil {
		t.Errorf("session DIR: accepted %v, err %v", accepted, err)
	}
}

// The stage program runs the command kong would make of StageArgs.
func TestStageIsTheTools(t *testing.T) {
	if err := cli.CheckStage(func() any { return &CLI{} }, StageArgs, stage()); err != nil {
		t.Error(err)
	}
}
