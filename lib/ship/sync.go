package ship

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/session"
)

// SyncOptions say what a sync ships and how long it may take.
type SyncOptions struct {
	AuditRoot string
	// Session, when set, queues only that session (after `nono run`)
	// instead of every finished session without a receipt.
	Session string
	// Deadline bounds the whole sync; zero means none. What is not
	// delivered by then stays in the outbox.
	Deadline time.Time
	// Retries is how many more times a failed delivery is tried within
	// this sync (network errors and receivers that are down; a refusal of
	// the envelope itself is not retried), pausing Backoff, then twice
	// that, and so on.
	Retries int
	Backoff time.Duration
	// DueOnly skips items whose next attempt (after earlier failures) is
	// still in the future, so a receiver that is down does not slow every
	// run. The Session's own item is always tried.
	DueOnly bool
	// Parallel deliveries at once (at least 1).
	Parallel int
	// Progress, when set, hears of each outcome as it happens.
	Progress func(Outcome)
}

// Outcome kinds.
const (
	Delivered    = "delivered"
	Failed       = "failed"        // tried, not delivered; stays queued
	Deferred     = "deferred"      // not tried in this sync; stays queued
	NotShippable = "not-shippable" // never queued: see Err
)

// Outcome is what happened to one session in a sync.
type Outcome struct {
	Kind      string
	SessionID string
	IngestID  string
	Receipt   *delivery.Receipt
	Err       error
	Attempts  int
}

// SyncReport lists the outcomes of a sync.
type SyncReport struct {
	Queued   int // sessions put into the outbox by this sync
	Outcomes []Outcome
}

// Count returns how many outcomes are of kind.
func (r *SyncReport) Count(kind string) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Kind == kind {
			n++
		}
	}
	return n
}

// Invalid reports whether a session failed verification and was held back.
func (r *SyncReport) Invalid() bool {
	for _, o := range r.Outcomes {
		var ns *envelope.NotShippableError
		if o.Kind == NotShippable && errors.As(o.Err, &ns) && ns.Invalid {
			return true
		}
	}
	return false
}

// Sync queues every finished session that has neither a receipt nor an
// outbox item (or just opts.Session), then delivers what the outbox
// holds. A session that does not verify is never queued; it is reported.
func (c *Client) Sync(ctx context.Context, opts SyncOptions) (*SyncReport, error) {
	if opts.Parallel < 1 {
		opts.Parallel = 1
	}
	if !opts.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, opts.Deadline)
		defer cancel()
	}
	rep := &SyncReport{}
	var mu sync.Mutex
	report := func(o Outcome) {
		mu.Lock()
		defer mu.Unlock()
		rep.Outcomes = append(rep.Outcomes, o)
		if opts.Progress != nil {
			opts.Progress(o)
		}
	}
	// Deliveries start as soon as the first envelope is queued; the items
	// already in the outbox follow the new ones (after a run, the new one
	// is that run's session).
	work := make(chan *Item, opts.Parallel)
	var wg sync.WaitGroup
	for range opts.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				report(c.deliverItem(ctx, it, opts))
			}
		}()
	}
	waiting, err := c.queueSessions(ctx, opts, rep, report, func(it *Item) { work <- it })
	for _, it := range waiting {
		work <- it
	}
	close(work)
	wg.Wait()
	return rep, err
}

// queueSessions builds and queues, opts.Parallel at a time, the envelopes
// of the sessions that have neither a receipt nor an outbox item, under
// the outbox lock, handing each new item to deliver once it is on disk.
// It returns the items that were in the outbox before.
func (c *Client) queueSessions(ctx context.Context, opts SyncOptions, rep *SyncReport, report func(Outcome), deliver func(*Item)) ([]*Item, error) {
	wait := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(d))
	}
	release, err := lockOutbox(c.Paths, wait)
	if err != nil {
		return nil, err
	}
	defer release()
	items, err := ListOutbox(c.Paths)
	if err != nil {
		return nil, err
	}
	queued := map[string]bool{}
	for _, it := range items {
		queued[it.SessionID] = true
	}
	var entries []*session.Entry
	store := &session.Store{AuditRoot: opts.AuditRoot}
	if opts.Session != "" {
		e, err := store.Find(session.AuditSide, opts.Session)
		if err != nil {
			return items, err
		}
		entries = []*session.Entry{e}
	} else if entries, err = store.List(session.AuditSide); err != nil {
		return items, err
	}
	todo := make(chan *session.Entry)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range opts.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range todo {
				it, err := c.queueOne(e, opts.AuditRoot)
				var ns *envelope.NotShippableError
				switch {
				case errors.As(err, &ns):
					report(Outcome{Kind: NotShippable, SessionID: e.ID, Err: err})
				case err != nil:
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				default:
					mu.Lock()
					rep.Queued++
					mu.Unlock()
					deliver(it)
				}
			}
		}()
	}
	for _, e := range entries {
		if queued[e.ID] || e.Status == session.Running || e.AuditDir == "" || hasReceipt(e.AuditDir) {
			continue
		}
		queued[e.ID] = true
		todo <- e
	}
	close(todo)
	wg.Wait()
	return items, firstErr
}

