package cli

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// quickGrammar has a field of every kind quickParse reads, and some it
// leaves to kong.
type quickGrammar struct {
	Top   bool         `help:"A flag of the root."`
	Alpha quickAll     `cmd:"" default:"withargs" help:"The default."`
	Beta  quickStrict  `cmd:"" aliases:"b,alpha" help:"An alias, and one that is another's name."`
	Gamma quickNest    `cmd:"" help:"Has subcommands."`
	FS    quickStrict  `cmd:"" name:"fs"`
	Hook  quickHooked  `cmd:"" help:"Has a hook."`
	Typed quickMapped  `cmd:"" help:"Has a flag of a type with methods."`
	Plain quickNoUI    `cmd:"" help:"Runs without a UI."`
	NoRun quickEmbeds  `cmd:"" help:"Has no Run method."`
	S3Put quickPartial `cmd:"" help:"A name kong splits its own way."`
	Pass  quickPass    `cmd:"" passthrough:"" help:"Takes its arguments unparsed."`
}

type quickPass struct {
	Args []string `arg:"" optional:"" passthrough:""`
}

func (*quickPass) Run(*UI) error { return nil }

type quickEmbeds struct {
	Shared string `help:"From an embedded struct."`
	hidden string // kong skips unexported fields
}

type quickAll struct {
	quickEmbeds
	Name   string        `short:"n"`
	Count  int           `default:"3"`
	Small  int8          `short:"s"`
	BigOne uint64        `name:"big-one"`
	Port   []uint16      `sep:"none"`
	List   []string      `help:"Split on commas by kong."`
	Raw    []string      `sep:"none" short:"r"`
	Ptr    *string       `placeholder:"P"`
	PtrDef *string       `default:"x"`
	Wait   time.Duration `default:"1s"`
	Flag   bool          `short:"f"`
	A      bool          `xor:"ab"`
	B      bool          `xor:"ab,bc"`
	C      bool          `xor:"bc"`
	Mapped string        `type:"path"`
	File   string        `arg:"" optional:""`
	Rest   []string      `arg:"" optional:"" passthrough:""`
}

func (*quickAll) Run(*UI) error { return nil }

type quickStrict struct {
	Must string `required:""`
	Mode string `default:"fast" hidden:""`
	Pos  string `arg:""`
}

func (*quickStrict) Run(*UI) error { return nil }

type quickNest struct {
	Deep bool        `short:"d"`
	One  quickStrict `cmd:""`
	Two  quickAll    `cmd:"" default:"withargs"`
}

type quickHooked struct{ X string }

func (*quickHooked) Run(*UI) error     { return nil }
func (*quickHooked) AfterApply() error { return nil }

type upper string

func (u *upper) UnmarshalText(b []byte) error { *u = upper(strings.ToUpper(string(b))); return nil }

type quickMapped struct {
	U upper
	V string
}

func (*quickMapped) Run(*UI) error { return nil }

type quickNoUI struct{ V int }

func (*quickNoUI) Run() error { return errors.New("plain ran") }

// quickPartial is nono run's shape: flags, then a command passed through.
type quickPartial struct {
	quickEmbeds
	Silent  bool     `short:"s"`
	Allow   []string `short:"a" sep:"none"`
	Command []string `arg:"" passthrough:"partial"`
}

func (*quickPartial) Run(*UI) error { return nil }

func newQuickGrammar() any { return &quickGrammar{} }

