package ledger

import (
	"slices"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/session"
)

// Coverage compares the ledger with the sessions on disk. A chain that
// verifies says nothing of records cut from its end (the last line
// removed, the file emptied): the sessions they named are still on disk,
// finished and now in no record.
type Coverage struct {
	// Unrecorded are finished sessions the ledger does not name: the
	// ledger lost them, or they were never appended. A verdict.
	Unrecorded []string
	// Failed are sessions whose recording failed (incomplete or
	// damaged) and that the ledger does not name: left out on purpose
	// until a user appends them knowingly.
	Failed []string
	// Gone are sessions the ledger names whose audit directory is gone
	// (removed by cleanup, say): reported, not an error.
	Gone []string
}

// CheckCoverage sets the ledger's records (res.SessionIDs) against the
// audit sessions on disk (a Store's List of the audit side). Running
// sessions are not yet due in the ledger.
func CheckCoverage(res *Result, entries []*session.Entry) *Coverage {
	inLedger := make(map[string]bool, len(res.SessionIDs))
	for _, id := range res.SessionIDs {
		inLedger[id] = true
	}
	onDisk := map[string]bool{}
	cov := &Coverage{}
	for _, e := range entries {
		if e.AuditDir == "" { // only a rollback copy survives
			continue
		}
		onDisk[e.ID] = true
		if inLedger[e.ID] {
			continue
		}
		switch e.Status {
		case session.Completed:
			cov.Unrecorded = append(cov.Unrecorded, e.ID)
		case session.Incomplete, session.Damaged:
			cov.Failed = append(cov.Failed, e.ID)
		}
	}
	for id := range inLedger {
		if !onDisk[id] {
			cov.Gone = append(cov.Gone, id)
		}
	}
	slices.Sort(cov.Unrecorded)
	slices.Sort(cov.Failed)
	slices.Sort(cov.Gone)
	return cov
}

// Members are the coverage as JSON members, after the result's own.
func (c *Coverage) Members() []canon.Member {
	return []canon.Member{
		{Key: "sessions_not_in_ledger", Value: canon.StringsValue(c.Unrecorded)},
		{Key: "failed_sessions_not_in_ledger", Value: canon.StringsValue(c.Failed)},
		{Key: "entries_without_session", Value: canon.StringsValue(c.Gone)},
	}
}
