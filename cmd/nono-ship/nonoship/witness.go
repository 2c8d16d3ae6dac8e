package nonoship

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/ship"
	"github.com/nono-audit/nono/lib/stores"
)

type witnessCmd struct {
	Key  string        `placeholder:"REF" help:"The ledger's note key: file:///ABS/PATH or env://VAR (default: $$NONO_CHECKPOINT_KEY, else key in the [checkpoint] table of config.toml)."`
	Wait time.Duration `default:"30s" help:"Longest wait for another process's hold on the ledger lock."`
}

func (c *witnessCmd) Run(ui *cli.UI) error {
	p, err := paths()
	if err != nil {
		return err
	}
	root, err := auditRoot()
	if err != nil {
		return err
	}
	key, err := ledgerKey(ui, c.Key)
	if err != nil {
		return err
	}
	if key == nil {
		return cli.Usage("no note key: give --key, set $%s, or set key in the [checkpoint] table of config.toml (make a key with `nono trust keygen --note --keyref file:///PATH`)", checkpoint.EnvKey)
	}
	client, err := ship.Open(p)
	if err != nil {
		return notEnrolled(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := client.WitnessLedger(ctx, root, key, c.Wait)
	if err != nil {
		return err
	}
	fmt.Fprintf(ui.Messages(), "%s: %s witnessed by %s; kept in %s\n", ui.Name, w.Checkpoint.Describe(), w.Witness, w.Path)
	return ui.Printf("%s", w.Cosigned)
}

// witnessAfterSync has the receiver witness the ledger's checkpoint at
// the end of a sync, when a note key is configured and the ledger has a
// checkpoint; a receiver that does not witness is no failure. It returns
// what was witnessed (nil when nothing was to be).
func witnessAfterSync(ctx context.Context, ui *cli.UI, client *ship.Client, root string) (*ship.Witnessed, error) {
	key, err := ledgerKey(ui, "")
	if key == nil {
		return nil, err
	}
	w, err := client.WitnessLedger(ctx, root, key, 5*time.Second)
	if errors.Is(err, ship.ErrNoWitness) || errors.Is(err, ship.ErrNoCheckpoint) {
		return nil, nil
	}
	return w, err
}

// ledgerKey loads the ledger's note key from ref, else from the
// configuration; nil when none is configured.
func ledgerKey(ui *cli.UI, ref string) (*checkpoint.Key, error) {
	if ref == "" {
		cfg, err := checkpoint.LoadConfig(stores.ConfigPath(os.Getenv), os.Getenv)
		if err != nil {
			return nil, cli.Unusable(err)
		}
		ui.Warn(cfg.Warnings...)
		if ref = cfg.KeyRef; ref == "" {
			return nil, nil
		}
	}
	key, err := checkpoint.LoadKey(ref, os.Getenv)
	if err != nil {
		return nil, cli.Unusable(err)
	}
	return key, nil
}