// queueOne builds a session's envelope under this enrollment and queues it.
func (c *Client) queueOne(e *session.Entry, auditRoot string) (*Item, error) {
	id, err := delivery.NewUUIDv7(c.Now())
	if err != nil {
		return nil, err
	}
	env, err := envelope.Build(e, auditRoot, envelope.Identity{IngestID: id, TenantID: c.State.TenantID, ShipperID: c.State.SubjectID})
	if err != nil {
		return nil, err
	}
	return Queue(c.Paths, env, e.AuditDir, c.Now())
}

func hasReceipt(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ReceiptFileName))
	return err == nil
}

// deliverItem tries one item, retrying failures that may pass.
func (c *Client) deliverItem(ctx context.Context, it *Item, opts SyncOptions) Outcome {
	o := Outcome{Kind: Deferred, SessionID: it.SessionID, IngestID: it.IngestID, Attempts: it.Attempts.Count}
	own := opts.Session != "" && it.SessionID == opts.Session
	if opts.DueOnly && !own && c.Now().Before(it.Attempts.NextAttempt) {
		o.Err = fmt.Errorf("next attempt after %s (last error: %s)", it.Attempts.NextAttempt.Format(time.RFC3339), it.Attempts.LastError)
		return o
	}
	release, ok := it.lockItem()
	if !ok {
		o.Err = errors.New("another sync is delivering it")
		return o
	}
	defer release()
	if it.ShipperID != c.State.SubjectID {
		if err := c.requeue(it); err != nil {
			o.Kind, o.Err = Failed, err
			return o
		}
		o.IngestID = it.IngestID
	}
	pause := opts.Backoff
	for try := 0; ; try++ {
		if ctx.Err() != nil {
			o.Err = errors.New("out of time; it stays in the outbox")
			return o
		}
		rc, err := c.Deliver(ctx, it)
		if err == nil {
			o.Kind, o.Receipt, o.Err = Delivered, rc, nil
			return o
		}
		o.Kind, o.Err = Failed, err
		it.recordFailure(err, c.Now())
		o.Attempts = it.Attempts.Count
		var de *DeliveryError
		if (errors.As(err, &de) && de.Permanent) || try >= opts.Retries {
			return o
		}
		select {
		case <-ctx.Done():
			return o
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// recordFailure notes a failed attempt and when the next is due: 30 s
// after the first failure, doubling up to an hour.
func (it *Item) recordFailure(err error, now time.Time) {
	a := &it.Attempts
	a.Count++
	a.LastAttempt, a.LastError = now, err.Error()
	wait := 30 * time.Second
	for i := 1; i < a.Count && wait < time.Hour; i++ {
		wait *= 2
	}
	a.NextAttempt = now.Add(min(wait, time.Hour))
	it.saveAttempts()
}

// requeue replaces an item queued under an earlier enrollment with one
// for the current subject, built again from the session on disk (which
// verifies it again). The new item is queued before the old one goes.
func (c *Client) requeue(it *Item) error {
	if it.SessionDir == "" {
		return fmt.Errorf("queued as subject %s, and no session directory to queue it again from", it.ShipperID)
	}
	e, err := session.Load(it.SessionDir)
	if err != nil {
		return fmt.Errorf("queued as subject %s under an earlier enrollment, and the session is gone (%v); delete %s to drop it", it.ShipperID, err, it.Path)
	}
	id, err := delivery.NewUUIDv7(c.Now())
	if err != nil {
		return err
	}
	env, err := envelope.Build(e, filepath.Dir(it.SessionDir), envelope.Identity{IngestID: id, TenantID: c.State.TenantID, ShipperID: c.State.SubjectID})
	if err != nil {
		return err
	}
	fresh, err := Queue(c.Paths, env, it.SessionDir, c.Now())
	if err != nil {
		return err
	}
	if err := it.remove(); err != nil {
		return err
	}
	*it = *fresh
	return nil
}
