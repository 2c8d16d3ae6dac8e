package ship

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/platform"
)

// The outbox holds, for each envelope waiting to leave, two files named
// by its ingest ID: <id>.json, upstream's queue item
// {"schema_version":2,"envelope":{…},"session_dir":"…"}, written and
// synced before the first attempt and never changed, so every retry
// sends the same bytes under the same request ID; and <id>.state, ours,
// the attempts so far (a file with another extension, so upstream's
// client, which reads *.json, never trips over it).
const (
	itemSchema  = 2
	itemExt     = ".json"
	stateExt    = ".state"
	lockName    = ".lock"
	maxItemSize = envelope.MaxSize + 1<<20
)

// Item is one envelope in the outbox.
type Item struct {
	Path       string // <outbox>/<ingest_id>.json
	IngestID   string
	SessionID  string
	SessionDir string
	ShipperID  string
	Attempts   Attempts
}

// Attempts is an item's delivery history, kept in <id>.state.
type Attempts struct {
	QueuedAt    time.Time
	Count       int
	LastAttempt time.Time
	LastError   string
	NextAttempt time.Time // zero: due now
}

func (a *Attempts) value(it *Item) canon.Value {
	ts := func(t time.Time) canon.Value {
		if t.IsZero() {
			return canon.NullValue()
		}
		return canon.StringValue(t.UTC().Format(time.RFC3339Nano))
	}
	lastErr := canon.NullValue()
	if a.LastError != "" {
		lastErr = canon.StringValue(a.LastError)
	}
	return canon.ObjectValue(
		canon.Member{Key: "ingest_id", Value: canon.StringValue(it.IngestID)},
		canon.Member{Key: "session_id", Value: canon.StringValue(it.SessionID)},
		canon.Member{Key: "session_dir", Value: canon.StringValue(it.SessionDir)},
		canon.Member{Key: "shipper_id", Value: canon.StringValue(it.ShipperID)},
		canon.Member{Key: "queued_at", Value: ts(a.QueuedAt)},
		canon.Member{Key: "attempts", Value: canon.UintValue(uint64(a.Count))},
		canon.Member{Key: "last_attempt", Value: ts(a.LastAttempt)},
		canon.Member{Key: "last_error", Value: lastErr},
		canon.Member{Key: "next_attempt", Value: ts(a.NextAttempt)},
	)
}

// Queue writes env into the outbox, synced, before anything is sent.
func Queue(p platform.Paths, env *envelope.Envelope, sessionDir string, now time.Time) (*Item, error) {
	if !delivery.ValidUUID(env.IngestID) {
		return nil, fmt.Errorf("ingest_id %q is not a UUID", env.IngestID)
	}
	if err := os.MkdirAll(p.Outbox, 0o700); err != nil {
		return nil, fmt.Errorf("create the outbox: %w", err)
	}
	it := &Item{
		Path: filepath.Join(p.Outbox, env.IngestID+itemExt), IngestID: env.IngestID,
		SessionID: env.SessionID, SessionDir: sessionDir, ShipperID: env.ShipperID,
		Attempts: Attempts{QueuedAt: now},
	}
	doc := append([]byte(itemPrefix), env.Encode()...)
	doc = canon.AppendString(append(doc, `,"session_dir":`...), sessionDir)
	if err := atomicfile.WriteFile(it.Path, append(doc, '}'), 0o600); err != nil {
		return nil, err
	}
	if err := it.saveAttempts(); err != nil {
		return nil, err
	}
	return it, nil
}

func (it *Item) statePath() string { return strings.TrimSuffix(it.Path, itemExt) + stateExt }

func (it *Item) saveAttempts() error {
	return atomicfile.Replace(it.statePath(), canon.Pretty(it.Attempts.value(it)), 0o600)
}

// Body reads the item and returns the request body: the envelope, compact,
// exactly as queued, and what identifies it (envelope.ParseHead).
func (it *Item) Body() (*envelope.Envelope, []byte, error) {
	data, err := readItem(it.Path)
	if err != nil {
		return nil, nil, err
	}
	body, _, err := splitItem(data)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox item %s: %w", it.Path, err)
	}
	env, err := envelope.ParseHead(body)
	if err != nil {
		return nil, nil, fmt.Errorf("outbox item %s: %w", it.Path, err)
	}
	return env, body, nil
}

// itemPrefix opens every item Queue writes.
const itemPrefix = `{"schema_version":2,"envelope":`

