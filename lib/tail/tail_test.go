package tail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/session"
)

var fast = Options{Follow: true, Poll: 5 * time.Millisecond, Grace: 200 * time.Millisecond}

// writer records events into a session directory's log, as nono-chain
// --log does, while holding the session's running lock.
type writer struct {
	t   *testing.T
	dir string
	f   *os.File
	rec *chain.Recorder
}

func newWriter(t *testing.T) *writer {
	dir := t.TempDir()
	f, err := os.OpenFile(filepath.Join(dir, session.EventsFileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &writer{t: t, dir: dir, f: f, rec: chain.NewRecorder(f)}
}

func (w *writer) started() {
	w.t.Helper()
	if err := w.rec.Append(event.SessionStarted("2026-04-21T00:00:00Z", []string{"make", "test"}, canon.NullValue())); err != nil {
		w.t.Fatal(err)
	}
}

func (w *writer) custom(i int) {
	w.t.Helper()
	if err := w.rec.Append([]byte(fmt.Sprintf(`{"type":"step","n":%d}`, i))); err != nil {
		w.t.Fatal(err)
	}
}

func (w *writer) ended() {
	w.t.Helper()
	if err := w.rec.Append(event.SessionEnded("2026-04-21T00:00:01Z", 0)); err != nil {
		w.t.Fatal(err)
	}
}

// collect runs Follow in the background, sending each record's line
// number as it comes.
func collect(ctx context.Context, dir string, opts Options) (<-chan int, func() (*Result, error)) {
	seen := make(chan int, 100)
	var res *Result
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		res, err = Follow(ctx, dir, opts, func(line int, rec []byte) error {
			seen <- line
			return nil
		})
		close(seen)
	})
	return seen, func() (*Result, error) { wg.Wait(); return res, err }
}

func next(t *testing.T, seen <-chan int) int {
	t.Helper()
	select {
	case n, ok := <-seen:
		if !ok {
			t.Fatal("the reading ended early")
		}
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no record within 10 s")
	}
	return 0
}

// Records are seen while the session runs, and the reading ends with the
// session's last record.
func TestFollowRunningSession(t *testing.T) {
	w := newWriter(t)
	release, err := session.HoldRunning(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	seen, wait := collect(context.Background(), w.dir, fast)
	w.started()
	if n := next(t, seen); n != 1 {
		t.Fatalf("line %d", n)
	}
	for i := range 3 {
		w.custom(i)
		if n := next(t, seen); n != i+2 {
			t.Fatalf("line %d", n)
		}
	}
	w.ended()
	next(t, seen)
	res, err := wait()
	if err != nil || !res.Ended || res.Records != 5 || res.Interrupted {
		t.Fatalf("%+v %v", res, err)
	}
}

// A line injected into the log of a running session is reported at once,
// while the session still runs.
func TestFollowFlagsInjectedRecord(t *testing.T) {
	w := newWriter(t)
	release, _ := session.HoldRunning(w.dir)
	defer release()
	seen, wait := collect(context.Background(), w.dir, fast)
	w.started()
	w.custom(1)
	next(t, seen)
	next(t, seen)
	// A record chained by hand onto the real log's head would pass; one
	// that does not link, or an edited copy of a real one, does not.
	data, _ := os.ReadFile(filepath.Join(w.dir, session.EventsFileName))
	last := strings.SplitAfter(string(data), "\n")[1]
	forged := strings.Replace(last, `"n":1`, `"n":2`, 2)
	forged = strings.Replace(forged, `"sequence":1`, `"sequence":2`, 1)
	w.f.WriteString(forged)
	errc := make(chan error, 1)
	go func() { _, err := wait(); errc <- err }()
	select {
	case err := <-errc:
		checkRecordErr(t, err, 3)
	case <-time.After(10 * time.Second):
		t.Fatal("the injected record was not reported while the session runs")
	}
}

func checkRecordErr(t *testing.T, err error, line int) {
	var re *chain.RecordError
	if !errors.As(err, &re) || re.Line != line {
		t.Errorf("want a bad record on line %d, got %v", line, err)
	}
}

// A session that stops running without recording its end (a crash) ends
// the reading after the grace period.
func TestFollowCrashedSession(t *testing.T) {
	w := newWriter(t)
	release, _ := session.HoldRunning(w.dir)
	seen, wait := collect(context.Background(), w.dir, fast)
	w.started()
	next(t, seen)
	release()
	res, err := wait()
	if err != nil || res.Ended || res.Records != 1 || res.Interrupted {
		t.Fatalf("%+v %v", res, err)
	}
}

// Without Follow, the reading ends at the end of the log; a bad record
// there is reported with its line, and a torn last line is tolerated.
func TestReadOnce(t *testing.T) {
	w := newWriter(t)
	w.started()
	w.custom(1)
	release, _ := session.HoldRunning(w.dir) // running: still not followed
	defer release()
	var lines []int
	res, err := Follow(context.Background(), w.dir, Options{}, func(n int, _ []byte) error { lines = append(lines, n); return nil })
	if err != nil || res.Records != 2 || len(lines) != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	w.f.WriteString(`{"sequence":2,"prev`)
	res, err = Follow(context.Background(), w.dir, Options{}, func(int, []byte) error { return nil })
	if err != nil || res.TruncatedLine != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	w.f.WriteString("\n")
	_, err = Follow(context.Background(), w.dir, Options{}, func(int, []byte) error { return nil })
	checkRecordErr(t, err, 3)

	// An error from each ends the reading with that error.
	boom := errors.New("boom")
	if _, err := Follow(context.Background(), w.dir, Options{}, func(int, []byte) error { return boom }); err != boom {
		t.Fatalf("%v", err)
	}
}

func TestInterruptAndMissingLog(t *testing.T) {
	w := newWriter(t)
	release, _ := session.HoldRunning(w.dir)
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	seen, wait := collect(ctx, w.dir, fast)
	w.started()
	next(t, seen)
	cancel()
	res, err := wait()
	if err != nil || !res.Interrupted || res.Records != 1 {
		t.Fatalf("%+v %v", res, err)
	}

	empty := t.TempDir()
	if _, err := Follow(context.Background(), empty, fast, func(int, []byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "no event log") {
		t.Fatalf("%v", err)
	}
	// While the session runs, its log is waited for.
	hold, _ := session.HoldRunning(empty)
	defer hold()
	seen, wait = collect(context.Background(), empty, fast)
	time.Sleep(20 * time.Millisecond)
	w2 := &writer{t: t, dir: empty}
	w2.f, _ = os.OpenFile(filepath.Join(empty, session.EventsFileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	defer w2.f.Close()
	w2.rec = chain.NewRecorder(w2.f)
	w2.started()
	w2.ended()
	next(t, seen)
	next(t, seen)
	if res, err := wait(); err != nil || !res.Ended {
		t.Fatalf("%+v %v", res, err)
	}
}
