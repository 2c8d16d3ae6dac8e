package snapshot

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/fstree"
)

// restoresFileName, in a rollback session directory and in the audit
// session directory, records every restore of the session, one JSON
// object a line. session.json cannot hold it: it is covered by the
// ledger's session digest and must not change after the session ends.
//
// The lines form a hash chain: each one's "prev" is the SHA-256 of the
// previous line (without its newline), the first one's the SHA-256 of
// restoresGenesis and the session ID, so a line cannot be edited, removed
// or moved, nor a history copied from another session, without verify
// noticing. Both copies are written alike; verify also compares them.
const restoresFileName = "restores.ndjson"

// restoresGenesis starts every session's restore chain.
const restoresGenesis = "nono.rollback.restores.v1\n"

// maxRestores bounds the restore history read into memory.
const maxRestores = 16 << 20

// RestoreRecord is one line of restores.ndjson.
type RestoreRecord struct {
	Time     time.Time
	Snapshot int
	Source   string // "cli" or "prompt"
	Forced   bool
	Planned  int // steps in the plan
	Done     int // steps carried out
	Counts   ActionCounts
	Error    string       // why it stopped early; "" when complete
	Prev     *fstree.Hash // the chain link; nil in lines of older versions
}

// Value is the record as an ordered JSON object.
func (r *RestoreRecord) Value() canon.Value {
	errv := canon.NullValue()
	if r.Error != "" {
		errv = canon.StringValue(r.Error)
	}
	members := []canon.Member{
		{Key: "time", Value: canon.StringValue(event.FormatTime(r.Time))},
		{Key: "snapshot", Value: canon.IntValue(int64(r.Snapshot))},
		{Key: "source", Value: canon.StringValue(r.Source)},
		{Key: "forced", Value: canon.BoolValue(r.Forced)},
		{Key: "planned", Value: canon.IntValue(int64(r.Planned))},
		{Key: "done", Value: canon.IntValue(int64(r.Done))},
		{Key: "created", Value: canon.IntValue(int64(r.Counts.Created))},
		{Key: "modified", Value: canon.IntValue(int64(r.Counts.Modified))},
		{Key: "deleted", Value: canon.IntValue(int64(r.Counts.Deleted))},
		{Key: "permissions", Value: canon.IntValue(int64(r.Counts.Permissions))},
		{Key: "error", Value: errv},
	}
	if r.Prev != nil {
		members = append(members, canon.Member{Key: "prev", Value: canon.StringValue(fstree.Hex(*r.Prev))})
	}
	return canon.ObjectValue(members...)
}

// chainStart is the "prev" of a session's first restore line.
func chainStart(id string) fstree.Hash {
	return sha256.Sum256([]byte(restoresGenesis + id))
}

// recordRestore appends the record to the rollback session's
// restores.ndjson and, when the audit session directory exists, to its
// copy there too, each linked to the last line of its own file.
func recordRestore(id, dir, auditDir string, r *RestoreRecord) error {
	err := appendRestore(filepath.Join(dir, restoresFileName), id, *r)
	if auditDir != "" {
		if fi, serr := os.Lstat(auditDir); serr == nil && fi.IsDir() {
			err = errors.Join(err, appendRestore(filepath.Join(auditDir, restoresFileName), id, *r))
		}
	}
	if err != nil {
		return fmt.Errorf("record the restore: %w", err)
	}
	return nil
}

// appendRestore links r to the last line of p and appends it, holding an
// exclusive lock on the file so two restores cannot fork the chain.
func appendRestore(p, id string, r RestoreRecord) error {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	data, err := canon.ReadAll(f, maxRestores, p)
	if err != nil {
		return err
	}
	prev := chainStart(id)
	if last := lastLine(data); last != nil {
		prev = sha256.Sum256(last)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return fmt.Errorf("%s: the last line is incomplete (a write was interrupted); verify the session", p)
	}
	r.Prev = &prev
	if _, err := f.Write(append(canon.Compact(r.Value()), '\n')); err != nil {
		return err
	}
	return f.Sync()
}

// lastLine is the last non-empty line of data without its newline.
func lastLine(data []byte) []byte {
	data = bytes.TrimRight(data, "\n")
	if len(data) == 0 {
		return nil
	}
	return data[bytes.LastIndexByte(data, '\n')+1:]
}

