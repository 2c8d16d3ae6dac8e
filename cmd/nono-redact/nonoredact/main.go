// Package nonoredact is the nono-redact command: its flags and what each
// subcommand wires together. cmd/nono-redact runs Main; the end-to-end tests
// run it in-process.
package nonoredact

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/redact"
	"github.com/nono-audit/nono/lib/stores"
	"github.com/nono-audit/nono/lib/streamhead"
)

type CLI struct {
	Rules  string `placeholder:"upstream|default" help:"Rule set: upstream (byte-for-byte upstream nono) or default (upstream plus this tool's extra rules). Default: the config file's rules key, else default."`
	Config string `placeholder:"FILE" help:"Configuration file holding the [redaction] table. Default: $XDG_CONFIG_HOME/nono/config.toml (~/.config/nono/config.toml); a missing default file means the secure default policy."`
	Argv   bool   `help:"Read one JSON array of strings a line (an argv) and write it scrubbed, instead of audit events."`
	// nono run's stages start before the session exists (lib/streamhead).
	SessionHeader bool `name:"session-header" help:"The first line names the session (nono-run record writes it): check it and pass it on unchanged. An empty stream is no error. A pipe on stdin is read non-blocking: it must be this stage's alone, as nono-run makes it."`
}

func (c *CLI) Run(ui *cli.UI) error {
	var rules redact.Rules
	if c.Rules != "" {
		r, err := redact.ParseRules(c.Rules)
		if err != nil {
			return cli.Usage("--rules: %v", err)
		}
		rules = r
	}
	path := c.Config
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("--config: %w", err)
		}
	} else {
		path = stores.ConfigPath(os.Getenv)
	}
	cfg, err := redact.ReadConfig(path)
	if err != nil {
		return err
	}
	ui.Warn(cfg.Warnings...)
	policy, err := cfg.Policy()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if c.Rules == "" {
		rules = cfg.Rules
	}
	cli.RecorderStage()
	events := &redact.Events{Policy: policy, Rules: rules}
	line := events.Line
	if c.Argv {
		line = events.ArgvLine
	}
	var in io.Reader = os.Stdin
	if c.SessionHeader {
		rest, err := streamhead.Copy(ui.Stdout, cli.RecorderInput())
		if errors.Is(err, streamhead.ErrNoHeader) {
			return nil
		}
		if err != nil {
			io.Copy(io.Discard, rest) // never block the supervisor
			return cli.Unusable(fmt.Errorf("stdin: %w", err))
		}
		in = rest
	}
	if err := redact.Stream(in, ui.Stdout, line); err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	return nil
}

// Main runs nono-redact with os.Args and exits.
func Main() {
	cli.Main("nono-redact", "Scrub secrets from audit events (one JSON object a line) on stdin; write them to stdout.", &CLI{})
}
