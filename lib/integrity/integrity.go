// Package integrity is the summarising stage of a recording: it verifies
// a session's event log and sets the fields of session.json that
// describe it: audit_event_count, audit_integrity (event count, chain
// head, Merkle root) and network_events (the log's network events, which
// a filtering proxy wrote live). A log that does not verify changes
// nothing.
//
// At the end of `nono run` the records are summarised as nono-chain
// streams them into the log (Options.Stream), so the log is not read a
// second time; the file is then checked to hold exactly the bytes
// streamed.
package integrity

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// Options tune Summarize.
type Options struct {
	// Stream holds the records as they are written to the session's log
	// (nono-chain --log); nil reads the log file.
	Stream io.Reader
	// NoIntegrity still verifies and counts the records but sets
	// audit_integrity to null (nono run --no-audit-integrity).
	NoIntegrity bool
	// Chain says how records are verified.
	Chain chain.Options
	// EndFromLog sets session.json's ended and exit_code from the log's
	// session_ended event (nono run's last stage, whose supervisor leaves
	// them to it); without one they stay as they are.
	EndFromLog bool
}

// Summary is what Summarize found and wrote.
type Summary struct {
	Log      string        // the log's path
	Result   *chain.Result // the verified log
	Warnings []string      // notes for the user, each naming the log
}

// RunningError refuses to summarise a session whose recorder still runs:
// its log is not complete.
type RunningError struct{ Dir string }

func (e *RunningError) Error() string {
	return fmt.Sprintf("session %s is still running; its log is not complete", e.Dir)
}

// Summarize verifies the event log of the session in dir and sets its
// session.json's audit_event_count and audit_integrity from it, and
// network_events to the log's network events (as the log holds them,
// redacted). A log
// that does not verify is a verdict (chain.RecordError, or
// chain.ErrStreamMismatch for a file that is not what was streamed); an
// unreadable log, a running session or a session.json that cannot be
// rewritten is unusable input.
func Summarize(dir string, opts Options) (*Summary, error) {
	path := filepath.Join(dir, session.EventsFileName)
	spool := newNetworkSpool(dir, opts.Chain.MaxLine)
	defer spool.remove()
	res, err := verifyLog(dir, path, spool, opts)
	if _, running := err.(*RunningError); err != nil && !running {
		err = fmt.Errorf("%s: %w", path, err)
	}
	if err != nil {
		return nil, err
	}
	sum := &Summary{Log: path, Result: res}
	for _, w := range res.Warnings() {
		sum.Warnings = append(sum.Warnings, path+": "+w)
	}
	if res.EventCount == 0 && !opts.NoIntegrity {
		sum.Warnings = append(sum.Warnings, path+" has no records; audit_integrity is null")
	}
	network, err := spool.finish()
	if err != nil {
		return nil, err
	}
	err = session.Update(dir, func(s *session.Session) error {
		s.AuditEventCount = res.EventCount
		s.NetworkEvents = network
		if opts.EndFromLog && spool.end != nil {
			ended, code := spool.end.Ended, spool.end.ExitCode
			s.Ended, s.ExitCode = &ended, &code
		}
		s.AuditIntegrity = nil
		if !opts.NoIntegrity && res.ChainHead != nil && res.MerkleRoot != nil {
			s.AuditIntegrity = &session.Integrity{
				HashAlgorithm: "sha256",
				EventCount:    res.EventCount,
				ChainHead:     merkle.Hex(*res.ChainHead),
				MerkleRoot:    merkle.Hex(*res.MerkleRoot),
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// verifyLog verifies the stream (then checks the file holds exactly it)
// or the file itself. A stream is drained even when the session turns
// out to be running, so the writer upstream never blocks.
func verifyLog(dir, path string, spool io.Writer, opts Options) (*chain.Result, error) {
	if opts.Stream != nil {
		res, err := chain.VerifyTeed(io.TeeReader(opts.Stream, spool), path, opts.Chain)
		if err == nil && session.IsRunning(dir) {
			return nil, &RunningError{Dir: dir}
		}
		return res, err
	}
	if session.IsRunning(dir) {
		return nil, &RunningError{Dir: dir}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return chain.Verify(io.TeeReader(f, spool), opts.Chain)
}
