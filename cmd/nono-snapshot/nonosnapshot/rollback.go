package nonosnapshot

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/report"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/snapshot"
)

// destFlag reaches sessions stored with --rollback-dest that were not
// registered (the registered ones are always searched).
type destFlag struct {
	Dest []string `sep:"none" placeholder:"DIR" help:"Also look in this rollback directory (a --rollback-dest; repeatable)."`
}

func (d destFlag) store() (*session.Store, error) {
	return session.Open(os.Getenv, d.Dest...)
}

// list is every rollback session, newest first; those whose record
// cannot be read are warned about and left out.
func (d destFlag) list() ([]*session.Entry, error) {
	st, err := d.store()
	if err != nil {
		return nil, err
	}
	entries, err := st.List(session.RollbackSide)
	if err != nil {
		return nil, err
	}
	readable := entries[:0]
	for _, e := range entries {
		if e.Status == session.Damaged {
			warn(e.Err.Error())
			continue
		}
		readable = append(readable, e)
	}
	return readable, nil
}

func (d destFlag) find(id string) (*session.Entry, error) {
	st, err := d.store()
	if err != nil {
		return nil, err
	}
	e, err := st.Resolve(session.RollbackSide, id)
	if err != nil {
		return nil, err
	}
	if e.Status == session.Damaged {
		return nil, e.Err
	}
	return e, nil
}

func warn(msg string) { fmt.Fprintf(os.Stderr, "nono-snapshot: warning: %s\n", msg) }

type listCmd struct {
	destFlag
	Recent int    `placeholder:"N" help:"Show only the newest N sessions."`
	Path   string `placeholder:"PATH" help:"Only sessions whose tracked paths contain PATH or lie inside it."`
	All    bool   `help:"Also sessions without file changes."`
	JSON   bool   `name:"json" help:"Print a JSON array on stdout."`
}

func (c *listCmd) Run(ui *cli.UI) error {
	cwd, _ := os.Getwd()
	home := human.Home(os.Getenv)
	filter, err := session.ListOptions{Recent: c.Recent, Path: c.Path}.Filter(time.Now(), cwd, home)
	if err != nil {
		return err
	}
	if !c.All {
		filter.Where = func(e *session.Entry) bool { return len(snapshot.SessionChanges(e.Dir)) > 0 }
	}
	entries, err := c.list()
	if err != nil {
		return err
	}
	entries = filter.Apply(entries)
	out := bufio.NewWriter(ui.Stdout) // Main reports a failed write
	defer out.Flush()
	if c.JSON {
		vals := make([]canon.Value, len(entries))
		for i, e := range entries {
			vals[i] = report.RollbackListValue(e)
		}
		out.Write(append(canon.Pretty(canon.ArrayValue(vals...)), '\n'))
		return nil
	}
	report.WriteRollbackList(out, entries, c.All, time.Now(), home)
	return nil
}

type showCmd struct {
	destFlag
	ID   string `arg:"" name:"id" help:"Session ID."`
	Diff bool   `help:"Show a unified diff of every changed text file."`
	Stat bool   `help:"Show a diffstat: the lines added and removed in each changed file."`
	JSON bool   `name:"json" help:"Print JSON on stdout (with --stat and --diff, each change carries its counts and diff)."`
}

func (c *showCmd) Run(ui *cli.UI) error {
	e, err := c.find(c.ID)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(ui.Stdout) // Main reports a failed write
	defer out.Flush()
	d, err := report.LoadRollbackShow(e, os.Getenv)
	if err != nil {
		return err
	}
	opts := report.RollbackShowOptions{Diff: c.Diff, Stat: c.Stat}
	if c.JSON {
		v, err := report.RollbackShowValue(d, opts)
		if err != nil {
			return err
		}
		_, err = out.Write(append(canon.Pretty(v), '\n'))
		return err
	}
	return report.WriteRollbackShow(out, d, opts)
}

type restoreCmd struct {
	destFlag
	ID       string `arg:"" name:"id" help:"Session ID."`
	Snapshot int    `default:"0" placeholder:"N" help:"Snapshot to restore: 0 is the state before the session (the default), 1 the state after it."`
	DryRun   bool   `name:"dry-run" help:"List what would change; change nothing."`
	Force    bool   `help:"Overwrite files changed after the session ended; restore a session that never ended or is running, or whose audit record is gone."`
	JSON     bool   `name:"json" help:"Print the plan and what was done as JSON on stdout."`
}

