package nonosnapshot

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/snapshot"
)

// destFlag reaches sessions stored with --rollback-dest that were not
// registered (the registered ones are always searched).
type destFlag struct {
	Dest []string `sep:"none" placeholder:"DIR" help:"Also look in this rollback directory (a --rollback-dest; repeatable)."`
}

func (d destFlag) catalog() (*snapshot.Catalog, error) {
	return snapshot.OpenCatalog(os.Getenv, d.Dest...)
}

func (d destFlag) find(id string) (*snapshot.Entry, error) {
	c, err := d.catalog()
	if err != nil {
		return nil, err
	}
	return c.Find(id)
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
	cat, err := c.catalog()
	if err != nil {
		return err
	}
	entries, warns := cat.List()
	for _, w := range warns {
		warn(w.Error())
	}
	entries = snapshot.Filter(entries, snapshot.ListOptions{Recent: c.Recent, Path: c.Path, All: c.All})
	out := bufio.NewWriter(ui.Stdout) // Main reports a failed write
	defer out.Flush()
	if c.JSON {
		vals := make([]canon.Value, len(entries))
		for i, e := range entries {
			vals[i] = snapshot.ListValue(e)
		}
		out.Write(append(canon.Pretty(canon.ArrayValue(vals...)), '\n'))
		return nil
	}
	snapshot.RenderList(out, entries, c.All, time.Now(), os.Getenv("HOME"))
	return nil
}

type showCmd struct {
	destFlag
	ID   string `arg:"" name:"id" help:"Session ID."`
	Diff bool   `help:"Show a unified diff of every changed text file."`
	JSON bool   `name:"json" help:"Print JSON on stdout."`
}

func (c *showCmd) Run(ui *cli.UI) error {
	e, err := c.find(c.ID)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(ui.Stdout) // Main reports a failed write
	defer out.Flush()
	if c.JSON {
		out.Write(append(canon.Pretty(snapshot.ShowValue(e)), '\n'))
		return nil
	}
	return snapshot.RenderShow(out, e, c.Diff)
}

type restoreCmd struct {
	destFlag
	ID       string `arg:"" name:"id" help:"Session ID."`
	Snapshot int    `default:"0" placeholder:"N" help:"Snapshot to restore: 0 is the state before the session (the default), 1 the state after it."`
	DryRun   bool   `name:"dry-run" help:"List what would change; change nothing."`
	Force    bool   `help:"Overwrite files changed after the session ended; restore a session that never ended or is running."`
}

func (c *restoreCmd) Run(ui *cli.UI) error {
	e, err := c.find(c.ID)
	if err != nil {
		return err
	}
	plan, applied, err := snapshot.Restore(snapshot.RestoreOptions{
		Dir: e.Dir, Snapshot: c.Snapshot, DryRun: c.DryRun, Force: c.Force, Source: "cli", Warn: warn,
	})
	if snapshot.IsVerdict(err) {
		err = cli.Verdict(err)
	}
	if plan == nil {
		return err
	}
	out := bufio.NewWriter(ui.Stdout) // Main reports a failed write
	defer out.Flush()
	for _, p := range plan.Kept {
		warn(fmt.Sprintf("kept %s: the snapshot records no exclusions, so files it lacks are not deleted", p))
	}
	switch {
	case len(plan.Actions) == 0:
		fmt.Fprintln(out, "nono No changes needed (already matches snapshot).")
		return err
	case c.DryRun:
		fmt.Fprintf(out, "nono Dry run: restoring to snapshot %d would apply %d change(s):\n\n", c.Snapshot, len(plan.Actions))
		for _, l := range plan.Lines() {
			fmt.Fprintln(out, l)
		}
		if plan.Conflicts > 0 && !c.Force {
			fmt.Fprintf(out, "\nnono %d path(s) changed after the session ended: restoring needs --force.\n", plan.Conflicts)
		} else if plan.Final == nil && !c.Force {
			fmt.Fprintln(out, "\nnono The session has no final snapshot: restoring needs --force.")
		}
		return nil
	}
	if applied == nil {
		return err // refused before anything was written
	}
	if err != nil {
		out.Flush()
		return fmt.Errorf("%w (%d of %d steps done; run the restore again to finish)", err, len(applied.Done), len(plan.Actions))
	}
	fmt.Fprintf(out, "nono Restored %d change(s) to snapshot %d.\n\n", len(applied.Done), c.Snapshot)
	for i := range applied.Done {
		fmt.Fprintln(out, applied.Done[i].Line())
	}
	return nil
}

type verifyCmd struct {
	destFlag
	ID   string `arg:"" name:"id" help:"Session ID."`
	JSON bool   `name:"json" help:"Print the checks as JSON on stdout."`
}

func (c *verifyCmd) Run() error {
	e, err := c.find(c.ID)
	if err != nil {
		return err
	}
	rep, err := snapshot.Verify(e.Dir, os.Getenv)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	if c.JSON {
		out.Write(append(canon.Pretty(rep.Value()), '\n'))
	} else {
		for _, l := range rep.Lines() {
			fmt.Fprintln(out, l)
		}
		fmt.Fprintln(out)
		if rep.OK() {
			fmt.Fprintf(out, "nono PASS All %d snapshot(s) verified, %d objects checked.\n", rep.Snapshots, rep.Objects)
		} else {
			fmt.Fprintf(out, "nono FAIL %d check(s) failed.\n", rep.Failures())
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
}

func (c *cleanupCmd) Run() error {
	opts := snapshot.CleanupOptions{All: c.All}
	if c.Keep != nil {
		opts.Keep, opts.KeepSet = *c.Keep, true
	}
	if c.OlderThan != nil {
		opts.OlderThan, opts.OlderSet = *c.OlderThan, true
	}
	cat, err := c.catalog()
	if err != nil {
		return err
	}
	entries, warns := cat.List()
	for _, w := range warns {
		warn(w.Error())
	}
	remove, running, err := snapshot.SelectCleanup(entries, opts)
	if err != nil {
		return cli.Usage("%v", err)
	}
	if len(running) > 0 {
		fmt.Printf("nono %d rollback session(s) still running, skipping those.\n", len(running))
	}
	if len(remove) == 0 {
		fmt.Println("nono No rollback entries to clean up.")
		return nil
	}
	var total uint64
	sizes := make([]uint64, len(remove))
	for i, e := range remove {
		sizes[i] = e.DiskSize()
		total += sizes[i]
	}
	if c.DryRun {
		fmt.Printf("nono Dry run: would remove %d rollback session(s) (%s)\n\n", len(remove), human.Size(int64(total)))
		for i, e := range remove {
			fmt.Printf("  %s %s (%s)\n", e.ID, commandLine(e), human.Size(int64(sizes[i])))
		}
		return nil
	}
	var freed uint64
	var errs []error
	n := 0
	for i, e := range remove {
		if err := snapshot.Remove(e); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", e.Dir, err))
			continue
		}
		n++
		freed += sizes[i]
	}
	fmt.Printf("nono Removed %d rollback session(s), freed %s.\n", n, human.Size(int64(freed)))
	return errors.Join(errs...)
}

func commandLine(e *snapshot.Entry) string {
	s := ""
	for i, a := range e.Session.Command {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
