package nonomerkle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

type sessionCmd struct {
	Dir              string `arg:"" type:"existingdir" help:"The session directory."`
	NoIntegrity      bool   `name:"no-integrity" help:"Still verify the log and count its records, but set audit_integrity to null."`
	Lenient          bool   `help:"Accept nono-py records whose event_json escapes non-ASCII."`
	AllowPartialTail bool   `name:"allow-partial-tail" help:"Ignore a truncated final record (a crash mid-write) instead of failing."`
	Stdin            bool   `help:"Summarise the records streamed on stdin as they are written to DIR's log by nono-chain --log (the end of the nono run pipeline), then check the log holds exactly those bytes; the log is not read again."`
}

// Run sets the two fields of session.json this stage owns, from the log as
// verified now. A log that does not verify changes nothing.
func (c *sessionCmd) Run() error {
	path := filepath.Join(c.Dir, session.EventsFileName)
	opts := chain.Options{Lenient: c.Lenient, AllowPartialTail: c.AllowPartialTail}
	var res *chain.Result
	var err error
	if c.Stdin {
		cli.RecorderStage()
		res, err = chain.VerifyTeed(os.Stdin, path, opts)
		if err == nil && session.IsRunning(c.Dir) {
			err = fmt.Errorf("session %s is still running; its log is not complete", c.Dir)
		}
	} else {
		if session.IsRunning(c.Dir) {
			return fmt.Errorf("session %s is still running; its log is not complete", c.Dir)
		}
		f, ferr := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if ferr != nil {
			return cli.Exit(2, ferr)
		}
		defer f.Close()
		res, err = chain.Verify(f, opts)
	}
	var re *chain.RecordError
	if errors.As(err, &re) || errors.Is(err, chain.ErrStreamMismatch) {
		return cli.Exit(1, fmt.Errorf("%s: %w", path, err))
	}
	if err != nil {
		return cli.Exit(2, fmt.Errorf("%s: %w", path, err))
	}
	warnResult(res)
	if res.EventCount == 0 && !c.NoIntegrity {
		fmt.Fprintf(os.Stderr, "nono-merkle: warning: %s has no records; audit_integrity is null\n", path)
	}
	err = session.Update(c.Dir, func(s *session.Session) error {
		s.AuditEventCount = res.EventCount
		s.AuditIntegrity = nil
		if !c.NoIntegrity && res.ChainHead != nil && res.MerkleRoot != nil {
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
		return cli.Exit(2, err)
	}
	return nil
}
