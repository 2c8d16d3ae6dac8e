package tests

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/session"
)

// Script commands for the nono audit scripts.
func init() {
	commands["holdrunning"] = cmdHoldRunning
	commands["fillin"] = cmdFillIn
	commands["wantexit"] = cmdWantExit
}

// wantexit N PROG ARGS...: run PROG like exec does (stdout and stderr kept
// for the next commands) and fail unless it exits with status N.
func cmdWantExit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: wantexit N PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// holdrunning DIR: mark the session in DIR as running (hold its running
// lock) until the script ends.
func cmdHoldRunning(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: holdrunning DIR")
	}
	release, err := session.HoldRunning(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Defer(release)
}

var fillPattern = regexp.MustCompile(`@now(-[0-9hms]+)?@|@home@|@work@`)

// fillin FILE...: replace each @now@ or @now-DURATION@ (a Go duration
// such as 5m or 50h) with that moment in upstream's timestamp form, local
// time, and @home@ and @work@ with $HOME and $WORK, so fixtures can hold
// relative ages and absolute paths.
func cmdFillIn(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: fillin FILE...")
	}
	now := time.Now()
	for _, name := range args {
		p := ts.MkAbs(name)
		data, err := os.ReadFile(p)
		ts.Check(err)
		out := fillPattern.ReplaceAllFunc(data, func(m []byte) []byte {
			switch string(m) {
			case "@home@":
				return []byte(ts.Getenv("HOME"))
			case "@work@":
				return []byte(ts.Getenv("WORK"))
			}
			sub := fillPattern.FindSubmatch(m)
			t := now
			if len(sub[1]) > 0 {
				d, err := time.ParseDuration(string(sub[1][1:]))
				ts.Check(err)
				t = now.Add(-d)
			}
			return []byte(event.FormatTime(t.Truncate(time.Second)))
		})
		ts.Check(os.WriteFile(p, out, 0o600))
	}
}
