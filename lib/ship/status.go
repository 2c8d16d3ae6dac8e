package ship

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/platform"
	"github.com/nono-audit/nono/lib/session"
)

// Delivery states of a session, as `nono audit status` shows them.
const (
	StateDelivered    = "delivered"     // a receipt is kept beside it
	StatePending      = "pending"       // queued, not yet tried or tried without an answer yet
	StateFailed       = "failed"        // queued, the last attempt failed
	StateUnsent       = "unsent"        // shippable, not queued (`nono audit sync` queues it)
	StateNotShippable = "not-shippable" // never leaves: unfinished, no integrity summary, or does not verify
	StateRunning      = "running"
)

// SessionStatus is the delivery state of one session.
type SessionStatus struct {
	SessionID string
	State     string
	Receipt   *delivery.Receipt // delivered
	Item      *Item             // pending or failed
	Reason    string            // failed or not-shippable: why; pending: a note
}

// Status reports every session of the audit root and every outbox item
// whose session is no longer there (it is still delivered: the outbox
// holds the whole envelope).
func Status(p platform.Paths, auditRoot string) ([]SessionStatus, error) {
	items, err := ListOutbox(p)
	if err != nil {
		return nil, err
	}
	bySession := map[string]*Item{}
	for _, it := range items {
		bySession[it.SessionID] = it
	}
	entries, err := (&session.Store{AuditRoot: auditRoot}).List(session.AuditSide)
	if err != nil {
		return nil, err
	}
	session.SortNewestFirst(entries)
	var out []SessionStatus
	for _, e := range entries {
		st := SessionStatus{SessionID: e.ID}
		it := bySession[e.ID]
		delete(bySession, e.ID)
		rc, rerr := ReadReceipt(e.AuditDir)
		switch {
		case rc != nil:
			st.State, st.Receipt = StateDelivered, rc
		case it != nil:
			st.setItem(it)
		case e.Status == session.Running:
			st.State = StateRunning
		default:
			st.State = StateUnsent
			if err := envelope.Shippable(e, auditRoot); err != nil {
				st.State, st.Reason = StateNotShippable, reason(err)
			}
			if rerr != nil {
				st.Reason = fmt.Sprintf("unreadable receipt: %v", rerr)
			}
		}
		out = append(out, st)
	}
	for _, it := range items {
		if bySession[it.SessionID] == it {
			st := SessionStatus{SessionID: it.SessionID}
			st.setItem(it)
			st.Reason = strings.TrimPrefix(st.Reason+"; the session directory is gone, the outbox still holds its envelope", "; ")
			out = append(out, st)
		}
	}
	return out, nil
}

func (st *SessionStatus) setItem(it *Item) {
	st.Item = it
	st.State = StatePending
	if it.Attempts.LastError != "" {
		st.State, st.Reason = StateFailed, it.Attempts.LastError
	}
}

func reason(err error) string {
	var ns *envelope.NotShippableError
	if errors.As(err, &ns) {
		return ns.Reason
	}
	return err.Error()
}

// Value is one row of `nono audit status --json`.
func (st *SessionStatus) Value() canon.Value {
	null := canon.NullValue()
	opt := func(s string) canon.Value {
		if s == "" {
			return null
		}
		return canon.StringValue(s)
	}
	ingest, accepted, object, verification, next := null, null, null, null, null
	attempts := canon.UintValue(0)
	if rc := st.Receipt; rc != nil {
		ingest, accepted, object, verification = opt(rc.IngestID), opt(rc.AcceptedAt), opt(rc.ObjectPath), opt(rc.VerificationStatus)
	}
	if it := st.Item; it != nil {
		ingest, attempts = opt(it.IngestID), canon.UintValue(uint64(it.Attempts.Count))
		if !it.Attempts.NextAttempt.IsZero() {
			next = canon.StringValue(it.Attempts.NextAttempt.UTC().Format(time.RFC3339))
		}
	}
	return canon.ObjectValue(
		canon.Member{Key: "session_id", Value: canon.StringValue(st.SessionID)},
		canon.Member{Key: "state", Value: canon.StringValue(st.State)},
		canon.Member{Key: "ingest_id", Value: ingest},
		canon.Member{Key: "accepted_at", Value: accepted},
		canon.Member{Key: "object_path", Value: object},
		canon.Member{Key: "verification_status", Value: verification},
		canon.Member{Key: "attempts", Value: attempts},
		canon.Member{Key: "next_attempt", Value: next},
		canon.Member{Key: "reason", Value: opt(st.Reason)},
	)
}

// WriteStatusTable prints one line per session: ID, state, and the
// receipt's object path or the reason.
func WriteStatusTable(w io.Writer, rows []SessionStatus) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No sessions.")
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s  %-13s  %s\n", "SESSION", "STATE", "DETAIL")
	for _, st := range rows {
		detail := st.Reason
		switch {
		case st.Receipt != nil:
			detail = fmt.Sprintf("%s (accepted %s, ingest %s)", st.Receipt.ObjectPath, st.Receipt.AcceptedAt, st.Receipt.IngestID)
		case st.Item != nil && st.State == StatePending:
			detail = "queued as ingest " + st.Item.IngestID
		case st.Item != nil:
			detail = fmt.Sprintf("%s (%d attempts, next after %s)", st.Reason, st.Item.Attempts.Count,
				st.Item.Attempts.NextAttempt.Local().Format("2006-01-02 15:04:05"))
		case st.State == StateUnsent:
			detail = "not queued yet (nono audit sync)"
		}
		fmt.Fprintf(&b, "%-20s  %-13s  %s\n", st.SessionID, st.State, detail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
