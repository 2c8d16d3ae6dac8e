package cli

import (
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// Building kong's model of a tool reads every struct tag of every
// command, and in a fresh process each byte that allocates is a page
// that faults in: about 100 page faults for a tool with several
// commands, on every start. A run names its command in its arguments,
// so the model leaves out the top-level commands these arguments cannot
// select (kong.IgnoreFields skips their whole subtree). If the pruned
// model does not parse the arguments, run parses them again with the
// whole model, so that an error reads as it always has.

// pruneOption returns the option that leaves out of grammar's model the
// top-level commands args cannot select, or nil to build all of it: when
// args may ask for help (which lists the commands), or when nothing would
// be left out.
//
// A command is kept when args[0] is its name or an alias; failing that,
// the default command is kept, alone, when no argument names any
// command (kong then selects the default or fails, either way without
// the others).
func pruneOption(grammar any, args []string) kong.Option {
	t := reflect.TypeOf(grammar)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.Name() == "" {
		return nil
	}
	others := unselected(t, args)
	if len(others) == 0 {
		return nil
	}
	for i, f := range others {
		others[i] = regexp.QuoteMeta(f)
	}
	return kong.IgnoreFields(`^` + regexp.QuoteMeta(t.Name()) + `\.(` + strings.Join(others, "|") + `)$`)
}

// unselected names the command fields of struct t that args cannot
// select (see pruneOption), or none.
func unselected(t reflect.Type, args []string) []string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" || strings.HasPrefix(a, "--help=") {
			return nil
		}
	}
	type command struct {
		field string
		names []string
		def   bool
	}
	var cmds []command
	for i := range t.NumField() {
		f := t.Field(i)
		if _, ok := f.Tag.Lookup("cmd"); !ok {
			continue
		}
		c := command{field: f.Name, names: []string{commandName(f)}, def: f.Tag.Get("default") != ""}
		if a := f.Tag.Get("aliases"); a != "" {
			c.names = append(c.names, strings.Split(a, ",")...)
		}
		cmds = append(cmds, c)
	}
	if len(cmds) < 2 {
		return nil
	}
	keep := -1
	if len(args) > 0 {
		for i, c := range cmds {
			if c.names[0] != "" && slices.Contains(c.names, args[0]) {
				keep = i
			}
		}
	}
	if keep < 0 {
		for _, a := range args {
			if a == "--" {
				break
			}
			for _, c := range cmds {
				if slices.Contains(c.names, a) {
					return nil // a command named later, after flags
				}
			}
		}
		for i, c := range cmds {
			if c.def {
				keep = i
			}
		}
		if keep < 0 {
			return nil
		}
	}
	var others []string
	for i, c := range cmds {
		if i != keep {
			others = append(others, c.field)
		}
	}
	return others
}

// commandName is the name kong gives a command field: its name tag, or
// the field's name in kong's kebab case.
func commandName(f reflect.StructField) string {
	if n := f.Tag.Get("name"); n != "" {
		return n
	}
	return kebab(f.Name)
}
