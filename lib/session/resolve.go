package session

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nono-audit/nono/lib/human"
)

// latest names the newest session on the command line; "-1" does too,
// and "-N" or "latest~N" the N-th newest.
const latest = "latest"

// maxCandidates bounds the candidates an ambiguous prefix lists.
const maxCandidates = 10

// Resolve finds the session a command-line argument names on side, the
// way git finds a commit:
//
//   - a whole session ID (validated before any path is built from it);
//   - "latest" or "-1" for the newest session, "-N" (or "latest~N")
//     for the N-th newest, by parsed start time as List orders them;
//   - a prefix of exactly one session's ID.
//
// Every failure is a *UsageError: an invalid argument, one that names no
// session (wrapping ErrNotFound), or a prefix shared by several (an
// *AmbiguousError listing them).
func (st *Store) Resolve(side Side, arg string) (*Entry, error) {
	if n, ok := strings.CutPrefix(arg, latest+"~"); ok {
		if n, ok := count(n); ok {
			return st.nth(side, n)
		}
	}
	if err := ValidateID(arg); err != nil {
		return nil, &UsageError{Err: err}
	}
	e, err := st.Find(side, arg)
	if !errors.Is(err, ErrNotFound) {
		return e, err
	}
	if arg == latest {
		return st.nth(side, 1)
	}
	if n, ok := strings.CutPrefix(arg, "-"); ok {
		if n, ok := count(n); ok {
			return st.nth(side, n)
		}
	}
	ids, err := st.ids(side)
	if err != nil {
		return nil, err
	}
	var matches []string
	for _, id := range ids {
		if strings.HasPrefix(id, arg) {
			matches = append(matches, id)
		}
	}
	switch len(matches) {
	case 0:
		return nil, &UsageError{Err: fmt.Errorf("%w: %s (looked in %s)", ErrNotFound, arg, st.where(side))}
	case 1:
		return st.Find(side, matches[0])
	}
	return nil, &UsageError{Err: st.ambiguous(side, arg, matches)}
}

// Locate is Resolve that also takes the path of a session directory (an
// argument containing a "/"): a session copied elsewhere, say. A path
// whose last element is not a session ID, or that is no directory, is a
// *UsageError.
func (st *Store) Locate(side Side, arg string) (*Entry, error) {
	if !strings.Contains(arg, "/") {
		return st.Resolve(side, arg)
	}
	if err := ValidateID(filepath.Base(filepath.Clean(arg))); err != nil {
		return nil, &UsageError{Err: fmt.Errorf("%s: directory name is not a session ID: %w", arg, err)}
	}
	e, err := Load(arg)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	return e, nil
}

// count reads N of -N: a positive decimal without a leading zero.
func count(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0 && s[0] != '0' && s[0] != '+'
}

// NewestArgs rewrites a bare "-N" in a command line (before any "--", and
// not the value of a flag before it) to "latest~N", so that a flag parser
// does not take `nono audit show -1` for a flag. Mains of commands that
// take a session ID call it on os.Args.
func NewestArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 1; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if n, ok := strings.CutPrefix(a, "-"); ok && !strings.HasPrefix(out[i-1], "-") {
			if _, ok := count(n); ok {
				out[i] = latest + "~" + n
			}
		}
	}
	return out
}

// nth is the n-th newest session of side (1 is the newest).
func (st *Store) nth(side Side, n int) (*Entry, error) {
	entries, err := st.List(side)
	if err != nil {
		return nil, err
	}
	switch {
	case len(entries) == 0:
		return nil, &UsageError{Err: fmt.Errorf("%w: there are no sessions (looked in %s)", ErrNotFound, st.where(side))}
	case n > len(entries):
		return nil, &UsageError{Err: fmt.Errorf("%w: -%d asks for the %s newest, but there are only %d session(s) (in %s)", ErrNotFound, n, ordinal(n), len(entries), st.where(side))}
	}
	return entries[n-1], nil
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// AmbiguousError is a prefix that several session IDs share.
type AmbiguousError struct {
	Prefix     string
	Candidates []*Entry // newest first, at most maxCandidates
	More       int      // candidates left out
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "session ID prefix %q is ambiguous; the candidates are:", e.Prefix)
	for _, c := range e.Candidates {
		b.WriteString("\n  " + c.ID)
		switch t, ok := c.Started(); {
		case c.Session == nil:
			b.WriteString("  (damaged)")
		case ok:
			fmt.Fprintf(&b, "  %s  %s", t.Local().Format("2006-01-02 15:04"), human.Cut(human.QuoteCommand(c.Session.Command), 50))
		default:
			fmt.Fprintf(&b, "  %s  %s", human.Sanitize(c.Session.Started), human.Cut(human.QuoteCommand(c.Session.Command), 50))
		}
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.More)
	}
	return b.String()
}

// ambiguous describes the sessions matching a prefix, newest first.
func (st *Store) ambiguous(side Side, prefix string, ids []string) error {
	var found []*Entry
	for _, id := range ids {
		if e, err := st.Find(side, id); err == nil {
			found = append(found, e)
		}
	}
	SortNewestFirst(found)
	err := &AmbiguousError{Prefix: prefix, Candidates: found}
	if len(found) > maxCandidates {
		err.Candidates, err.More = found[:maxCandidates], len(found)-maxCandidates
	}
	return err
}

// ids are the names of side's sessions, sorted, found as List finds
// them but without reading their records.
func (st *Store) ids(side Side) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	collect := func(root string, isSession func(root, name string) bool) error {
		names, err := readDirNames(root)
		if err != nil {
			return err
		}
		for _, name := range names {
			if !seen[name] && ValidateID(name) == nil && isSession(root, name) {
				seen[name] = true
				out = append(out, name)
			}
		}
		return nil
	}
	if side == AuditSide {
		if err := collect(st.AuditRoot, auditSlot); err != nil {
			return nil, err
		}
	}
	for _, root := range st.RollbackRoots {
		if err := collect(root, holdsRecord); err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}
