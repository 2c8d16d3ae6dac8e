package nonochain

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
)

// ledgerCmd groups the ledger commands; `nono audit ledger …` maps here.
// Exit status: 0 done (verify: verified), 1 invalid or damaged, 2 usage or
// I/O error (a lock wait that timed out included); append exits 3 when the
// ledger is damaged, so `nono run` can report it without failing the run.
type ledgerCmd struct {
	Append ledgerAppendCmd `cmd:"" help:"Add a finished session (DIR/session.json) to the ledger of the audit root holding DIR."`
	Verify ledgerVerifyCmd `cmd:"" help:"Check the whole ledger chain and that it names every finished session on disk; with --session, that it commits to that session as it is now."`
	Repair ledgerRepairCmd `cmd:"" help:"Move a damaged ledger tail aside, keeping the longest valid prefix."`

	Checkpoint  ledgerCheckpointCmd  `cmd:"" help:"Sign a checkpoint of the ledger (C2SP tlog-checkpoint) and keep it beside the ledger as the latest."`
	Prove       ledgerProveCmd       `cmd:"" help:"Print the proof that a session's ledger record is in a checkpoint."`
	Consistency ledgerConsistencyCmd `cmd:"" help:"Print the proof that the ledger's first N records are a prefix of a checkpoint's tree."`
}

type ledgerAppendCmd struct {
	Session string        `arg:"" placeholder:"ID|DIR" help:"The session: its ID in the audit root, or its directory (a path with a /), whose parent is the audit root."`
	Wait    time.Duration `default:"30s" help:"Longest wait for another process's hold on the ledger lock."`
	JSON    bool          `name:"json" help:"Print the ledger record (one JSON line) on stdout."`
	// nono run's own append: a session whose recording failed gets no
	// entry unless the user adds it knowingly, by hand.
	IfRecorded bool `name:"if-recorded" help:"Refuse (exit 1) a session whose recording did not finish: session.json without an end, or an event log that does not end with session_ended."`
}

func (c *ledgerAppendCmd) Run(ui *cli.UI) error {
	dir, err := sessionDir(c.Session)
	if err != nil {
		return err
	}
	rec, s, err := ledger.AppendDir(dir, c.Wait, c.IfRecorded)
	if errors.Is(err, ledger.ErrDamaged) {
		// The session itself is recorded; only its ledger entry waits.
		return cli.Exit(3, ledger.DamagedHint(err, s.SessionID, dir))
	}
	if err != nil {
		return err
	}
	autoCheckpoint(ui, filepath.Dir(dir), c.Wait)
	if !c.JSON {
		return nil
	}
	return ui.Line(rec.Encode())
}

type ledgerVerifyCmd struct {
	Session   string `placeholder:"ID" help:"Also check that the ledger commits to this session's session.json as it is now."`
	JSON      bool   `name:"json" help:"Print the result object (upstream's ledger verification keys) on stdout."`
	AuditRoot string `name:"audit-root" placeholder:"DIR" help:"Audit root holding the ledger (default: $NONO_AUDIT_DIR, $XDG_STATE_HOME/nono/audit or ~/.nono/audit)."`
}

func (c *ledgerVerifyCmd) Run(ui *cli.UI) error {
	root, err := auditRoot(c.AuditRoot)
	if err != nil {
		return err
	}
	var s *session.Session
	if c.Session != "" {
		dir, err := session.Dir(root, c.Session)
		if err != nil {
			return cli.Usage("--session: %v", err)
		}
		if s, err = session.Read(dir); err != nil {
			return err
		}
	}
	res, err := ledger.Verify(root, s)
	if err != nil {
		return err
	}
	// Without --session, the whole ledger against the sessions on disk;
	// with it, upstream's answer about that session alone.
	cov := &ledger.Coverage{}
	if s == nil {
		entries, err := (&session.Store{AuditRoot: root}).List(session.AuditSide)
		if err != nil {
			return err
		}
		cov = ledger.CheckCoverage(res, entries)
	}
	if c.JSON && s != nil {
		err = ui.Line(canon.Compact(res.Value()))
	} else if c.JSON {
		v := res.Value()
		v.Members = append(v.Members, cov.Members()...)
		err = ui.Line(canon.Compact(v))
	} else {
		err = ui.Printf("%s\n", describeVerify(res, c.Session)+describeCoverage(cov))
	}
	if err != nil {
		return err
	}
	switch {
	case !res.LedgerChainVerified:
		return cli.Verdictf("no ledger at %s", res.Path)
	case len(cov.Unrecorded) > 0:
		return cli.Verdictf("%d finished session(s) are not in the ledger", len(cov.Unrecorded))
	case s != nil && !res.SessionFound:
		return cli.Verdictf("session %s is not in the ledger", c.Session)
	case s != nil && !res.SessionDigestMatches:
		return cli.Verdictf("session %s: its session.json no longer matches the digest in the ledger (sequence %d)", c.Session, res.SessionSequence)
	}
	return nil
}

