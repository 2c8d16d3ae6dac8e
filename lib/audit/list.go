// Package audit answers a user's questions about recorded sessions: which
// exist (list), what one holds (show), whether its record is intact
// (verify), and which can go (cleanup). It composes lib/session (discovery),
// lib/chain, lib/ledger and lib/attest (verification) and lib/snapshot
// (filesystem changes); it writes nothing but what cleanup removes.
package audit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
)

// ListOptions are the filters of `nono audit list`, as given on the
// command line.
type ListOptions struct {
	Today   bool
	Since   string // YYYY-MM-DD, local time, inclusive
	Until   string // YYYY-MM-DD, local time, inclusive
	Command string // case-insensitive substring of the program (argv[0])
	Path    string // a path inside, or containing, a tracked path
	Recent  int    // keep the newest N (0: all)
}

// Filter is a validated ListOptions.
type Filter struct {
	from, to time.Time // [from, to); zero when open
	command  string    // lower-cased
	path     string    // absolute and clean
	recent   int
}

// UsageError is a bad flag value or combination; Flag names the flag.
type UsageError struct {
	Flag string
	Err  error
}

func (e *UsageError) Error() string {
	if e.Flag == "" {
		return e.Err.Error()
	}
	return e.Flag + ": " + e.Err.Error()
}
func (e *UsageError) Unwrap() error { return e.Err }

