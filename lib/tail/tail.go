// Package tail follows a session's event log while it is being written,
// verifying the hash chain as it goes: each record is handed on as soon as
// it is verified, and the first record that does not verify (an edited,
// removed or injected line) ends the reading at once.
//
// Verification is chain.Verify's, fed by a reader that waits at the end
// of the file for more until the session is over; nothing here checks a
// record itself.
package tail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/session"
)

// Options tune Follow.
type Options struct {
	// Follow keeps reading until the session is over; without it the
	// reading ends where the log ends now.
	Follow bool
	// Poll is how often the end of the log is looked at again (100 ms
	// when 0).
	Poll time.Duration
	// Grace is how long to wait for more records once the session no
	// longer runs without having recorded its end: the recorder stages
	// drain after the supervisor exits. 2 s when 0.
	Grace time.Duration
}

// Result is what was read.
type Result struct {
	Records       uint64 // records verified and handed on
	Ended         bool   // a session_ended record was among them
	Interrupted   bool   // the context ended the reading
	TruncatedLine int    // a final line cut short (a crash mid-write), or 0
}

// Follow reads the event log of the session in dir from its first
// record, verifying every record as chain.Verify does, and calls each with
// every verified record (its physical line number and its bytes without
// the newline, valid only during the call) as soon as it is verified.
//
// Without opts.Follow it ends at the end of what the log holds now. With
// it, it waits for more until the session is over: a session_ended record
// was read and nothing follows it, or the session no longer runs (no
// process holds its running lock) and the log has not grown for
// opts.Grace. In both cases it ends early, without error, when ctx is
// done.
//
// A record that does not verify ends it at once with a
// *chain.RecordError; an error from each ends it with that error.
func Follow(ctx context.Context, dir string, opts Options, each func(line int, record []byte) error) (*Result, error) {
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if opts.Grace <= 0 {
		opts.Grace = 2 * time.Second
	}
	res := &Result{}
	f, err := openLog(ctx, dir, opts)
	if err != nil || f == nil {
		res.Interrupted = f == nil && err == nil
		return res, err
	}
	defer f.Close()

	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	r := &follower{ctx: readCtx, f: f, dir: dir, opts: opts, last: time.Now()}
	var eachErr error
	vres, err := chain.Verify(r, chain.Options{
		AllowPartialTail: true,
		Record: func(line int, rec []byte) {
			if eachErr != nil {
				return
			}
			res.Records++
			if isSessionEnded(rec) {
				res.Ended = true
				r.ended.Store(true)
			}
			if eachErr = each(line, rec); eachErr != nil {
				stop()
			}
		},
	})
	if eachErr != nil {
		return res, eachErr
	}
	res.Interrupted = ctx.Err() != nil
	if err != nil {
		return res, err
	}
	res.TruncatedLine = vres.TruncatedLine
	return res, nil
}

// openLog opens the session's log. When following, a log not yet created
// is waited for while the session runs (or for opts.Grace, as a session
// is created a moment before it starts running). It returns nil, nil when
// ctx ended the wait.
func openLog(ctx context.Context, dir string, opts Options) (*os.File, error) {
	path := filepath.Join(dir, session.EventsFileName)
	start := time.Now()
	for {
		f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil {
			if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
				f.Close()
				return nil, fmt.Errorf("%s is not a regular file", path)
			}
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open the event log: %w", err)
		}
		if !opts.Follow || !session.IsRunning(dir) && time.Since(start) > opts.Grace {
			return nil, fmt.Errorf("the session has no event log (%s): it was recorded without audit, or has not started", path)
		}
		if !sleep(ctx, opts.Poll) {
			return nil, nil
		}
	}
}

// follower reads the log, waiting at its end for more while the session
// may still write some.
type follower struct {
	ctx     context.Context
	f       *os.File
	dir     string
	opts    Options
	ended   atomic.Bool // a session_ended record was verified
	last    time.Time   // when the log last grew
	stopped time.Time   // when the session was first seen not running
}

func (r *follower) Read(p []byte) (int, error) {
	for {
		n, err := r.f.Read(p)
		if n > 0 {
			r.last = time.Now()
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		if !r.opts.Follow || r.ended.Load() || r.ctx.Err() != nil {
			return 0, io.EOF
		}
		if session.IsRunning(r.dir) {
			r.stopped = time.Time{}
		} else {
			if r.stopped.IsZero() {
				r.stopped = time.Now()
			}
			if time.Since(r.stopped) >= r.opts.Grace && time.Since(r.last) >= r.opts.Grace {
				return 0, io.EOF
			}
		}
		if !sleep(r.ctx, r.opts.Poll) {
			return 0, io.EOF
		}
	}
}

// sleep waits d, or less when ctx ends first (false then).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// isSessionEnded reports whether a verified record holds the session's
// last event.
func isSessionEnded(rec []byte) bool {
	v, err := canon.Parse(rec)
	if err != nil {
		return false
	}
	ev, _ := v.Get("event")
	typ, _ := ev.Get("type")
	return typ.Kind == canon.String && typ.Str == "session_ended"
}
