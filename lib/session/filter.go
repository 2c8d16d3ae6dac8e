package session

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/fstree"
)

// ListOptions are the filters of `nono audit list` and `nono rollback
// list`, as given on the command line.
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
	paths    []string  // the path asked for: clean, and with symbolic links resolved
	recent   int
	// Where, when set, must also hold for an entry to be kept; it is
	// asked before --recent counts (`nono rollback list` keeps only
	// sessions with changes this way).
	Where func(*Entry) bool
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
		f.paths = pathForms(absPath(o.Path, cwd, home))
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

// pathForms are an absolute path as written and with its symbolic links
// resolved, so /tmp/x matches a session that tracked /private/tmp/x.
func pathForms(p string) []string {
	if c := fstree.Canonical(p); c != p {
		return []string{p, c}
	}
	return []string{p}
}

// match reports whether one entry passes the filters (--recent aside).
// Damaged entries hold nothing to match, so any filter excludes them.
func (f *Filter) match(e *Entry) bool {
	dated := !f.from.IsZero() || !f.to.IsZero()
	if e.Session == nil {
		return !dated && f.command == "" && f.paths == nil && f.Where == nil
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
	if f.paths != nil && !f.tracks(e.Session.TrackedPaths) {
		return false
	}
	return f.Where == nil || f.Where(e)
}

// tracks reports whether one of the tracked paths is the path asked for,
// lies inside it or contains it, comparing whole components.
func (f *Filter) tracks(tracked []string) bool {
	for _, t := range tracked {
		if !filepath.IsAbs(t) {
			continue
		}
		for _, form := range pathForms(filepath.Clean(t)) {
			for _, p := range f.paths {
				if fstree.Within(p, form) || fstree.Within(form, p) {
					return true
				}
			}
		}
	}
	return false
}

// Apply keeps the entries that match, then the newest --recent of them.
// entries must already be sorted newest first.
func (f *Filter) Apply(entries []*Entry) []*Entry {
	var out []*Entry
	for _, e := range entries {
		if f.match(e) {
			out = append(out, e)
			if f.recent > 0 && len(out) == f.recent {
				break
			}
		}
	}
	return out
}
