package nonoverify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/merkle"
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
	MaxLine          int  `name:"max-line" default:"16777216" placeholder:"BYTES" help:"Longest record accepted, in bytes."`

	bundleFlags `embed:""`
}

func (c *recordsCmd) Run() error {
	pins, err := c.pins()
	if err != nil {
		return err
	}
	if c.MaxLine <= 0 {
		return cli.Usage("--max-line must be positive")
	}
	offline := c.File == "" && (c.Proof != "" || c.Consistency != "" || c.Bundle != "")
	if offline {
		return c.checkPinned(pins)
	}

	in, name, err := c.open()
	if err != nil {
		return err
	}
	defer in.Close()
	// A truncated final line is a crash mid-write. Without pins the
	// complete records before it are all there is to verify; with pins
	// they describe the whole log, so the tail is an error unless the
	// user asks for the prefix to be checked against them.
	opts := chain.Options{
		Lenient:          c.Lenient,
		AllowPartialTail: c.AllowPartialTail || !pins.Any(),
		MaxLine:          c.MaxLine,
	}
	res, verr := chain.Verify(in, opts)
	var re *chain.RecordError
	if verr != nil && !errors.As(verr, &re) {
		return cli.Exit(2, fmt.Errorf("%s: %w", name, verr))
	}
	if verr == nil {
		verr = pins.Check(res)
	}
	if verr == nil {
		if perr := c.checkProofs(computed(res, pins)); perr != nil {
			var me *chain.MismatchError
			if !errors.As(perr, &me) {
				return perr
			}
			verr = perr
		}
	}
	c.warn(name, res)

	if c.Bundle != "" {
		if verr != nil {
			return cli.Exit(1, fmt.Errorf("%s: %w", name, verr))
		}
		return c.verifyBundle(computed(res, pins))
	}
	if c.JSON {
		if err := writeLine(canon.Pretty(chain.Report(res, pins, verr))); err != nil {
			return err
		}
	}
	if verr != nil {
		return cli.Exit(1, fmt.Errorf("%s: %w", name, verr))
	}
	if !c.JSON {
		head, root := "-", "-"
		if res.ChainHead != nil {
			head, root = merkle.Hex(*res.ChainHead), merkle.Hex(*res.MerkleRoot)
		}
		msg := fmt.Sprintf("verified %d records: chain head %s, Merkle root %s", res.EventCount, head, root)
		if pins.Any() {
			msg += " (pinned totals match)"
		}
		if err := writeLine([]byte(msg)); err != nil {
			return err
		}
	}
	return nil
}

