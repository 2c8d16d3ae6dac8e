package cli

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"

	"github.com/alecthomas/kong"
)

// CheckQuick parses args into two fresh grammars made by newGrammar, one
// the quick way Main tries first and one with kong, and reports whether
// the quick way accepted args and, if it did, any difference between the
// commands the two selected and the values they set. A tool's tests call
// it with the argument lists its callers use, to hold both to the same
// result.
func CheckQuick(newGrammar func() any, args []string) (accepted bool, err error) {
	quick := newGrammar()
	path, _, ok := quickParse(quick, slices.Clone(args))
	if !ok {
		return false, nil
	}
	ctx, err := kongParse(newGrammar(), args)
	if err != nil {
		return true, fmt.Errorf("%w, the quick parse accepts", err)
	}
	var kpath []reflect.Value
	for n := ctx.Selected(); n != nil; n = n.Parent {
		kpath = append([]reflect.Value{n.Target}, kpath...)
	}
	if len(kpath) == 0 {
		kpath = []reflect.Value{ctx.Model.Target}
	}
	if len(kpath) != len(path) {
		return true, fmt.Errorf("%q: kong selects %d commands deep, the quick parse %d", args, len(kpath)-1, len(path)-1)
	}
	for i := range path {
		q, k := commandFlags(path[i]), commandFlags(kpath[i])
		if q.Type() != k.Type() {
			return true, fmt.Errorf("%q: kong selects %s, the quick parse %s", args, k.Type(), q.Type())
		}
		if !reflect.DeepEqual(q.Interface(), k.Interface()) {
			return true, fmt.Errorf("%q: %s differs:\nkong  %+v\nquick %+v", args, q.Type(), k.Interface(), q.Interface())
		}
	}
	return true, nil
}

// CheckQuickAccepts is CheckQuick over each of lists: an error names
// every list the quick way leaves to kong or reads otherwise than kong.
func CheckQuickAccepts(newGrammar func() any, lists ...[]string) error {
	var errs []error
	for _, args := range lists {
		accepted, err := CheckQuick(newGrammar, args)
		if err == nil && !accepted {
			err = fmt.Errorf("%q: left to kong", args)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// commandFlags is a copy of command struct v without its subcommands,
// which kong resets whether selected or not.
func commandFlags(v reflect.Value) reflect.Value {
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	for i := range v.NumField() {
		if _, ok := v.Type().Field(i).Tag.Lookup("cmd"); ok && c.Field(i).CanSet() {
			c.Field(i).Set(reflect.Zero(c.Field(i).Type()))
		}
	}
	return c
}

// CheckStage reports any difference between stage, the command a stage
// program builds without parsing (StageMain), and the command kong
// selects and fills in from args in a fresh grammar made by newGrammar.
func CheckStage(newGrammar func() any, args []string, stage any) error {
	ctx, err := kongParse(newGrammar(), args)
	if err != nil {
		return err
	}
	target := ctx.Model.Target
	if n := ctx.Selected(); n != nil {
		target = n.Target
	}
	got, want := reflect.ValueOf(stage).Elem(), commandFlags(target)
	if got.Type() != want.Type() || !reflect.DeepEqual(got.Interface(), want.Interface()) {
		return fmt.Errorf("%q: the stage program runs %T %+v, the tool %s %+v", args, stage, got.Interface(), want.Type(), want.Interface())
	}
	return nil
}

// kongParse parses args into grammar with kong, as Main would: an error
// if kong fails or would exit (help, version).
func kongParse(grammar any, args []string) (*kong.Context, error) {
	parser, err := kong.New(grammar, kongOptions("tool", "", io.Discard, io.Discard, &UI{Stdout: io.Discard, Stderr: io.Discard}, func(int) { panic(exitSignal{}) })...)
	if err != nil {
		return nil, fmt.Errorf("kong: %w", err)
	}
	var ctx *kong.Context
	if _, exited := catchExit(func() { ctx, err = parser.Parse(args) }); exited {
		return nil, fmt.Errorf("%q: kong exits (help or version)", args)
	}
	if err != nil {
		return nil, fmt.Errorf("%q: kong fails (%v)", args, err)
	}
	return ctx, nil
}
