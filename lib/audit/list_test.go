package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/session"
)

// store writes sessions under a fresh audit root.
type store struct {
	t    *testing.T
	root string
}

func newStore(t *testing.T) *store { return &store{t: t, root: t.TempDir()} }

func (st *store) add(id, started string, ended bool, tracked []string, argv ...string) string {
	st.t.Helper()
	dir := filepath.Join(st.root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		st.t.Fatal(err)
	}
	s := &session.Session{SessionID: id, Started: started, Command: argv, TrackedPaths: tracked}
	if ended {
		e := started
		s.Ended = &e
		code := int32(0)
		s.ExitCode = &code
	}
	if err := session.Write(dir, s); err != nil {
		st.t.Fatal(err)
	}
	return dir
}

func (st *store) damage(id string) {
	os.MkdirAll(filepath.Join(st.root, id), 0o700)
	os.WriteFile(filepath.Join(st.root, id, session.FileName), []byte("{"), 0o600)
}

func (st *store) list() []*session.Entry {
	st.t.Helper()
	entries, err := session.List(st.root, "")
	if err != nil {
		st.t.Fatal(err)
	}
	session.SortNewestFirst(entries)
	return entries
}

func ids(entries []*session.Entry) string {
	var out []string
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return strings.Join(out, " ")
}

var zone = time.FixedZone("UTC+2", 2*3600)

func TestFilterDatesAreLocalDays(t *testing.T) {
	st := newStore(t)
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, zone)
	// 2026-05-09T23:30Z is 01:30 on the 10th in now's zone: today.
	st.add("late-utc", "2026-05-09T23:30:00Z", true, nil, "a")
	st.add("early-local", "2026-05-10T00:10:00+02:00", true, nil, "a")
	st.add("yesterday", "2026-05-09T21:59:59Z", true, nil, "a") // 23:59:59 local on the 9th
	st.add("epoch", "1778284800", true, nil, "a")               // 2026-05-09T00:00Z, 02:00 local on the 9th
	st.add("garbage", "not a time", true, nil, "a")
	st.damage("broken")
	entries := st.list()

	run := func(o ListOptions) string {
		f, err := o.Filter(now, "/", "/home/u")
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		return ids(f.Apply(entries))
	}
	if got := run(ListOptions{Today: true}); got != "late-utc early-local" {
		t.Errorf("--today: %q", got)
	}
	if got := run(ListOptions{Since: "2026-05-09", Until: "2026-05-09"}); got != "yesterday epoch" {
		t.Errorf("--since/--until same day: %q", got)
	}
	if got := run(ListOptions{Until: "2026-05-09"}); got != "yesterday epoch" {
		t.Errorf("--until: %q", got)
	}
	if got := run(ListOptions{Since: "2026-05-10"}); got != "late-utc early-local" {
		t.Errorf("--since: %q", got)
	}
	// Without filters damaged and unparseable entries stay, last.
	if got := run(ListOptions{}); got != "late-utc early-local yesterday epoch broken garbage" {
		t.Errorf("no filter: %q", got)
	}
	if got := run(ListOptions{Recent: 2}); got != "late-utc early-local" {
		t.Errorf("--recent: %q", got)
	}
}

func TestFilterUsageErrors(t *testing.T) {
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, zone)
	cases := []struct {
		o    ListOptions
		flag string
	}{
		{ListOptions{Since: "2026-13-01"}, "--since"},
		{ListOptions{Since: "yesterday"}, "--since"},
		{ListOptions{Until: "2026-02-30"}, "--until"},
		{ListOptions{Until: "2026-5-1"}, "--until"},
		{ListOptions{Since: "2026-05-02", Until: "2026-05-01"}, "--until"},
		{ListOptions{Today: true, Until: "2026-05-09"}, "--until"},
		{ListOptions{Recent: -1}, "--recent"},
	}
	for _, c := range cases {
		_, err := c.o.Filter(now, "/", "")
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Flag != c.flag || !strings.HasPrefix(err.Error(), c.flag+": ") {
			t.Errorf("%+v: got %v, want a usage error naming %s", c.o, err, c.flag)
		}
	}
}

