package snapshot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tidwall/gjson"
	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/ndjson"
)

// RestoresFileName, in a rollback session directory and in the audit
// session directory, records every restore of the session, one JSON
// object a line. session.json cannot hold it: it is covered by the
// ledger's session digest and must not change after the session ends.
const RestoresFileName = "restores.ndjson"

// RestoreRecord is one line of restores.ndjson.
type RestoreRecord struct {
	Time     time.Time
	Snapshot int
	Source   string // "cli" or "prompt"
	Forced   bool
	Planned  int // steps in the plan
	Done     int // steps carried out
	Counts   ActionCounts
	Error    string // why it stopped early; "" when complete
}

// Value is the record as an ordered JSON object.
func (r *RestoreRecord) Value() canon.Value {
	errv := canon.NullValue()
	if r.Error != "" {
		errv = canon.StringValue(r.Error)
	}
	return canon.ObjectValue(
		canon.Member{Key: "time", Value: canon.StringValue(event.FormatTime(r.Time))},
		canon.Member{Key: "snapshot", Value: canon.IntValue(int64(r.Snapshot))},
		canon.Member{Key: "source", Value: canon.StringValue(r.Source)},
		canon.Member{Key: "forced", Value: canon.BoolValue(r.Forced)},
		canon.Member{Key: "planned", Value: canon.IntValue(int64(r.Planned))},
		canon.Member{Key: "done", Value: canon.IntValue(int64(r.Done))},
		canon.Member{Key: "created", Value: canon.IntValue(int64(r.Counts.Created))},
		canon.Member{Key: "modified", Value: canon.IntValue(int64(r.Counts.Modified))},
		canon.Member{Key: "deleted", Value: canon.IntValue(int64(r.Counts.Deleted))},
		canon.Member{Key: "permissions", Value: canon.IntValue(int64(r.Counts.Permissions))},
		canon.Member{Key: "error", Value: errv},
	)
}

// recordRestore appends the record to the rollback session's
// restores.ndjson and, when the audit session directory exists, to its
// copy there too.
func recordRestore(dir, auditDir string, r *RestoreRecord) error {
	line := append(canon.Compact(r.Value()), '\n')
	err := appendLine(filepath.Join(dir, RestoresFileName), line)
	if auditDir != "" {
		if fi, serr := os.Lstat(auditDir); serr == nil && fi.IsDir() {
			err = errors.Join(err, appendLine(filepath.Join(auditDir, RestoresFileName), line))
		}
	}
	if err != nil {
		return fmt.Errorf("record the restore: %w", err)
	}
	return nil
}

func appendLine(p string, line []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadRestores reads dir/restores.ndjson (audit or rollback session
// directory). A missing file means no restore happened: nil, nil.
func ReadRestores(dir string) ([]RestoreRecord, error) {
	p := filepath.Join(dir, RestoresFileName)
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	var out []RestoreRecord
	rd := ndjson.NewReader(f)
	for {
		line, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", p, err)
		}
		if !gjson.ValidBytes(line) {
			return out, fmt.Errorf("%s: line %d: not JSON", p, rd.Line())
		}
		g := gjson.ParseBytes(line)
		t, _ := event.ParseTime(g.Get("time").String())
		out = append(out, RestoreRecord{
			Time:     t,
			Snapshot: int(g.Get("snapshot").Int()),
			Source:   g.Get("source").String(),
			Forced:   g.Get("forced").Bool(),
			Planned:  int(g.Get("planned").Int()),
			Done:     int(g.Get("done").Int()),
			Counts: ActionCounts{
				Created:     int(g.Get("created").Int()),
				Modified:    int(g.Get("modified").Int()),
				Deleted:     int(g.Get("deleted").Int()),
				Permissions: int(g.Get("permissions").Int()),
			},
			Error: g.Get("error").String(),
		})
	}
}