// splitItem returns the envelope's bytes and the session directory of a
// queue item. Items this package wrote are cut apart without decoding
// the envelope twice: a JSON string escapes every quote, so the bytes
// `,"session_dir":` occur raw only as the item's last key. Anything else
// (an item written by another client, pretty-printed) is parsed whole
// and the envelope re-encoded compactly, as upstream's client sends it.
// The caller parses the body, which is where a malformed item fails.
func splitItem(data []byte) (body []byte, dir string, err error) {
	const dirKey = `,"session_dir":`
	if i := bytes.LastIndex(data, []byte(dirKey)); bytes.HasPrefix(data, []byte(itemPrefix)) && i > len(itemPrefix) {
		tail, err := canon.Parse(append([]byte{'{'}, data[i+1:]...))
		if d, ok := tail.Get("session_dir"); err == nil && ok && d.Kind == canon.String && len(tail.Members) == 1 {
			return data[len(itemPrefix):i], d.Str, nil
		}
	}
	v, err := canon.Parse(data)
	if err != nil || v.Kind != canon.Object {
		return nil, "", fmt.Errorf("not a queue item: %v", err)
	}
	if sv, _ := v.Get("schema_version"); sv.Num != "2" {
		return nil, "", fmt.Errorf("unsupported schema_version %q", sv.Num)
	}
	ev, ok := v.Get("envelope")
	if !ok || ev.Kind != canon.Object {
		return nil, "", errors.New("no envelope")
	}
	d, _ := v.Get("session_dir")
	return canon.Compact(ev), d.Str, nil
}

func readItem(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxItemSize {
		return nil, fmt.Errorf("outbox item %s is larger than %d bytes", path, maxItemSize)
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// ListOutbox returns the items, oldest ingest ID (so oldest queued) first.
// An item whose .state is missing or unreadable (a crash right after
// queueing) has it rebuilt from the item itself.
func ListOutbox(p platform.Paths) ([]*Item, error) {
	names, err := os.ReadDir(p.Outbox)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	var items []*Item
	for _, d := range names {
		id, ok := strings.CutSuffix(d.Name(), itemExt)
		if !ok || !d.Type().IsRegular() || !delivery.ValidUUID(id) {
			continue
		}
		it := &Item{Path: filepath.Join(p.Outbox, d.Name()), IngestID: id}
		if err := it.loadAttempts(); err != nil {
			if err := it.rebuildAttempts(); err != nil {
				it.Attempts.LastError = err.Error()
			}
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].IngestID < items[j].IngestID })
	return items, nil
}

func (it *Item) loadAttempts() error {
	data, err := os.ReadFile(it.statePath())
	if err != nil {
		return err
	}
	v, err := canon.Parse(data)
	if err != nil {
		return err
	}
	str := func(k string) string { m, _ := v.Get(k); return m.Str }
	ts := func(k string) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, str(k))
		return t
	}
	if str("ingest_id") != it.IngestID || str("session_id") == "" {
		return errors.New("state names another item")
	}
	it.SessionID, it.SessionDir, it.ShipperID = str("session_id"), str("session_dir"), str("shipper_id")
	n, _ := v.Get("attempts")
	count, _ := n.Uint()
	it.Attempts = Attempts{
		QueuedAt: ts("queued_at"), Count: int(count), LastAttempt: ts("last_attempt"),
		LastError: str("last_error"), NextAttempt: ts("next_attempt"),
	}
	return nil
}

func (it *Item) rebuildAttempts() error {
	data, err := readItem(it.Path)
	if err != nil {
		return err
	}
	body, dir, err := splitItem(data)
	if err != nil {
		return fmt.Errorf("outbox item %s: %w", it.Path, err)
	}
	env, err := envelope.ParseHead(body)
	if err != nil {
		return fmt.Errorf("outbox item %s: %w", it.Path, err)
	}
	it.SessionID, it.SessionDir, it.ShipperID = env.SessionID, dir, env.ShipperID
	if fi, err := os.Stat(it.Path); err == nil {
		it.Attempts.QueuedAt = fi.ModTime()
	}
	return it.saveAttempts()
}

// remove deletes a delivered item and its state.
func (it *Item) remove() error {
	if err := os.Remove(it.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	os.Remove(it.statePath())
	return nil
}

// lockItem takes the item for delivery, without waiting: false when
// another process is delivering it now.
func (it *Item) lockItem() (release func(), ok bool) {
	f, err := os.OpenFile(it.Path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}

// lockOutbox serialises queueing (so two syncs never queue one session
// twice), waiting at most wait.
func lockOutbox(p platform.Paths, wait time.Duration) (release func(), err error) {
	if err := os.MkdirAll(p.Outbox, 0o700); err != nil {
		return nil, fmt.Errorf("create the outbox: %w", err)
	}
	path := filepath.Join(p.Outbox, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the outbox: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, fmt.Errorf("the outbox %s is locked by another sync for more than %s", path, wait)
			}
			return nil, fmt.Errorf("lock the outbox: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
