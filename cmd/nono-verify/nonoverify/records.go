package nonoverify

import (
	"os"
	"strconv"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/offline"
)

type recordsCmd struct {
	File string `arg:"" optional:"" placeholder:"FILE" help:"Records to verify ('-' or absent: stdin). With --proof, --consistency or --bundle and no FILE, no records are read: those are checked against the pinned totals alone."`

	Count   string `placeholder:"N" help:"Pinned event count."`
	Head    string `placeholder:"HEX" help:"Pinned chain head."`
	Root    string `placeholder:"HEX" help:"Pinned Merkle root."`
	Summary string `placeholder:"FILE" help:"Pinned totals from an integrity summary (nono-merkle's output line, or session.json's audit_integrity object)."`

	Proof       string `placeholder:"FILE" help:"Inclusion proof (nono-merkle proof) to check against the pinned (or computed) root and count."`
	Consistency string `placeholder:"FILE" help:"Consistency proof (nono-merkle consistency) to check from --old-count/--old-root to the pinned (or computed) count and root."`
	OldCount    string `name:"old-count" placeholder:"N" help:"Event count of the earlier log, for --consistency."`
	OldRoot     string `name:"old-root" placeholder:"HEX" help:"Merkle root of the earlier log, for --consistency."`

	JSON             bool `name:"json" help:"Print the verification result as JSON (also when invalid; the exit status still says which)."`
	Lenient          bool `help:"Accept nono-py records whose event_json escapes non-ASCII (\\uXXXX) when event_json and event are the same JSON value."`
	AllowPartialTail bool `name:"allow-partial-tail" help:"With pinned totals, verify the complete records before a truncated final line against them instead of failing. Without pins a truncated tail is always tolerated."`
	StrictSchema     bool `name:"strict-schema" help:"Fail (exit 1) on an event that uses a type, field or value this version does not know, instead of verifying its integrity and warning."`
	MaxLine          int  `name:"max-line" default:"16777216" placeholder:"BYTES" help:"Longest record accepted, in bytes."`

	bundleFlags `embed:""`
}

func (c *recordsCmd) Run(ui *cli.UI) error {
	if c.MaxLine <= 0 {
		return cli.Usage("--max-line must be positive")
	}
	req := &offline.Request{Chain: chain.Options{Lenient: c.Lenient, AllowPartialTail: c.AllowPartialTail, StrictSchema: c.StrictSchema, MaxLine: c.MaxLine}}
	var err error
	if req.Pins, err = c.pins(); err != nil {
		return err
	}
	if req.Inclusion, err = c.inclusion(); err != nil {
		return err
	}
	if req.Consistency, err = c.consistency(); err != nil {
		return err
	}
	if req.Bundle, err = c.bundleFlags.bundle(c.Root, c.Head); err != nil {
		return err
	}
	if c.File == "" && (req.Inclusion != nil || req.Consistency != nil || req.Bundle != nil) {
		// Off-device: what the log committed to, without its records.
		if p := req.Pins; (req.Inclusion != nil || req.Consistency != nil) && (p.Count == nil || p.Root == nil) && (p.Count == nil || *p.Count != 0) {
			return cli.Usage("proofs need the Merkle root and event count: give --root and --count (or --summary), or the records")
		}
	} else {
		req.Records, req.Name = os.Stdin, "<stdin>"
		if c.File != "" && c.File != "-" {
			f, err := os.Open(c.File)
			if err != nil {
				return err
			}
			defer f.Close()
			req.Records, req.Name = f, c.File
		}
	}

	rep, err := offline.Verify(req)
	if err != nil {
		return err
	}
	ui.Warn(rep.Warnings()...)
	if v, ok := rep.Value(); ok && c.JSON {
		if err := ui.Line(canon.Pretty(v)); err != nil {
			return err
		}
	} else if rep.Err == nil && !c.JSON {
		if err := ui.Printf("%s\n", rep.Text()); err != nil {
			return err
		}
	}
	return rep.Err
}

// pins gathers the pinned totals from --summary, --count, --head, --root.
func (c *recordsCmd) pins() (chain.Pins, error) {
	var p chain.Pins
	if c.Summary != "" {
		data, err := os.ReadFile(c.Summary)
		if err != nil {
			return p, err
		}
		if p, err = chain.ParseSummary(data); err != nil {
			return p, cli.Usage("--summary %s: %v", c.Summary, err)
		}
	}
	var flags chain.Pins
	if c.Count != "" {
		n, err := parseCount("--count", c.Count)
		if err != nil {
			return p, err
		}
		flags.Count = &n
	}
	for _, f := range []struct {
		flag, val string
		dst       **merkle.Hash
	}{{"--head", c.Head, &flags.Head}, {"--root", c.Root, &flags.Root}} {
		if f.val == "" {
			continue
		}
		h, err := parseHash(f.flag, f.val)
		if err != nil {
			return p, err
		}
		*f.dst = &h
	}
	p, err := p.Merge(flags)
	if err != nil {
		return p, cli.Usage("--summary and flags disagree: %v", err)
	}
	if (c.OldCount != "" || c.OldRoot != "") && c.Consistency == "" {
		return p, cli.Usage("--old-count and --old-root go with --consistency")
	}
	return p, nil
}

func (c *recordsCmd) inclusion() (*offline.Inclusion, error) {
	if c.Proof == "" {
		return nil, nil
	}
	data, err := os.ReadFile(c.Proof)
	if err != nil {
		return nil, err
	}
	p, err := merkle.ParseInclusionProof(data)
	if err != nil {
		return nil, cli.Usage("--proof %s: %v", c.Proof, err)
	}
	return &offline.Inclusion{Name: c.Proof, Proof: p}, nil
}

func (c *recordsCmd) consistency() (*offline.Consistency, error) {
	if c.Consistency == "" {
		return nil, nil
	}
	if c.OldCount == "" || c.OldRoot == "" {
		return nil, cli.Usage("--consistency needs --old-count and --old-root: the earlier head the log must extend")
	}
	oldCount, err := parseCount("--old-count", c.OldCount)
	if err != nil {
		return nil, err
	}
	oldRoot, err := parseHash("--old-root", c.OldRoot)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(c.Consistency)
	if err != nil {
		return nil, err
	}
	p, err := merkle.ParseConsistencyProof(data)
	if err != nil {
		return nil, cli.Usage("--consistency %s: %v", c.Consistency, err)
	}
	return &offline.Consistency{Name: c.Consistency, Proof: p, OldCount: oldCount, OldRoot: oldRoot}, nil
}

func parseCount(flag, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, cli.Usage("%s: want a non-negative integer, got %q", flag, s)
	}
	return n, nil
}

func parseHash(flag, s string) (merkle.Hash, error) {
	h, err := merkle.ParseHash(s)
	if err != nil {
		return h, cli.Usage("%s: %v", flag, err)
	}
	return h, nil
}
