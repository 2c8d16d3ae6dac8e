package report

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/session"
)

// outcome is how a session turned out, in one word or two: "ok", "exit
// N", "signal NAME" for a command a signal ended (exit status 128+N, the
// shell's convention and the supervisor's), else the status: "running",
// "incomplete", "damaged" (or "ended" for an upstream record without an
// exit code).
func outcome(e *session.Entry) string {
	if e.Status != session.Completed {
		return string(e.Status)
	}
	if e.Session.ExitCode == nil {
		return "ended"
	}
	code := *e.Session.ExitCode
	if name := signalName(code); name != "" {
		return "signal " + name
	}
	if code == 0 {
		return "ok"
	}
	return fmt.Sprintf("exit %d", code)
}

// signalName is the signal an exit status of 128+N stands for, "" when
// it stands for none.
func signalName(code int32) string {
	if code <= 128 || code > 128+64 {
		return ""
	}
	return unix.SignalName(unix.Signal(code - 128))
}

// exitText is an exit status with what it means: "0 (ok)", "137 (signal
// SIGKILL)", "3".
func exitText(code int32) string {
	switch name := signalName(code); {
	case name != "":
		return fmt.Sprintf("%d (signal %s)", code, name)
	case code == 0:
		return "0 (ok)"
	}
	return fmt.Sprint(code)
}

// Times are a session's start and end as instants; ok flags say which
// could be read. A running session's duration so far is measured to now.
type times struct {
	started, ended     time.Time
	startedOK, endedOK bool
}

func timesOf(e *session.Entry) times {
	var t times
	t.started, t.startedOK = e.Started()
	if e.Session != nil && e.Session.Ended != nil {
		end, err := event.ParseTime(*e.Session.Ended)
		t.ended, t.endedOK = end, err == nil
	}
	return t
}

// duration is how long the session ran (so far, when running).
func (t times) duration(e *session.Entry, now time.Time) (time.Duration, bool) {
	switch {
	case !t.startedOK:
		return 0, false
	case t.endedOK:
		return t.ended.Sub(t.started), !t.ended.Before(t.started)
	case e.Status == session.Running:
		return now.Sub(t.started), !now.Before(t.started)
	}
	return 0, false
}

// utcValue is an instant in UTC to the millisecond, as --json gives it,
// or null.
func utcValue(t time.Time, ok bool) canon.Value {
	if !ok {
		return canon.NullValue()
	}
	return canon.StringValue(t.UTC().Format("2006-01-02T15:04:05.000Z"))
}

func durationValue(d time.Duration, ok bool) canon.Value {
	if !ok {
		return canon.NullValue()
	}
	return canon.IntValue(d.Milliseconds())
}

func errorValue(err error) canon.Value {
	if err == nil {
		return canon.NullValue()
	}
	return canon.StringValue(err.Error())
}
