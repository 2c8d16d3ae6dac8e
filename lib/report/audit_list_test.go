package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/canon"
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

func TestGroupByProject(t *testing.T) {
	st := sessiontest.New(t)
	st.Add("a1", "2026-01-05T00:00:00Z", true, []string{"/home/u/dev/widgets"}, "x")
	st.Add("a2", "2026-01-04T00:00:00Z", true, []string{"/home/u/dev/sprockets"}, "x")
	st.Add("a3", "2026-01-03T00:00:00Z", true, []string{"/home/u/dev/widgets"}, "x")
	st.Add("a4", "2026-01-02T00:00:00Z", true, nil, "x")
	st.Add("a5", "2026-01-01T00:00:00Z", true, []string{"/home/user2/p"}, "x")
	st.Add("a6", "2026-01-06T00:00:00Z", true, []string{"/home/u"}, "x")
	st.Damage("bad")
	groups := groupByProject(st.List(), "/home/u/")
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
	st := sessiontest.New(t)
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, zone)
	st.Add("s1", "2026-05-10T12:59:30Z", true, []string{"/home/u/dev/sprockets"}, "claude")
	st.Add("s2", "2026-05-10T12:55:00Z", true, []string{"/home/u/dev/sprockets"}, "sh", "-c", "echo a very long command line that goes on")
	st.Add("s3", "2026-05-08T13:00:00Z", false, []string{"/home/u/dev/widgets"}, "my-agent")
	st.Damage("bad")
	// Finished with a signal, after 4.2 seconds; and one still running.
	ended, code := "2026-05-10T12:50:04.25Z", int32(137)
	killed := &session.Session{SessionID: "k1", Started: "2026-05-10T12:50:00Z", Ended: &ended, ExitCode: &code, Command: []string{"make"}, TrackedPaths: []string{"/home/u/dev/widgets"}}
	os.Mkdir(filepath.Join(st.Dir, "k1"), 0o700)
	session.Write(filepath.Join(st.Dir, "k1"), killed)
	sessiontest.WriteLog(t, filepath.Join(st.Dir, "k1", session.EventsFileName), sessiontest.Events(killed)...)
	live := st.Add("live-one", "2026-05-10T12:30:00Z", false, []string{"/home/u/dev/widgets"}, "agent")
	release, err := session.HoldRunning(live)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var b strings.Builder
	if err := WriteAuditList(&b, st.List(), now, "/home/u", false); err != nil {
		t.Fatal(err)
	}
	want := `nono 6 command(s)
    ID        STARTED   DURATION  STATUS          COMMAND

  ~/dev/sprockets (2 commands)
    s1        just now  0ms       ok              claude
    s2        5m ago    0ms       ok              sh -c 'echo a very long command...

  ~/dev/widgets (3 commands)
    k1        10m ago   4.2s      signal SIGKILL  make
    live-one  30m ago   30m00s    running         agent
    s3        2d ago    -         incomplete      my-agent

  (damaged) (1 command)
    bad       -         -         damaged         parse ` + filepath.Join(st.Dir, "bad", "session.json") + `: expected object key string at byte 1
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	WriteAuditList(&b, nil, now, "", true)
	if b.String() != "nono No sessions found matching filters.\n" {
		t.Fatalf("empty: %q", b.String())
	}
}

func TestListValue(t *testing.T) {
	st := sessiontest.New(t)
	dir := st.Add("s1", "2026-05-10T12:59:30Z", true, []string{"/p"}, "claude")
	os.WriteFile(filepath.Join(dir, "pad"), make([]byte, 1000), 0o600)
	log, _ := os.Stat(filepath.Join(dir, session.EventsFileName))
	st.Damage("bad")
	got := string(canon.Compact(AuditListValue(st.List(), time.Now())))
	fi, _ := os.Stat(filepath.Join(dir, session.FileName))
	want := `[{"session_id":"s1","started":"2026-05-10T12:59:30Z","ended":"2026-05-10T12:59:30Z","command":["claude"],"tracked_paths":["/p"],"snapshot_count":0,"exit_code":0,"network_event_count":0,"disk_size":` +
		itoa(1000+fi.Size()+log.Size()) + `,"is_alive":false,"is_stale":false,"status":"completed","outcome":"ok",` +
		`"started_utc":"2026-05-10T12:59:30.000Z","ended_utc":"2026-05-10T12:59:30.000Z","duration_ms":0,"error":null},` +
		`{"session_id":"bad","started":null,"ended":null,"command":[],"tracked_paths":[],"snapshot_count":0,"exit_code":null,"network_event_count":0,"disk_size":1,"is_alive":false,"is_stale":false,` +
		`"status":"damaged","outcome":"damaged","started_utc":null,"ended_utc":null,"duration_ms":null,"error":"parse ` +
		filepath.Join(st.Dir, "bad", "session.json") + `: expected object key string at byte 1"}]`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if string(canon.Pretty(AuditListValue(nil, time.Now()))) != "[]" {
		t.Fatal("empty list is not []")
	}
}

func itoa(n int64) string { return canon.IntValue(n).Num }