func (c *restoreCmd) Run(ui *cli.UI) error {
	e, err := c.find(c.ID)
	if err != nil {
		return err
	}
	r := &report.Restore{SessionID: e.ID, Snapshot: c.Snapshot, DryRun: c.DryRun, Force: c.Force}
	r.Plan, r.Applied, r.Err = snapshot.Restore(snapshot.RestoreOptions{
		Dir: e.Dir, Snapshot: c.Snapshot, DryRun: c.DryRun, Force: c.Force, Source: "cli", Warn: func(m string) { ui.Warn(m) },
		Progress: ui.Progress,
	})
	if r.Plan != nil {
		for _, p := range r.Plan.Kept {
			ui.Warnf("kept %s: the snapshot records no exclusions, so files it lacks are not deleted", fstree.Display(p))
		}
	}
	if c.JSON {
		if err := ui.Line(canon.Pretty(report.RestoreValue(r))); err != nil {
			return err
		}
	} else {
		report.WriteRestore(ui.Stdout, r)
	}
	err = r.Err
	if r.Applied != nil && err != nil && !c.DryRun {
		err = fmt.Errorf("%w (%d of %d steps done; run the restore again to finish)", err, len(r.Applied.Done), len(r.Plan.Actions))
	}
	if snapshot.IsVerdict(err) {
		return cli.Verdict(err)
	}
	return err
}

type verifyCmd struct {
	destFlag
	ID   string `arg:"" name:"id" help:"Session ID."`
	JSON bool   `name:"json" help:"Print the checks as JSON on stdout."`
}

func (c *verifyCmd) Run(ui *cli.UI) error {
	e, err := c.find(c.ID)
	if err != nil {
		return err
	}
	rep, err := snapshot.Verify(e.Dir, snapshot.VerifyOptions{Getenv: os.Getenv, Progress: ui.Progress})
	if err != nil {
		return err
	}
	out := bufio.NewWriter(ui.Stdout)
	if c.JSON {
		out.Write(append(canon.Pretty(rep.Value()), '\n'))
	} else {
		for _, l := range rep.Lines() {
			fmt.Fprintln(out, l)
		}
		fmt.Fprintln(out)
		if rep.OK() {
			fmt.Fprintf(out, "nono %s All %d snapshot(s) verified, %d objects checked.\n", ui.Paint("PASS"), rep.Snapshots, rep.Objects)
		} else {
			fmt.Fprintf(out, "nono %s %d check(s) failed.\n", ui.Paint("FAIL"), rep.Failures())
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if !rep.OK() {
		return cli.Verdict(errors.New("session integrity verification failed"))
	}
	return nil
}

type cleanupCmd struct {
	destFlag
	Keep      *int `placeholder:"N" help:"Keep the newest N sessions, remove the rest."`
	OlderThan *int `name:"older-than" placeholder:"DAYS" help:"Remove sessions started more than DAYS days ago."`
	All       bool `help:"Remove every session that is not running."`
	DryRun    bool `name:"dry-run" help:"List what would be removed; remove nothing."`
	JSON      bool `name:"json" help:"Print what was (or would be) removed as JSON on stdout."`
}

func (c *cleanupCmd) Run(ui *cli.UI) error {
	opts := session.CleanupOptions{All: c.All, Keep: c.Keep, OlderThan: c.OlderThan}
	if err := opts.Validate(); errors.Is(err, session.ErrNoSelection) {
		return cli.Usage("nothing selected: give --keep N (keep the newest N sessions), --older-than DAYS, or --all")
	} else if err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	entries, err := st.List(session.RollbackSide)
	if err != nil {
		return err
	}
	res := &report.Cleanup{Side: session.RollbackSide, Plan: session.PlanCleanup(entries, opts, time.Now()), DryRun: c.DryRun}
	var gone []string // for a dry run, the sessions as if removed
	if c.DryRun {
		for _, s := range res.Plan.Selected {
			gone = append(gone, s.Entry.RollbackDir)
		}
	} else {
		res.Removed, res.Failed = session.Cleanup(res.Plan)
	}
	// The sessions of a rollback root share its objects: those no
	// remaining session names go too.
	sweep, err := snapshot.SweepRoots(st.RollbackRoots, gone, c.DryRun)
	if err != nil {
		warn(err.Error())
	}
	res.Objects, res.ObjectBytes = sweep.Objects, sweep.Bytes
	if c.JSON {
		if err := ui.Line(canon.Pretty(report.CleanupValue(res))); err != nil {
			return err
		}
		return res.Err()
	}
	return report.WriteCleanup(ui.Stdout, res)
}