func TestFilterCommandAndPath(t *testing.T) {
	st := newStore(t)
	st.add("s1", "2026-01-03T00:00:00Z", true, []string{"/home/u/dev/app", "/tmp/x"}, "/usr/bin/Claude", "--help")
	st.add("s2", "2026-01-02T00:00:00Z", true, []string{"/home/u/dev/app-two"}, "make", "claude")
	st.add("s3", "2026-01-01T00:00:00Z", true, []string{"/home/u"}, "git", "status")
	st.damage("bad")
	entries := st.list()
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, zone)
	run := func(o ListOptions, cwd string) string {
		f, err := o.Filter(now, cwd, "/home/u")
		if err != nil {
			t.Fatal(err)
		}
		return ids(f.Apply(entries))
	}
	cases := []struct {
		o    ListOptions
		cwd  string
		want string
	}{
		{ListOptions{Command: "CLAUDE"}, "/", "s1"}, // argv[0] only
		{ListOptions{Command: "mak"}, "/", "s2"},
		{ListOptions{Path: "/home/u/dev/app"}, "/", "s1 s3"}, // not app-two: components
		{ListOptions{Path: "/home/u/dev/app/src/main.go"}, "/", "s1 s3"},
		{ListOptions{Path: "/home/u/dev"}, "/", "s1 s2 s3"}, // tracked paths inside it
		{ListOptions{Path: "~/dev/app-two/"}, "/", "s2 s3"},
		{ListOptions{Path: "app"}, "/home/u/dev", "s1 s3"}, // relative to cwd
		{ListOptions{Path: "/tmp/x/y"}, "/", "s1"},
		{ListOptions{Path: "/srv"}, "/", ""},
		{ListOptions{Command: "git", Path: "/home/u/dev/app"}, "/", "s3"},
	}
	for _, c := range cases {
		if got := run(c.o, c.cwd); got != c.want {
			t.Errorf("%+v (cwd %s): got %q, want %q", c.o, c.cwd, got, c.want)
		}
	}
}

func TestGroupByProject(t *testing.T) {
	st := newStore(t)
	st.add("a1", "2026-01-05T00:00:00Z", true, []string{"/home/u/dev/widgets"}, "x")
	st.add("a2", "2026-01-04T00:00:00Z", true, []string{"/home/u/dev/sprockets"}, "x")
	st.add("a3", "2026-01-03T00:00:00Z", true, []string{"/home/u/dev/widgets"}, "x")
	st.add("a4", "2026-01-02T00:00:00Z", true, nil, "x")
	st.add("a5", "2026-01-01T00:00:00Z", true, []string{"/home/user2/p"}, "x")
	st.add("a6", "2026-01-06T00:00:00Z", true, []string{"/home/u"}, "x")
	st.damage("bad")
	groups := GroupByProject(st.list(), "/home/u/")
	var got []string
	for _, g := range groups {
		got = append(got, g.Project+"="+ids(g.Entries))
	}
	want := "/home/user2/p=a5|~=a6|~/dev/sprockets=a2|~/dev/widgets=a1 a3|(unknown)=a4|(damaged)=bad"
	if strings.Join(got, "|") != want {
		t.Fatalf("groups:\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
}

func TestWriteList(t *testing.T) {
	st := newStore(t)
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, zone)
	st.add("s1", "2026-05-10T12:59:30Z", true, []string{"/home/u/dev/sprockets"}, "claude")
	st.add("s2", "2026-05-10T12:55:00Z", true, []string{"/home/u/dev/sprockets"}, "sh", "-c", "echo a very long command line that goes on")
	st.add("s3", "2026-05-08T13:00:00Z", false, []string{"/home/u/dev/widgets"}, "my-agent")
	st.damage("bad")
	var b strings.Builder
	if err := WriteList(&b, st.list(), now, "/home/u", false); err != nil {
		t.Fatal(err)
	}
	want := `nono 4 command(s)

  ~/dev/sprockets (2 commands)
    s1  just now  completed  claude
    s2  5m ago  completed  sh -c 'echo a very long command...

  ~/dev/widgets (1 command)
    s3  2d ago  incomplete  my-agent

  (damaged) (1 command)
    bad  -  damaged  parse ` + filepath.Join(st.root, "bad", "session.json") + `: expected object key string at byte 1
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	WriteList(&b, nil, now, "", true)
	if b.String() != "nono No sessions found matching filters.\n" {
		t.Fatalf("empty: %q", b.String())
	}
}

func TestListValue(t *testing.T) {
	st := newStore(t)
	dir := st.add("s1", "2026-05-10T12:59:30Z", true, []string{"/p"}, "claude")
	os.WriteFile(filepath.Join(dir, session.EventsFileName), make([]byte, 1000), 0o600)
	st.damage("bad")
	got := string(canon.Compact(ListValue(st.list())))
	fi, _ := os.Stat(filepath.Join(dir, session.FileName))
	want := `[{"session_id":"s1","started":"2026-05-10T12:59:30Z","ended":"2026-05-10T12:59:30Z","command":["claude"],"tracked_paths":["/p"],"snapshot_count":0,"exit_code":0,"network_event_count":0,"disk_size":` +
		itoa(1000+fi.Size()) + `,"is_alive":false,"is_stale":false,"status":"completed"},` +
		`{"session_id":"bad","started":null,"ended":null,"command":[],"tracked_paths":[],"snapshot_count":0,"exit_code":null,"network_event_count":0,"disk_size":1,"is_alive":false,"is_stale":false,"status":"damaged","error":"parse ` +
		filepath.Join(st.root, "bad", "session.json") + `: expected object key string at byte 1"}]`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if string(canon.Pretty(ListValue(nil))) != "[]" {
		t.Fatal("empty list is not []")
	}
}

func itoa(n int64) string { return canon.IntValue(n).Num }

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
		d, err := ParseDate(s, zone)
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
