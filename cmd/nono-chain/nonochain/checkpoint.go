package nonochain

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/stores"
)

type ledgerCheckpointCmd struct {
	Key       string        `placeholder:"REF" help:"The ledger's note key: file:///ABS/PATH or env://VAR, as 'nono trust keygen --note' makes it (default: $$NONO_CHECKPOINT_KEY, else key in the [checkpoint] table of config.toml)."`
	Force     bool          `help:"Sign even when the ledger no longer extends the last checkpoint (after a repair): witnesses holding that one will refuse the new one."`
	Full      bool          `help:"Read and check the whole ledger, even when reading the records appended since the last checkpoint would do."`
	Wait      time.Duration `default:"30s" help:"Longest wait for another process's hold on the ledger lock."`
	AuditRoot string        `name:"audit-root" placeholder:"DIR" help:"Audit root holding the ledger (default: $NONO_AUDIT_DIR, $XDG_STATE_HOME/nono/audit or ~/.nono/audit)."`
}

func (c *ledgerCheckpointCmd) Run(ui *cli.UI) error {
	root, err := auditRoot(c.AuditRoot)
	if err != nil {
		return err
	}
	ref := c.Key
	if ref == "" {
		cfg, err := loadCheckpointConfig()
		if err != nil {
			return err
		}
		ui.Warn(cfg.Warnings...)
		if ref = cfg.KeyRef; ref == "" {
			return cli.Usage("no note key: give --key, set $%s, or set key in the [checkpoint] table of config.toml (make a key with `nono trust keygen --note --keyref file:///PATH`)", checkpoint.EnvKey)
		}
	}
	key, err := checkpoint.LoadKey(ref, os.Getenv)
	if err != nil {
		return err
	}
	res, err := checkpoint.Update(root, key, checkpoint.Options{Wait: c.Wait, Force: c.Force, Full: c.Full})
	if err != nil {
		return err
	}
	ui.Warn(res.Warnings...)
	return ui.Printf("%s", res.Note)
}

// autoCheckpoint refreshes the checkpoint beside the ledger after an
// append when a note key is configured; it reports, and never fails the
// append.
func autoCheckpoint(ui *cli.UI, root string, wait time.Duration) {
	ui.Warn(checkpoint.Auto(root, wait, stores.ConfigPath(os.Getenv), os.Getenv)...)
}

func loadCheckpointConfig() (*checkpoint.Config, error) {
	return checkpoint.LoadConfig(stores.ConfigPath(os.Getenv), os.Getenv)
}

type ledgerProveCmd struct {
	ID         string        `arg:"" help:"The session whose ledger record to prove."`
	Checkpoint string        `placeholder:"FILE" help:"The signed checkpoint to prove against (default: the latest, ledger.checkpoint beside the ledger)."`
	Wait       time.Duration `default:"30s" help:"Longest wait for another process's hold on the ledger lock."`
	AuditRoot  string        `name:"audit-root" placeholder:"DIR" help:"Audit root holding the ledger (default: $NONO_AUDIT_DIR, $XDG_STATE_HOME/nono/audit or ~/.nono/audit)."`
}

func (c *ledgerProveCmd) Run(ui *cli.UI) error {
	root, err := auditRoot(c.AuditRoot)
	if err != nil {
		return err
	}
	note, _, err := readCheckpoint(root, c.Checkpoint, true)
	if err != nil {
		return err
	}
	p, err := checkpoint.Prove(root, c.ID, note, c.Wait)
	if err != nil {
		return err
	}
	return ui.Line(p.Encode())
}

type ledgerConsistencyCmd struct {
	From       string        `required:"" placeholder:"N|FILE" help:"The older tree: its size, or a checkpoint of it (whose root the ledger must still have)."`
	Checkpoint string        `placeholder:"FILE" help:"The newer tree, a signed checkpoint (default: the latest, ledger.checkpoint beside the ledger; without one, the whole ledger)."`
	Wait       time.Duration `default:"30s" help:"Longest wait for another process's hold on the ledger lock."`
	AuditRoot  string        `name:"audit-root" placeholder:"DIR" help:"Audit root holding the ledger (default: $NONO_AUDIT_DIR, $XDG_STATE_HOME/nono/audit or ~/.nono/audit)."`
}

func (c *ledgerConsistencyCmd) Run(ui *cli.UI) error {
	root, err := auditRoot(c.AuditRoot)
	if err != nil {
		return err
	}
	var old *checkpoint.Checkpoint
	from, perr := strconv.ParseUint(c.From, 10, 64)
	if perr != nil {
		if _, old, err = readCheckpoint(root, c.From, false); err != nil {
			return cli.Usage("--from: want a tree size or a checkpoint file: %v", err)
		}
		from = old.Size
	}
	_, to, err := readCheckpoint(root, c.Checkpoint, false)
	if err != nil {
		return err
	}
	p, err := checkpoint.Consistency(root, from, to, c.Wait)
	if err != nil {
		return err
	}
	if old != nil && p.OldRoot != old.Root {
		return cli.Verdictf("the ledger's first %d records have root %s, not the %s of %s: the ledger was rewritten since", old.Size, merkle.Hex(p.OldRoot), merkle.Hex(old.Root), c.From)
	}
	return ui.Line(p.Encode())
}

// readCheckpoint reads the checkpoint file path, or the latest one beside
// the ledger when path is "". Without one there, it is an error when
// required, and nil otherwise (the whole ledger then).
func readCheckpoint(root, path string, required bool) ([]byte, *checkpoint.Checkpoint, error) {
	latest := path == ""
	if latest {
		path = filepath.Join(root, checkpoint.FileName)
	}
	data, err := checkpoint.ReadFile(path)
	if latest && errors.Is(err, os.ErrNotExist) {
		if required {
			return nil, nil, fmt.Errorf("no checkpoint at %s: make one with `nono audit checkpoint`, or give --checkpoint FILE", path)
		}
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	cp, err := checkpoint.ParseUnverified(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, cp, nil
}