func describeVerify(res *ledger.Result, id string) string {
	if !res.LedgerChainVerified {
		return fmt.Sprintf("ledger %s: missing", res.Path)
	}
	head := "-"
	if res.LedgerHead != nil {
		head = merkle.Hex(*res.LedgerHead)
	}
	line := fmt.Sprintf("ledger %s: verified (entries=%d, head=%s)", res.Path, res.EntryCount, head)
	switch {
	case id == "":
	case !res.SessionFound:
		line += fmt.Sprintf("\nsession %s: not in the ledger", id)
	case res.SessionDigestMatches:
		line += fmt.Sprintf("\nsession %s: digest matches (sequence %d)", id, res.SessionSequence)
	default:
		line += fmt.Sprintf("\nsession %s: digest MISMATCH (sequence %d)", id, res.SessionSequence)
	}
	return line
}

// describeCoverage lists, one line each, the sessions the ledger should
// name and does not, and the entries whose session is gone.
func describeCoverage(cov *ledger.Coverage) string {
	var b strings.Builder
	for _, id := range cov.Unrecorded {
		fmt.Fprintf(&b, "\nsession %s: finished but not in the ledger (the ledger lost it, or it was never appended; after checking it, `nono audit ledger append %s`)", id, id)
	}
	for _, id := range cov.Failed {
		fmt.Fprintf(&b, "\nsession %s: its recording failed; not in the ledger unless appended knowingly (`nono audit verify %s` says why)", id, id)
	}
	for _, id := range cov.Gone {
		fmt.Fprintf(&b, "\nsession %s: in the ledger, its directory is gone (removed by cleanup?)", id)
	}
	return b.String()
}

type ledgerRepairCmd struct {
	DryRun    bool          `name:"dry-run" help:"Only report what would be kept and moved."`
	JSON      bool          `name:"json" help:"Print the report as one JSON object on stdout."`
	Wait      time.Duration `default:"30s" help:"Longest wait for another process's hold on the ledger lock."`
	AuditRoot string        `name:"audit-root" placeholder:"DIR" help:"Audit root holding the ledger (default: $NONO_AUDIT_DIR, $XDG_STATE_HOME/nono/audit or ~/.nono/audit)."`
}

func (c *ledgerRepairCmd) Run(ui *cli.UI) error {
	root, err := auditRoot(c.AuditRoot)
	if err != nil {
		return err
	}
	rep, err := ledger.RepairWith(root, ledger.RepairOptions{DryRun: c.DryRun, Wait: c.Wait})
	if err != nil {
		return err
	}
	if c.JSON {
		return ui.Line(canon.Compact(rep.Value()))
	}
	return ui.Printf("%s", describeRepair(rep, root))
}

func describeRepair(rep *ledger.RepairReport, root string) string {
	var b strings.Builder
	head := "-"
	if rep.KeptHead != nil {
		head = merkle.Hex(*rep.KeptHead)
	}
	if !rep.Damaged {
		fmt.Fprintf(&b, "ledger %s: no damage found (entries=%d, head=%s); nothing to repair\n", rep.Path, rep.KeptEntries, head)
		return b.String()
	}
	verb, moved := "keeps", "moved"
	if rep.DryRun {
		verb, moved = "would keep", "would move"
	}
	fmt.Fprintf(&b, "ledger %s: damaged at line %d: %s\n", rep.Path, rep.Line, rep.Reason)
	fmt.Fprintf(&b, "%s %d records (head=%s)\n", verb, rep.KeptEntries, head)
	fmt.Fprintf(&b, "%s %d lines (%d bytes) aside", moved, rep.MovedLines, rep.MovedBytes)
	if rep.MovedTo != "" {
		fmt.Fprintf(&b, " to %s", rep.MovedTo)
	}
	b.WriteString("\n")
	if len(rep.MovedSessions) > 0 {
		fmt.Fprintf(&b, "sessions named in the moved part: %s\n", strings.Join(rep.MovedSessions, " "))
		fmt.Fprintf(&b, "they are no longer in the ledger; nothing is re-added automatically. After checking a session's directory, add it again with:\n  nono audit ledger append %s\n", filepath.Join(root, "<id>"))
	}
	return b.String()
}

// sessionDir resolves a session argument: a directory when it holds a
// "/", else a session ID in the audit root.
func sessionDir(arg string) (string, error) {
	if strings.Contains(arg, "/") {
		return filepath.Abs(arg)
	}
	st, err := session.Open(os.Getenv)
	if err != nil {
		return "", err
	}
	e, err := st.Resolve(session.AuditSide, arg)
	if err != nil {
		return "", err
	}
	return e.Dir, nil
}

// auditRoot is the audit root the ledger commands use, refused when
// another user could change it (session.CheckRoot).
func auditRoot(flag string) (root string, err error) {
	if flag != "" {
		root, err = filepath.Abs(flag)
	} else {
		root, err = stores.AuditRoot(os.Getenv)
	}
	if err != nil {
		return "", err
	}
	return root, session.CheckRoot(root)
}
