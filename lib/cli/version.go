package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/alecthomas/kong"
)

// version is the release this build is, set by the Makefile with
// -ldflags "-X github.com/nono-audit/nono/lib/cli.version=...". Without it
// the module version Go recorded (a tag, or a pseudo-version) is used.
var version string

// standardFlags are the flags every tool has besides --help.
type standardFlags struct {
	Version versionFlag `help:"Print the version, commit and Go version, and exit."`
}

// versionFlag is kong.VersionFlag with the text made only when asked
// for: reading the build information costs every start a few page
// faults.
type versionFlag bool

// BeforeReset prints the version and exits 0.
func (versionFlag) BeforeReset(app *kong.Kong) error {
	fmt.Fprintln(app.Stdout, versionText(app.Model.Name))
	app.Exit(0)
	return nil
}

// versionText is what `name --version` prints: the version, the commit it was
// built from ("+dirty" with uncommitted changes) and the Go toolchain.
func versionText(name string) string {
	v, commit, dirty := version, "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	return fmt.Sprintf("%s %s (commit %s%s, %s %s/%s)", name, v, commit, dirty, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
