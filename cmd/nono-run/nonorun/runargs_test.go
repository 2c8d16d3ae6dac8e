package nonorun

import (
	"reflect"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// viaKong is what nono-run's supervise mode makes of args.
func viaKong(t *testing.T, args []string) *runCLI {
	t.Helper()
	c := &runCLI{}
	parser, err := kong.New(c, kong.Name("nono-run"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.Parse(append(append([]string{}, args...), "--", "command")); err != nil {
		t.Fatalf("kong: %v", err)
	}
	c.Command = nil
	return c
}

func viaDecode(t *testing.T, args []string) *runCLI {
	t.Helper()
	c := &runCLI{EventFD: 3} // kong's default
	if err := c.decode(args); err != nil {
		t.Fatalf("decode %q: %v", args, err)
	}
	return c
}

// TestDecodeEveryFlag gives each flag of runCLI's kong model a value and
// checks that decode reads it as kong does: a flag added to runCLI fails
// here until decode knows it.
func TestDecodeEveryFlag(t *testing.T) {
	parser, err := kong.New(&runCLI{}, kong.Name("nono-run"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var all []string
	for _, f := range parser.Model.Flags {
		if f.Name == "help" {
			continue
		}
		var arg string
		switch typ := f.Target.Type(); {
		case typ.Kind() == reflect.Bool:
			arg = "--" + f.Name
		case f.Name == "session-dir":
			arg = "--session-dir=" + dir
		case f.Enum != "":
			arg = "--" + f.Name + "=" + strings.Split(f.Enum, ",")[0]
		case typ.String() == "time.Duration":
			arg = "--" + f.Name + "=1m30s"
		case typ.Kind() == reflect.Int:
			arg = "--" + f.Name + "=7"
		case typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.Uint16:
			arg = "--" + f.Name + "=8080"
		case typ.Kind() == reflect.String || typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.String:
			arg = "--" + f.Name + "=/some/" + f.Name
		default:
			t.Fatalf("--%s: a flag of type %s: teach decode and this test about it", f.Name, typ)
		}
		t.Run(f.Name, func(t *testing.T) {
			if got, want := viaDecode(t, []string{arg}), viaKong(t, []string{arg}); !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\ndecode %+v\nkong   %+v", arg, got, want)
			}
		})
		all = append(all, arg)
	}
	if got, want := viaDecode(t, all), viaKong(t, all); !reflect.DeepEqual(got, want) {
		t.Errorf("all flags at once:\ndecode %+v\nkong   %+v", got, want)
	}
}

// TestDecodeAsKong: flags as a plan writes them, lists repeated.
func TestDecodeAsKong(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		nil,
		{"--allow=/a", "--allow=/b", "--read=/usr", "--read-file=/etc/hosts", "--allow-cwd"},
		{"--allow=/w", "--rollback", "--block-net", "--protect=/p", "--protect=/q", "--scrub-env=KEY", "--silent"},
		{"--allow-domain=example.com", "--deny-domain=*.bad.example", "--allow-port=22", "--allow-port=0", "--allow-bind=0"},
		{"--approve=policy:/etc/p.toml", "--approve-timeout=2m", "--allow-open-url=mailto:", "--event-fd=9", "--session-dir=" + dir},
		{"--no-audit", "--allow-unsandboxed", "--allow=a=b"},
	} {
		if got, want := viaDecode(t, args), viaKong(t, args); !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\ndecode %+v\nkong   %+v", args, got, want)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"--bogus=1"},
		{"--allow"},
		{"--silent=true"},
		{"-s"},
		{"command"},
		{"--allow-port=65536"},
		{"--approve-timeout=soon"},
		{"--event-fd=three"},
		{"--catch-signal=TERM"},
	} {
		if err := (&runCLI{}).decode(args); err == nil {
			t.Errorf("decode %q: no error", args)
		}
	}
}