// pins gathers the pinned totals from --summary, --count, --head, --root.
func (c *recordsCmd) pins() (chain.Pins, error) {
	var p chain.Pins
	if c.Summary != "" {
		data, err := os.ReadFile(c.Summary)
		if err != nil {
			return p, cli.Exit(2, err)
		}
		if p, err = chain.ParseSummary(data); err != nil {
			return p, cli.Usage("--summary %s: %v", c.Summary, err)
		}
	}
	var flags chain.Pins
	if c.Count != "" {
		n, err := strconv.ParseUint(c.Count, 10, 64)
		if err != nil {
			return p, cli.Usage("--count: want a non-negative integer, got %q", c.Count)
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
		h, err := merkle.ParseHash(f.val)
		if err != nil {
			return p, cli.Usage("%s: %v", f.flag, err)
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

// computed returns the totals proofs and bundles are checked against:
// the log's own when records were verified (they equal any pins by now).
func computed(res *chain.Result, pins chain.Pins) chain.Pins {
	if res == nil {
		return pins
	}
	n := res.EventCount
	return chain.Pins{Count: &n, Head: res.ChainHead, Root: res.MerkleRoot}
}

// checkPinned checks proofs and a bundle against the pinned totals alone,
// without records: off-device verification of what a log committed to.
func (c *recordsCmd) checkPinned(pins chain.Pins) error {
	if err := c.checkProofs(pins); err != nil {
		var me *chain.MismatchError
		if errors.As(err, &me) {
			return cli.Exit(1, err)
		}
		return err
	}
	if c.Bundle != "" {
		return c.verifyBundle(pins)
	}
	if c.JSON {
		m := []canon.Member{}
		if c.Proof != "" {
			m = append(m, canon.Member{Key: "inclusion_proof_verified", Value: canon.BoolValue(true)})
		}
		if c.Consistency != "" {
			m = append(m, canon.Member{Key: "consistency_proof_verified", Value: canon.BoolValue(true)})
		}
		return writeLine(canon.Pretty(canon.ObjectValue(m...)))
	}
	msg := "verified"
	if c.Proof != "" {
		msg += " inclusion proof"
	}
	if c.Consistency != "" {
		if c.Proof != "" {
			msg += " and"
		}
		msg += " consistency proof"
	}
	return writeLine([]byte(msg + fmt.Sprintf(" against %d events, Merkle root %s", *pins.Count, merkle.Hex(*pins.Root))))
}

// verifyBundle checks --bundle against the totals t (hex, "" when unknown).
func (c *recordsCmd) verifyBundle(t chain.Pins) error {
	hex := func(h *merkle.Hash) string {
		if h == nil {
			return ""
		}
		return merkle.Hex(*h)
	}
	return c.bundleFlags.verify(hex(t.Root), hex(t.Head), t.Count, c.JSON, os.Stdout)
}

// checkProofs checks --proof and --consistency against t. A proof that
// does not hold is a *chain.MismatchError; unreadable input is a usage or
// I/O error.
func (c *recordsCmd) checkProofs(t chain.Pins) error {
	if c.Proof == "" && c.Consistency == "" {
		return nil
	}
	if t.Count == nil || t.Root == nil {
		if t.Count != nil && *t.Count == 0 {
			return &chain.MismatchError{Msg: "an empty log includes nothing and extends nothing"}
		}
		return cli.Usage("proofs need the Merkle root and event count: give --root and --count (or --summary), or the records")
	}
	if c.Proof != "" {
		data, err := os.ReadFile(c.Proof)
		if err != nil {
			return cli.Exit(2, err)
		}
		p, err := merkle.ParseInclusionProof(data)
		if err != nil {
			return cli.Usage("--proof %s: %v", c.Proof, err)
		}
		if err := merkle.VerifyInclusion(p, *t.Count, *t.Root); err != nil {
			return &chain.MismatchError{Msg: fmt.Sprintf("inclusion proof %s: %v", c.Proof, err)}
		}
	}
	if c.Consistency != "" {
		if c.OldCount == "" || c.OldRoot == "" {
			return cli.Usage("--consistency needs --old-count and --old-root: the earlier head the log must extend")
		}
		oldCount, err := strconv.ParseUint(c.OldCount, 10, 64)
		if err != nil {
			return cli.Usage("--old-count: want a non-negative integer, got %q", c.OldCount)
		}
		oldRoot, err := merkle.ParseHash(c.OldRoot)
		if err != nil {
			return cli.Usage("--old-root: %v", err)
		}
		data, err := os.ReadFile(c.Consistency)
		if err != nil {
			return cli.Exit(2, err)
		}
		p, err := merkle.ParseConsistencyProof(data)
		if err != nil {
			return cli.Usage("--consistency %s: %v", c.Consistency, err)
		}
		if err := merkle.VerifyConsistency(p, oldCount, oldRoot, *t.Count, *t.Root); err != nil {
			return &chain.MismatchError{Msg: fmt.Sprintf("consistency proof %s: %v", c.Consistency, err)}
		}
	}
	return nil
}

// warn notes on stderr what verified only thanks to a relaxed rule.
func (c *recordsCmd) warn(name string, res *chain.Result) {
	if res == nil {
		return
	}
	if res.TruncatedTail {
		fmt.Fprintf(os.Stderr, "nono-verify: warning: %s: line %d: %s; verified the %d complete records before it\n",
			name, res.TruncatedLine, chain.TruncatedMsg, res.EventCount)
	}
	if res.LenientCount > 0 {
		fmt.Fprintf(os.Stderr, "nono-verify: warning: %s: %d records accepted only in lenient mode (first on line %d)\n",
			name, res.LenientCount, res.LenientLines[0])
	}
	if res.MissingEventJSON {
		fmt.Fprintf(os.Stderr, "nono-verify: warning: %s: some records lack event_json; their leaves hash the re-encoded event\n", name)
	}
}

func (c *recordsCmd) open() (io.ReadCloser, string, error) {
	if c.File == "" || c.File == "-" {
		return io.NopCloser(os.Stdin), "<stdin>", nil
	}
	f, err := os.Open(c.File)
	if err != nil {
		return nil, c.File, cli.Exit(2, err)
	}
	return f, c.File, nil
}

func writeLine(b []byte) error {
	if _, err := os.Stdout.Write(append(b, '\n')); err != nil {
		return cli.Exit(2, err)
	}
	return nil
}