func TestQuickAgreesWithKong(t *testing.T) {
	for _, tc := range []struct {
		args   string // split on spaces; "_" is an empty argument
		accept bool
	}{
		{"", true},
		{"alpha", true},
		{"--name x", true},
		{"alpha --name=x -n y", false}, // a flag twice
		{"alpha -n x --count 0x10 -s -8 --big-one=18446744073709551615", false},
		{"alpha -n x --count 0x10 --small=-8 --big-one=18446744073709551615", true},
		{"alpha --count 1_000 --wait 1m30s --ptr _ --shared s", true},
		{"alpha --port 1 --port=0x50 -r a,b -r _ --list one", true},
		{"alpha --list a,b", false},
		{"alpha --port 65536", false},
		{"alpha --a --c", true},
		{"alpha --a --b", false},
		{"alpha --flag=true", false},
		{"alpha -fn x", false},
		{"alpha --mapped x", false},
		{"alpha file rest -n x", true},
		{"alpha -- -n x", true},
		{"alpha file -- -n x", true},
		{"alpha -", false},
		{"alpha --help", false},
		{"-h", false},
		{"--version", false},
		{"--top alpha", false},
		{"alpha --top", true},
		{"beta --must m p", true},
		{"b --must m p", true},
		{"fs --must=m -- p", true},
		{"beta p", false},
		{"beta --must m", false},
		{"beta --must m p q", false},
		{"gamma one --must m p -d --top", true},
		{"gamma -d", true},
		{"gamma x y", true},
		{"gamma -d one", false},
		{"hook --x v", false},
		{"typed --v v", true},
		{"typed --u v", false},
		{"plain --v 7", true},
		{"no-run", false},
		{"s-3-put -s -a d -- cmd -a", true},
		{"s-3-put cmd -s", true},
		{"s-3-put -s", false},
		{"s3-put -s -- cmd", false},
		{"-- beta", false},
		{"unknown", true}, // the default command's FILE
		{"--unknown", false},
		{"pass --top x", false}, // kong passes --top on
		{"pass x", false},
	} {
		args := strings.Fields(tc.args)
		for i, a := range args {
			if a == "_" {
				args[i] = ""
			}
		}
		accepted, err := CheckQuick(newQuickGrammar, args)
		if err != nil {
			t.Error(err)
		} else if accepted != tc.accept {
			t.Errorf("%q: accepted %v, want %v", args, accepted, tc.accept)
		}
	}
}

// The quick way runs the command and reports its error as kong's way
// would.
func TestQuickRuns(t *testing.T) {
	var stderr strings.Builder
	if code := run("tool", "test", &quickGrammar{}, []string{"plain"}, &strings.Builder{}, &stderr); code != 2 || stderr.String() != "tool: plain ran\n" {
		t.Errorf("code %d, stderr %q", code, stderr.String())
	}
}

func TestKebab(t *testing.T) {
	for name, want := range map[string]string{
		"Allow": "allow", "AllowCwd": "allow-cwd", "FSIntegrity": "fs-integrity",
		"S3Put": "s-3-put", "PDFLoader": "pdf-loader", "X": "x", "ID": "id",
		"EventFD": "event-fd", "Über": "über",
	} {
		if got := kebab(name); got != want {
			t.Errorf("kebab(%q) = %q, want %q", name, got, want)
		}
	}
}

// FuzzQuick holds the quick parse to kong's on any argument list: where
// it accepts, both select the same command with the same values.
func FuzzQuick(f *testing.F) {
	for _, s := range []string{
		"alpha\x00--name\x00x", "--count\x000x10", "alpha\x00-r\x00a\x00--port=1",
		"gamma\x00one\x00--must=m\x00p", "s-3-put\x00-s\x00--\x00cmd", "b\x00--must\x00m\x00p",
		"alpha\x00file\x00--\x00-n", "pass\x00--\x00x", "--wait=1h\x00--ptr-def\x00y", "beta\x00--mode=\x00--must\x00\x00p",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		if s == "" {
			args = nil
		}
		if _, err := CheckQuick(newQuickGrammar, args); err != nil {
			t.Fatal(err)
		}
	})
}

// Bytes that are not UTF-8 reach the command as given, whichever way the
// arguments are parsed: kong's own string mapper would make them U+FFFD.
func TestArgumentsKeepTheirBytes(t *testing.T) {
	bad := "x\x9cy"
	for i, args := range [][]string{
		{"alpha", "--name", bad, "-r", bad, "--ptr=" + bad, bad, bad},
		{"alpha", "-fn", bad, "-r", bad, "--ptr=" + bad, bad, bad}, // combined flags: kong's parse
	} {
		if accepted, err := CheckQuick(newQuickGrammar, args); err != nil || accepted != (i == 0) {
			t.Fatalf("%q: accepted %v, err %v", args, accepted, err)
		}
		g := &quickGrammar{}
		var stderr strings.Builder
		if code := run("tool", "test", g, args, io.Discard, &stderr); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
		a := g.Alpha
		if a.Name != bad || !slices.Equal(a.Raw, []string{bad}) || a.Ptr == nil || *a.Ptr != bad || a.File != bad || !slices.Equal(a.Rest, []string{bad}) {
			t.Errorf("%q: got %+q", args, []any{a.Name, a.Raw, a.Ptr, a.File, a.Rest})
		}
	}
}