// ParseDate reads YYYY-MM-DD as the start of that day in loc.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// Filter validates the options. Dates are days in now's zone; cwd and
// home resolve a relative or ~ path.
func (o ListOptions) Filter(now time.Time, cwd, home string) (*Filter, error) {
	f := &Filter{command: strings.ToLower(o.Command), recent: o.Recent}
	loc := now.Location()
	if o.Today {
		y, m, d := now.Date()
		f.from = time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	if o.Since != "" {
		t, err := ParseDate(o.Since, loc)
		if err != nil {
			return nil, &UsageError{"--since", err}
		}
		if t.After(f.from) {
			f.from = t
		}
	}
	if o.Until != "" {
		t, err := ParseDate(o.Until, loc)
		if err != nil {
			return nil, &UsageError{"--until", err}
		}
		// The end of that day: the next midnight, which is not always
		// 24 hours later.
		f.to = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		if !f.from.IsZero() && !f.from.Before(f.to) {
			return nil, &UsageError{"--until", fmt.Errorf("%s is before the first day asked for", o.Until)}
		}
	}
	if o.Recent < 0 {
		return nil, &UsageError{"--recent", errors.New("want a positive number")}
	}
	if o.Path != "" {
		f.path = absPath(o.Path, cwd, home)
	}
	return f, nil
}

// absPath expands a leading ~ and makes p absolute and clean.
func absPath(p, cwd, home string) string {
	switch {
	case p == "~" && home != "":
		p = home
	case strings.HasPrefix(p, "~/") && home != "":
		p = filepath.Join(home, p[2:])
	case !filepath.IsAbs(p):
		p = filepath.Join(cwd, p)
	}
	return filepath.Clean(p)
}

// within reports whether path is dir or lies below it, comparing whole
// components.
func within(path, dir string) bool {
	if path == dir || dir == "/" {
		return true
	}
	return strings.HasPrefix(path, dir+"/")
}

// Match reports whether one entry passes the filters (--recent aside).
// Damaged entries hold nothing to match, so any filter excludes them.
func (f *Filter) Match(e *session.Entry) bool {
	dated := !f.from.IsZero() || !f.to.IsZero()
	if e.Session == nil {
		return !dated && f.command == "" && f.path == ""
	}
	if dated {
		t, ok := e.Started()
		if !ok || !f.from.IsZero() && t.Before(f.from) || !f.to.IsZero() && !t.Before(f.to) {
			return false
		}
	}
	if f.command != "" {
		if len(e.Session.Command) == 0 || !strings.Contains(strings.ToLower(e.Session.Command[0]), f.command) {
			return false
		}
	}
	if f.path != "" {
		found := false
		for _, p := range e.Session.TrackedPaths {
			if !filepath.IsAbs(p) {
				continue
			}
			p = filepath.Clean(p)
			if within(f.path, p) || within(p, f.path) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Apply keeps the entries that match, then the newest --recent of them.
// entries must already be sorted newest first.
func (f *Filter) Apply(entries []*session.Entry) []*session.Entry {
	var out []*session.Entry
	for _, e := range entries {
		if f.Match(e) {
			out = append(out, e)
			if f.recent > 0 && len(out) == f.recent {
				break
			}
		}
	}
	return out
}

// Group is the sessions of one project directory, newest first.
type Group struct {
	Project string // display form: ~ for $HOME, "(unknown)", "(damaged)"
	Entries []*session.Entry
}

const (
	unknownProject = "(unknown)"
	damagedProject = "(damaged)"
)

// Project is the directory a session worked in, for display: its first
// tracked path with $HOME shown as ~, "(unknown)" without one, or
// "(damaged)" when the record could not be read.
func Project(e *session.Entry, home string) string {
	if e.Session == nil {
		return damagedProject
	}
	if len(e.Session.TrackedPaths) == 0 || e.Session.TrackedPaths[0] == "" {
		return unknownProject
	}
	return Sanitize(TildePath(e.Session.TrackedPaths[0], home))
}

// TildePath shows home, or a path below it, starting with ~.
func TildePath(p, home string) string {
	home = strings.TrimSuffix(home, "/")
	switch {
	case home == "":
		return p
	case p == home:
		return "~"
	case strings.HasPrefix(p, home+"/"):
		return "~" + p[len(home):]
	}
	return p
}

// GroupByProject groups entries (sorted newest first) by Project, groups
// ordered by path, "(unknown)" and "(damaged)" last.
func GroupByProject(entries []*session.Entry, home string) []Group {
	index := map[string]int{}
	var groups []Group
	for _, e := range entries {
		p := Project(e, home)
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

// WriteList prints the human listing: a header with the count, then the
// sessions grouped by project. filtered chooses the empty message.
func WriteList(w io.Writer, entries []*session.Entry, now time.Time, home string, filtered bool) error {
	if len(entries) == 0 {
		msg := "nono No sessions found."
		if filtered {
			msg = "nono No sessions found matching filters."
		}
		_, err := fmt.Fprintln(w, msg)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "nono %d command(s)\n", len(entries))
	for _, g := range GroupByProject(entries, home) {
		noun := "commands"
		if len(g.Entries) == 1 {
			noun = "command"
		}
		fmt.Fprintf(&b, "\n  %s (%d %s)\n", g.Project, len(g.Entries), noun)
		for _, e := range g.Entries {
			fmt.Fprintf(&b, "    %s  %s  %s  %s\n", e.ID, age(e, now), e.Status, summary(e))
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

// summary is a row's last column: the command, or why the entry is damaged.
func summary(e *session.Entry) string {
	if e.Session == nil {
		return Sanitize(e.Err.Error())
	}
	return Cut(QuoteCommand(e.Session.Command), commandWidth)
}

// ListValue is the --json form of the listing: upstream's fields, then
// status (and error, for damaged entries).
func ListValue(entries []*session.Entry) canon.Value {
	items := make([]canon.Value, 0, len(entries))
	for _, e := range entries {
		items = append(items, entryValue(e))
	}
	return canon.ArrayValue(items...)
}

func entryValue(e *session.Entry) canon.Value {
	size, _ := session.DiskSize(e.Dir) // best effort, as a listing is
	m := func(k string, v canon.Value) canon.Member { return canon.Member{Key: k, Value: v} }
	s := e.Session
	if s == nil {
		return canon.ObjectValue(
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
			m("status", canon.StringValue(string(e.Status))),
			m("error", canon.StringValue(e.Err.Error())),
		)
	}
	full := s.Value()
	get := func(k string) canon.Value { v, _ := full.Get(k); return v }
	return canon.ObjectValue(
		m("session_id", get("session_id")),
		m("started", get("started")),
		m("ended", get("ended")),
		m("command", get("command")),
		m("tracked_paths", get("tracked_paths")),
		m("snapshot_count", get("snapshot_count")),
		m("exit_code", get("exit_code")),
		m("network_event_count", canon.UintValue(uint64(len(s.NetworkEvents)))),
		m("disk_size", canon.IntValue(size)),
		m("is_alive", canon.BoolValue(e.Status == session.Running)),
		m("is_stale", canon.BoolValue(e.Status == session.Incomplete)),
		m("status", canon.StringValue(string(e.Status))),
	)
}

// Home is the user's home directory for display, "" when unknown.
func Home(getenv func(string) string) string {
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Clean(h)
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return ""
}
