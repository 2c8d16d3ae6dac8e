package nonoredact

import (
	"testing"

	"github.com/nono-audit/nono/lib/cli"
)

// nono run's first stage, and the usual pipeline flags, are read without
// building kong's model, to the same result as kong's.
func TestParsesQuickly(t *testing.T) {
	for _, args := range [][]string{
		{"--session-header"},
		{},
		{"--rules", "upstream", "--config=/etc/nono.toml"},
		{"--argv"},
	} {
		accepted, err := cli.CheckQuick(func() any { return &CLI{} }, args)
		if err != nil {
			t.Error(err)
		} else if !accepted {
			t.Errorf("%q: left to kong", args)
		}
	}
}
