package session_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/session/sessiontest"
)

func ids(entries []*session.Entry) string {
	var out []string
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return strings.Join(out, " ")
}

var zone = time.FixedZone("UTC+2", 2*3600)

func TestFilterDatesAreLocalDays(t *testing.T) {
	st := sessiontest.New(t)
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, zone)
	// 2026-05-09T23:30Z is 01:30 on the 10th in now's zone: today.
	st.Add("late-utc", "2026-05-09T23:30:00Z", true, nil, "a")
	st.Add("early-local", "2026-05-10T00:10:00+02:00", true, nil, "a")
	st.Add("yesterday", "2026-05-09T21:59:59Z", true, nil, "a") // 23:59:59 local on the 9th
	st.Add("epoch", "1778284800", true, nil, "a")               // 2026-05-09T00:00Z, 02:00 local on the 9th
	st.Add("garbage", "not a time", true, nil, "a")
	st.Damage("broken")
	entries := st.List()

	run := func(o session.ListOptions) string {
		f, err := o.Filter(now, "/", "/home/u")
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		return ids(f.Apply(entries))
	}
	if got := run(session.ListOptions{Today: true}); got != "late-utc early-local" {
		t.Errorf("--today: %q", got)
	}
	if got := run(session.ListOptions{Since: "2026-05-09", Until: "2026-05-09"}); got != "yesterday epoch" {
		t.Errorf("--since/--until same day: %q", got)
	}
	if got := run(session.ListOptions{Until: "2026-05-09"}); got != "yesterday epoch" {
		t.Errorf("--until: %q", got)
	}
	if got := run(session.ListOptions{Since: "2026-05-10"}); got != "late-utc early-local" {
		t.Errorf("--since: %q", got)
	}
	// Without filters damaged and unparseable entries stay, last.
	if got := run(session.ListOptions{}); got != "late-utc early-local yesterday epoch broken garbage" {
		t.Errorf("no filter: %q", got)
	}
	if got := run(session.ListOptions{Recent: 2}); got != "late-utc early-local" {
		t.Errorf("--recent: %q", got)
	}
}

func TestFilterUsageErrors(t *testing.T) {
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, zone)
	cases := []struct {
		o    session.ListOptions
		flag string
	}{
		{session.ListOptions{Since: "2026-13-01"}, "--since"},
		{session.ListOptions{Since: "yesterday"}, "--since"},
		{session.ListOptions{Until: "2026-02-30"}, "--until"},
		{session.ListOptions{Until: "2026-5-1"}, "--until"},
		{session.ListOptions{Since: "2026-05-02", Until: "2026-05-01"}, "--until"},
		{session.ListOptions{Today: true, Until: "2026-05-09"}, "--until"},
		{session.ListOptions{Recent: -1}, "--recent"},
	}
	for _, c := range cases {
		_, err := c.o.Filter(now, "/", "")
		var ue *session.UsageError
		if !errors.As(err, &ue) || ue.Flag != c.flag || !strings.HasPrefix(err.Error(), c.flag+": ") {
			t.Errorf("%+v: got %v, want a usage error naming %s", c.o, err, c.flag)
		}
	}
}

func TestFilterCommandAndPath(t *testing.T) {
	st := sessiontest.New(t)
	st.Add("s1", "2026-01-03T00:00:00Z", true, []string{"/home/u/dev/app", "/tmp/x"}, "/usr/bin/Claude", "--help")
	st.Add("s2", "2026-01-02T00:00:00Z", true, []string{"/home/u/dev/app-two"}, "make", "claude")
	st.Add("s3", "2026-01-01T00:00:00Z", true, []string{"/home/u"}, "git", "status")
	st.Damage("bad")
	entries := st.List()
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, zone)
	run := func(o session.ListOptions, cwd string) string {
		f, err := o.Filter(now, cwd, "/home/u")
		if err != nil {
			t.Fatal(err)
		}
		return ids(f.Apply(entries))
	}
	cases := []struct {
		o    session.ListOptions
		cwd  string
		want string
	}{
		{session.ListOptions{Command: "CLAUDE"}, "/", "s1"}, // argv[0] only
		{session.ListOptions{Command: "mak"}, "/", "s2"},
		{session.ListOptions{Path: "/home/u/dev/app"}, "/", "s1 s3"}, // not app-two: components
		{session.ListOptions{Path: "/home/u/dev/app/src/main.go"}, "/", "s1 s3"},
		{session.ListOptions{Path: "/home/u/dev"}, "/", "s1 s2 s3"}, // tracked paths inside it
		{session.ListOptions{Path: "~/dev/app-two/"}, "/", "s2 s3"},
		{session.ListOptions{Path: "app"}, "/home/u/dev", "s1 s3"}, // relative to cwd
		{session.ListOptions{Path: "/tmp/x/y"}, "/", "s1"},
		{session.ListOptions{Path: "/srv"}, "/", ""},
		{session.ListOptions{Command: "git", Path: "/home/u/dev/app"}, "/", "s3"},
	}
	for _, c := range cases {
		if got := run(c.o, c.cwd); got != c.want {
			t.Errorf("%+v (cwd %s): got %q, want %q", c.o, c.cwd, got, c.want)
		}
	}
}

func TestDiskSizeDoesNotFollowLinks(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 10), 0o600)
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "sub", "b"), make([]byte, 5), 0o600)
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, make([]byte, 4096), 0o600)
	os.Symlink(big, filepath.Join(dir, "link"))
	if n, err := session.DiskSize(dir); err != nil || n != 15 {
		t.Fatalf("DiskSize = %d, %v", n, err)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-02", "2026-02-29", "2024-02-29", "0000-01-01", "9999-12-31", "2026-1-2", "+2026-01-02", "2026-01-02T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := session.ParseDate(s, zone)
		if err != nil {
			if !strings.Contains(err.Error(), "YYYY-MM-DD") {
				t.Fatalf("error without the expected form: %v", err)
			}
			return
		}
		// Accepted dates are exactly the canonical form of a real day,
		// at midnight in the zone asked for.
		if got := d.Format("2006-01-02"); got != s {
			t.Fatalf("ParseDate(%q) = %s", s, got)
		}
		if d.Location() != zone || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 {
			t.Fatalf("ParseDate(%q) = %v, not midnight in the zone", s, d)
		}
	})
}

// A path given through a symbolic link matches the sessions that tracked
// its target, and Where narrows before --recent counts.
func TestFilterLinkedPathAndWhere(t *testing.T) {
	st := sessiontest.New(t)
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(real, link)
	st.Add("s1", "2026-01-03T00:00:00Z", true, []string{real}, "a")
	st.Add("s2", "2026-01-02T00:00:00Z", true, []string{"/elsewhere"}, "b")
	st.Add("s3", "2026-01-01T00:00:00Z", true, []string{filepath.Join(real, "sub")}, "c")
	entries := st.List()
	f, err := session.ListOptions{Path: link}.Filter(time.Now(), "/", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(f.Apply(entries)); got != "s1 s3" {
		t.Errorf("--path through a link: %q", got)
	}
	f, _ = session.ListOptions{Recent: 1}.Filter(time.Now(), "/", "")
	f.Where = func(e *session.Entry) bool { return e.ID != "s1" }
	if got := ids(f.Apply(entries)); got != "s2" {
		t.Errorf("Where then --recent: %q", got)
	}
}