// restoreHistory is a session's restores.ndjson, read and checked.
type restoreHistory struct {
	Records []RestoreRecord
	Raw     []byte // the file's bytes; nil when there is none
	// Unchained counts lines written before the history was chained.
	Unchained int
}

// ReadRestores reads dir/restores.ndjson (audit or rollback session
// directory). A missing file means no restore happened: nil, nil. Every
// line is read with the strict JSON reader; the chain is not checked
// (see CheckRestores).
func ReadRestores(dir string) ([]RestoreRecord, error) {
	h, err := readRestoreHistory(dir)
	if h == nil {
		return nil, err
	}
	return h.Records, err
}

func readRestoreHistory(dir string) (*restoreHistory, error) {
	p := filepath.Join(dir, restoresFileName)
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	data, err := canon.ReadAll(f, maxRestores, p)
	if err != nil {
		return nil, err
	}
	h := &restoreHistory{Raw: data}
	for n, line := range bytes.SplitAfter(data, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		if line[len(line)-1] != '\n' {
			return h, fmt.Errorf("%s: line %d is incomplete (a write was interrupted)", p, n+1)
		}
		r, err := parseRestore(line[:len(line)-1])
		if err != nil {
			return h, fmt.Errorf("%s: line %d: %w", p, n+1, err)
		}
		if r.Prev == nil {
			h.Unchained++
		}
		h.Records = append(h.Records, r)
	}
	return h, nil
}

// parseRestore reads one line strictly: valid JSON with no duplicate
// keys, the known fields of the right types; unknown keys are ignored.
func parseRestore(line []byte) (RestoreRecord, error) {
	var r RestoreRecord
	v, err := canon.Parse(line)
	if err != nil {
		return r, err
	}
	if v.Kind != canon.Object {
		return r, errors.New("not a JSON object")
	}
	num := func(key string) (int, error) {
		x, ok := v.Get(key)
		n, isInt := x.Int()
		if !ok || !isInt || n < 0 || n > 1<<31 {
			return 0, fmt.Errorf("%s: want a non-negative integer", key)
		}
		return int(n), nil
	}
	str := func(key string, nullable bool) (string, error) {
		x, ok := v.Get(key)
		switch {
		case ok && x.Kind == canon.String:
			return x.Str, nil
		case ok && nullable && x.Kind == canon.Null:
			return "", nil
		}
		return "", fmt.Errorf("%s: want a string", key)
	}
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	t, err := str("time", false)
	keep(err)
	if err == nil {
		r.Time, err = event.ParseTime(t)
		keep(err)
	}
	r.Source, err = str("source", false)
	keep(err)
	r.Error, err = str("error", true)
	keep(err)
	if x, ok := v.Get("forced"); ok && x.Kind == canon.Bool {
		r.Forced = x.Bool
	} else {
		keep(errors.New("forced: want true or false"))
	}
	for _, f := range []struct {
		key string
		dst *int
	}{
		{"snapshot", &r.Snapshot}, {"planned", &r.Planned}, {"done", &r.Done},
		{"created", &r.Counts.Created}, {"modified", &r.Counts.Modified},
		{"deleted", &r.Counts.Deleted}, {"permissions", &r.Counts.Permissions},
	} {
		*f.dst, err = num(f.key)
		keep(err)
	}
	if x, ok := v.Get("prev"); ok {
		h, err := fstree.ParseHash(x.Str)
		if x.Kind != canon.String || err != nil || x.Str != fstree.Hex(h) {
			keep(errors.New("prev: want 64 lower-case hex digits"))
		} else {
			r.Prev = &h
		}
	}
	return r, errors.Join(errs...)
}

// checkChain checks the links of a restore history of session id and
// returns the first broken one in words ("" when the chain holds).
func (h *restoreHistory) checkChain(id string) string {
	if h.Unchained == len(h.Records) {
		return "" // written before the history was chained: nothing to check
	}
	if h.Unchained > 0 {
		return fmt.Sprintf("%d line(s) carry no chain link", h.Unchained)
	}
	want := chainStart(id)
	lines := bytes.Split(bytes.TrimRight(h.Raw, "\n"), []byte{'\n'})
	for i, r := range h.Records {
		if *r.Prev != want {
			if i == 0 {
				return "line 1 does not start this session's chain (lines were removed from the start, or it belongs to another session)"
			}
			return fmt.Sprintf("line %d does not follow line %d (a line was edited, removed or moved)", i+1, i)
		}
		want = sha256.Sum256(lines[i])
	}
	return ""
}
