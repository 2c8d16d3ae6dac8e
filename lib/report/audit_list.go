package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
)

// Group is the sessions of one project directory, newest first.
type Group struct {
	Project string // display form: ~ for $HOME, "(unknown)", "(damaged)"
	Entries []*session.Entry
}

const (
	unknownProject = "(unknown)"
	damagedProject = "(damaged)"
)

// projectOf is the directory a session worked in, for display: its first
// tracked path with $HOME shown as ~, "(unknown)" without one, or
// "(damaged)" when the record could not be read.
func projectOf(e *session.Entry, home string) string {
	if e.Session == nil {
		return damagedProject
	}
	if len(e.Session.TrackedPaths) == 0 || e.Session.TrackedPaths[0] == "" {
		return unknownProject
	}
	return human.Sanitize(human.TildePath(e.Session.TrackedPaths[0], home))
}

// groupByProject groups entries (sorted newest first) by projectOf, groups
// ordered by path, "(unknown)" and "(damaged)" last.
func groupByProject(entries []*session.Entry, home string) []Group {
	index := map[string]int{}
	var groups []Group
	for _, e := range entries {
		p := projectOf(e, home)
		i, ok := index[p]
		if !ok {
			i = len(groups)
			index[p] = i
			groups = append(groups, Group{Project: p})
		}
		groups[i].Entries = append(groups[i].Entries, e)
	}
	rank := func(p string) int {
		switch p {
		case unknownProject:
			return 1
		case damagedProject:
			return 2
		}
		return 0
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i].Project, groups[j].Project
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		return a < b
	})
	return groups
}

// commandWidth is how much of a command a list row shows.
const commandWidth = 35

// WriteAuditList prints the human listing: a header with the count, then the
// sessions grouped by project. filtered chooses the empty message.
func WriteAuditList(w io.Writer, entries []*session.Entry, now time.Time, home string, filtered bool) error {
	if len(entries) == 0 {
		msg := "nono No sessions found."
		if filtered {
			msg = "nono No sessions found matching filters."
		}
		_, err := fmt.Fprintln(w, msg)
		return err
	}
	header := []string{"ID", "STARTED", "DURATION", "STATUS", "COMMAND"}
	rows := map[*session.Entry][]string{}
	widths := make([]int, len(header)-1) // the last column is not padded
	for i := range widths {
		widths[i] = len(header[i])
	}
	for _, e := range entries {
		row := []string{e.ID, age(e, now), durationText(e, now), outcome(e), summary(e)}
		for i := range widths {
			widths[i] = max(widths[i], utf8.RuneCountInString(row[i]))
		}
		rows[e] = row
	}
	line := func(b *strings.Builder, cells []string) {
		b.WriteString("    ")
		for i, c := range cells[:len(widths)] {
			b.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		b.WriteString(cells[len(widths)] + "\n")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "nono %d command(s)\n", len(entries))
	line(&b, header)
	for _, g := range groupByProject(entries, home) {
		noun := "commands"
		if len(g.Entries) == 1 {
			noun = "command"
		}
		fmt.Fprintf(&b, "\n  %s (%d %s)\n", g.Project, len(g.Entries), noun)
		for _, e := range g.Entries {
			line(&b, rows[e])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func age(e *session.Entry, now time.Time) string {
	if t, ok := e.Started(); ok {
		return human.Age(t, now)
	}
	if e.Session != nil {
		return "unknown-time"
	}
	return "-"
}

// durationText is how long the session ran (so far, when running), "-"
// when that is not known.
func durationText(e *session.Entry, now time.Time) string {
	if d, ok := timesOf(e).duration(e, now); ok {
		return human.Duration(d)
	}
	return "-"
}

// summary is a row's last column: the command, or why the entry is damaged.
func summary(e *session.Entry) string {
	if e.Session == nil {
		return human.Sanitize(e.Err.Error())
	}
	return human.Cut(human.QuoteCommand(e.Session.Command), commandWidth)
}

// AuditListValue is the --json form of the listing: upstream's fields,
// then status, outcome (Outcome), start and end in UTC to the
// millisecond, duration_ms, and error (why a session is damaged or
// incomplete, when known). now measures a running session.
func AuditListValue(entries []*session.Entry, now time.Time) canon.Value {
	items := make([]canon.Value, 0, len(entries))
	for _, e := range entries {
		items = append(items, entryValue(e, now))
	}
	return canon.ArrayValue(items...)
}

func entryValue(e *session.Entry, now time.Time) canon.Value {
	size, _ := session.DiskSize(e.Dir) // best effort, as a listing is
	m := func(k string, v canon.Value) canon.Member { return canon.Member{Key: k, Value: v} }
	t := timesOf(e)
	d, dOK := t.duration(e, now)
	ours := []canon.Member{
		m("status", canon.StringValue(string(e.Status))),
		m("outcome", canon.StringValue(outcome(e))),
		m("started_utc", utcValue(t.started, t.startedOK)),
		m("ended_utc", utcValue(t.ended, t.endedOK)),
		m("duration_ms", durationValue(d, dOK)),
		m("error", errorValue(e.Err)),
	}
	s := e.Session
	if s == nil {
		return canon.ObjectValue(append([]canon.Member{
			m("session_id", canon.StringValue(e.ID)),
			m("started", canon.NullValue()),
			m("ended", canon.NullValue()),
			m("command", canon.ArrayValue()),
			m("tracked_paths", canon.ArrayValue()),
			m("snapshot_count", canon.UintValue(0)),
			m("exit_code", canon.NullValue()),
			m("network_event_count", canon.UintValue(0)),
			m("disk_size", canon.IntValue(size)),
			m("is_alive", canon.BoolValue(false)),
			m("is_stale", canon.BoolValue(false)),
		}, ours...)...)
	}
	full := s.Value()
	get := func(k string) canon.Value { v, _ := full.Get(k); return v }
	return canon.ObjectValue(append([]canon.Member{
		m("session_id", get("session_id")),
		m("started", get("started")),
		m("ended", get("ended")),
		m("command", get("command")),
		m("tracked_paths", get("tracked_paths")),
		m("snapshot_count", get("snapshot_count")),
		m("exit_code", get("exit_code")),
		m("network_event_count", canon.UintValue(uint64(s.NetworkEvents.Len()))),
		m("disk_size", canon.IntValue(size)),
		m("is_alive", canon.BoolValue(e.Status == session.Running)),
		m("is_stale", canon.BoolValue(e.Status == session.Incomplete)),
	}, ours...)...)
}
