package nonosnapshot

import (
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/report"
	"github.com/nono-audit/nono/lib/snapshot"
)

// budgetFlags bound every snapshot walk (upstream's limits by default).
type budgetFlags struct {
	MaxEntries int   `name:"max-entries" default:"300000" help:"Fail when a walk visits more entries (0: no limit)."`
	MaxBytes   int64 `name:"max-bytes" default:"2147483648" help:"Fail when the tracked files hold more bytes (0: no limit)."`
	Jobs       int   `default:"0" help:"Files hashed in parallel (0: one per CPU)."`
	NoSync     bool  `name:"no-sync" help:"Do not wait for stored objects to reach the disk (faster; a power cut during the session may leave some incomplete)."`
}

func (b budgetFlags) budget() fstree.Budget {
	return fstree.Budget{MaxEntries: b.MaxEntries, MaxBytes: b.MaxBytes}
}

type sessionFlags struct {
	SessionDir string `name:"session-dir" required:"" placeholder:"DIR" help:"The audit session directory (its session.json names the tracked paths)."`
	Store      string `placeholder:"DIR" help:"The rollback session directory (objects and manifests); without it only roots and changes are recorded (--audit-integrity)."`
}

func (s sessionFlags) storeDir() (string, error) {
	if s.Store == "" {
		return "", nil
	}
	return snapshot.StoreDirFor(s.Store, s.SessionDir)
}

type beginCmd struct {
	sessionFlags
	budgetFlags
	RollbackExclude []string `name:"rollback-exclude" sep:"none" placeholder:"PATTERN" help:"Exclude a name, an a/b run of names, an absolute path, or a glob over file names (repeatable)."`
	RollbackInclude []string `name:"rollback-include" sep:"none" placeholder:"NAME" help:"Force-include a name or a/b run, overriding every exclusion (repeatable)."`
	RollbackAll     bool     `name:"rollback-all" help:"Exclude only VCS internals by default, and leave out no heavy directories."`
	SkipDir         []string `name:"skip-dir" sep:"none" placeholder:"NAME" help:"Leave out top-level directories of this name (repeatable)."`
	Silent          bool     `help:"Print nothing but errors and warnings."`
}

func (c *beginCmd) Run(ui *cli.UI) error {
	store, err := c.storeDir()
	if err != nil {
		return err
	}
	_, err = snapshot.Begin(snapshot.Options{
		SessionDir: c.SessionDir,
		StoreDir:   store,
		Flags:      fstree.Flags{Exclude: c.RollbackExclude, Include: c.RollbackInclude, All: c.RollbackAll},
		SkipDirs:   c.SkipDir,
		Budget:     c.budget(),
		Jobs:       c.Jobs,
		NoSync:     c.NoSync,
		Stderr:     ui.Messages(),
		Silent:     c.Silent,
		Progress:   ui.Progress,
	})
	return err
}

type endCmd struct {
	sessionFlags
	budgetFlags
	Silent bool `help:"Print nothing but errors and warnings."`
}

func (c *endCmd) Run(ui *cli.UI) error {
	store, err := c.storeDir()
	if err != nil {
		return err
	}
	_, err = snapshot.End(snapshot.Options{
		SessionDir: c.SessionDir,
		StoreDir:   store,
		Budget:     c.budget(),
		Jobs:       c.Jobs,
		NoSync:     c.NoSync,
		Stderr:     ui.Messages(),
		Silent:     c.Silent,
		Progress:   ui.Progress,
	})
	return err
}

type finishCmd struct {
	sessionFlags
	NoPrompt bool `name:"no-prompt" help:"Never offer to restore."`
	Silent   bool `help:"Print nothing (no summary, no prompt)."`
}

func (c *finishCmd) Run(ui *cli.UI) error {
	store, err := c.storeDir()
	if err != nil {
		return err
	}
	return snapshot.Finish(snapshot.FinishOptions{
		SessionDir:  c.SessionDir,
		StoreDir:    store,
		NoPrompt:    c.NoPrompt,
		Silent:      c.Silent,
		Interactive: cli.IsTerminal(os.Stdin),
		Stdin:       os.Stdin,
		Stderr:      ui.Messages(),
		Summarize:   report.FinishSummary,
	})
}
