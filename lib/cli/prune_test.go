package cli

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
)

type pruneGrammar struct {
	Flag       bool         `help:"A flag."`
	Alpha      pruneCommand `cmd:"" default:"withargs" help:"The default."`
	Beta       pruneCommand `cmd:"" aliases:"b" help:"Has an alias."`
	GammaDelta pruneCommand `cmd:"" help:"Two words."`
	FS         pruneCommand `cmd:"" name:"fs" help:"Named."`
}

type pruneCommand struct {
	Args []string `arg:"" optional:""`
	Opt  string   `help:"An option."`
}

func (c *pruneCommand) Run(ui *UI) error {
	ui.Printf("%v %s\n", c.Args, c.Opt)
	return nil
}

type acronymGrammar struct {
	Alpha pruneCommand `cmd:"" default:"withargs"`
	S3    pruneCommand `cmd:""` // "s-3", as kong splits it
}

func TestUnselected(t *testing.T) {
	all := []string{"Alpha", "Beta", "GammaDelta", "FS"}
	but := func(keep string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == keep })
	}
	for _, tc := range []struct {
		grammar any
		args    []string
		want    []string
	}{
		{pruneGrammar{}, []string{"beta", "x"}, but("Beta")},
		{pruneGrammar{}, []string{"b"}, but("Beta")},
		{pruneGrammar{}, []string{"gamma-delta"}, but("GammaDelta")},
		{pruneGrammar{}, []string{"fs", "--opt", "beta"}, but("FS")},
		{pruneGrammar{}, []string{"--opt=x", "y"}, but("Alpha")},
		{pruneGrammar{}, []string{}, but("Alpha")},
		{pruneGrammar{}, []string{"x", "--", "beta"}, but("Alpha")},
		// A command named after flags, or help: all.
		{pruneGrammar{}, []string{"--flag", "beta"}, nil},
		{pruneGrammar{}, []string{"--help"}, nil},
		{pruneGrammar{}, []string{"beta", "-h"}, nil},
		{acronymGrammar{}, []string{"x"}, []string{"S3"}},
		{acronymGrammar{}, []string{"s-3"}, []string{"Alpha"}},
		{acronymGrammar{}, []string{"alpha", "x"}, []string{"S3"}},
	} {
		got := unselected(reflect.TypeOf(tc.grammar), tc.args)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%T %q: left out %q, want %q", tc.grammar, tc.args, got, tc.want)
		}
	}
}

// A pruned model parses what the whole one does, and a run it cannot
// parse fails with the whole model's words.
func TestPrunedRunsAlike(t *testing.T) {
	for _, tc := range []struct {
		args []string
		out  string
		code int
	}{
		{[]string{"beta", "x", "--opt", "o"}, "[x] o\n", 0},
		{[]string{"x", "y"}, "[x y] \n", 0},
		{[]string{"gamma-delta", "--bogus"}, "", 2},
		{[]string{"--flag", "fs", "z"}, "[z] \n", 0},
	} {
		var out, errb bytes.Buffer
		code := run("tool", "A tool.", &pruneGrammar{}, tc.args, &out, &errb)
		if code != tc.code || out.String() != tc.out {
			t.Errorf("%q: exit %d, stdout %q (stderr %q), want %d %q", tc.args, code, out.String(), errb.String(), tc.code, tc.out)
		}
		if tc.code != 0 && !bytes.Contains(errb.Bytes(), []byte("unknown flag --bogus")) {
			t.Errorf("%q: stderr %q", tc.args, errb.String())
		}
	}
}
