package nonomerkle

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/snapshot"
)

type fsCmd struct {
	Paths           []string `arg:"" name:"path" help:"Tracked roots (directories or files)."`
	Manifest        bool     `help:"Print one NDJSON line per file, then a last line with the root."`
	RollbackExclude []string `name:"rollback-exclude" sep:"none" placeholder:"PATTERN" help:"Exclude a name, an a/b run of names, an absolute path, or a glob over file names (repeatable)."`
	RollbackInclude []string `name:"rollback-include" sep:"none" placeholder:"NAME" help:"Force-include a name or a/b run, overriding every exclusion (repeatable)."`
	RollbackAll     bool     `name:"rollback-all" help:"Exclude only VCS internals by default (.git .hg .svn)."`
	SkipDir         []string `name:"skip-dir" sep:"none" placeholder:"NAME" help:"Leave out top-level directories of this name (repeatable)."`
	Jobs            int      `default:"0" help:"Files hashed in parallel (0: one per CPU)."`
	MaxEntries      int      `name:"max-entries" default:"0" help:"Fail when the walk visits more entries (0: no limit)."`
	MaxBytes        int64    `name:"max-bytes" default:"0" help:"Fail when the files hold more bytes (0: no limit)."`
}

func (c *fsCmd) Run(ui *cli.UI) error {
	var roots []string
	for _, p := range c.Paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return fmt.Errorf("%s: %w", p, errors.Unwrap(err))
		}
		roots = append(roots, real)
	}
	rules := fstree.NewRules(fstree.Flags{Exclude: c.RollbackExclude, Include: c.RollbackInclude, All: c.RollbackAll})
	rules.Protected = snapshot.ProtectedStores(os.Getenv, roots, "", "")
	if len(c.SkipDir) > 0 {
		for _, a := range fstree.Preflight(roots, &rules, fstree.PreflightOptions{SkipDirs: c.SkipDir}) {
			rules.Paths = append(rules.Paths, a.Path)
		}
	}
	rules.Normalize()
	progress, done := fstree.ProgressLine(ui.Progress, "hashing")
	tree, err := fstree.Walk(roots, fstree.Options{
		Rules:    rules,
		Budget:   fstree.Budget{MaxEntries: c.MaxEntries, MaxBytes: c.MaxBytes},
		Jobs:     c.Jobs,
		Warn:     func(msg string) { ui.Warn(msg) },
		Progress: progress,
	})
	done()
	if err != nil {
		return err
	}
	root := fstree.Hex(tree.Root())
	out := bufio.NewWriterSize(ui.Stdout, 64<<10)
	if !c.Manifest {
		fmt.Fprintln(out, root)
		return out.Flush()
	}
	var line []byte
	for i := range tree.Files {
		line = canon.AppendCompact(line[:0], fstree.LineValue(&tree.Files[i]))
		out.Write(append(line, '\n'))
	}
	last := canon.ObjectValue(
		canon.Member{Key: "merkle_root", Value: canon.StringValue(root)},
		canon.Member{Key: "files", Value: canon.UintValue(uint64(len(tree.Files)))},
		canon.Member{Key: "bytes", Value: canon.IntValue(tree.Bytes)},
	)
	out.Write(append(canon.Compact(last), '\n'))
	return out.Flush()
}
