package nonoverify

import (
	"bytes"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/witness"
)

type checkpointCmd struct {
	File string `arg:"" optional:"" placeholder:"FILE" help:"A signed checkpoint to verify (the same as --new)."`

	Key         string   `required:"" placeholder:"VKEY" help:"The ledger's verifier key (name+hash+base64, as 'nono trust keygen --note' prints it), or a file holding it (PATH.pub)."`
	Old         string   `placeholder:"FILE" help:"An older signed checkpoint of the same ledger, which --new must extend."`
	New         string   `placeholder:"FILE" help:"The newer signed checkpoint."`
	Consistency string   `placeholder:"FILE" help:"The consistency proof from --old's size to --new's ('nono audit consistency --from N' on the host)."`
	Proof       string   `placeholder:"FILE" help:"An inclusion proof of a session's ledger record ('nono audit prove ID'), which carries its checkpoint; with --new, that must be the same tree."`
	Cosigned    []string `name:"cosigned-by" placeholder:"VKEY" help:"Also require a witness's cosignature on --new (or the proof's checkpoint): its verifier key or a file holding it. Repeatable."`
	WitnessDir  string   `name:"witness-dir" placeholder:"DIR" help:"Act as a witness keeping its state in DIR: accept --new only if it extends the checkpoint held for its origin (by --consistency), then hold it and print it co-signed."`
	WitnessKey  string   `name:"witness-key" placeholder:"REF" help:"With --witness-dir: the witness's note key, file:///ABS/PATH or env://VAR ('nono trust keygen --note --witness --name NAME')."`
	JSON        bool     `name:"json" help:"Print what was verified as one JSON object."`

	ui *cli.UI
}

func (c *checkpointCmd) Run(ui *cli.UI) error {
	c.ui = ui
	if c.File != "" {
		if c.New != "" {
			return cli.Usage("give the new checkpoint once: as FILE or as --new")
		}
		c.New = c.File
	}
	log, err := checkpoint.LoadVerifier(c.Key)
	if err != nil {
		return cli.Usage("--key: %v", err)
	}
	var cosigners []note.Verifier
	for _, k := range c.Cosigned {
		v, err := loadCosigner(k)
		if err != nil {
			return cli.Usage("--cosigned-by: %v", err)
		}
		cosigners = append(cosigners, v)
	}
	switch {
	case c.WitnessDir != "":
		if c.Old != "" || c.Proof != "" || len(cosigners) > 0 {
			return cli.Usage("--witness-dir takes --new (or FILE), --consistency, --key and --witness-key only: the old checkpoint is the one the witness holds")
		}
		return c.witness(log)
	case c.WitnessKey != "":
		return cli.Usage("--witness-key goes with --witness-dir")
	case c.Proof != "":
		if c.Old != "" || c.Consistency != "" {
			return cli.Usage("check an inclusion proof (--proof) and a consistency proof (--old, --consistency) in separate runs")
		}
		return c.inclusion(log, cosigners)
	case c.Old != "":
		if c.New == "" {
			return cli.Usage("--old needs --new: the checkpoint that must extend it")
		}
		return c.consistency(log, cosigners)
	case c.New == "":
		return cli.Usage("nothing to verify: give a checkpoint (FILE or --new), --old and --new, or --proof")
	case c.Consistency != "":
		return cli.Usage("--consistency needs --old: the checkpoint the proof starts from")
	}
	n, err := readNote(c.New)
	if err != nil {
		return err
	}
	cp, _, err := checkpoint.Open(n, log, cosigners...)
	if err != nil {
		return verdict(c.New, err)
	}
	if err := cosignedBy(n, log, cosigners); err != nil {
		return verdict(c.New, err)
	}
	return c.report(fmt.Sprintf("verified checkpoint %s", cp.Describe()), cp, nil)
}

// consistency checks that --new extends --old.
func (c *checkpointCmd) consistency(log note.Verifier, cosigners []note.Verifier) error {
	oldNote, err := readNote(c.Old)
	if err != nil {
		return err
	}
	newNote, err := readNote(c.New)
	if err != nil {
		return err
	}
	p, err := c.readConsistency()
	if err != nil {
		return err
	}
	old, cur, err := checkpoint.CheckConsistency(oldNote, newNote, p, log)
	if err != nil {
		return err
	}
	if err := cosignedBy(newNote, log, cosigners); err != nil {
		return verdict(c.New, err)
	}
	return c.report(fmt.Sprintf("verified: %s extends size %d (root %s)", cur.Describe(), old.Size, merkle.Hex(old.Root)), cur,
		[]canon.Member{{Key: "old_size", Value: canon.UintValue(old.Size)}, {Key: "old_root", Value: canon.StringValue(merkle.Hex(old.Root))}})
}

// inclusion checks a session's ledger proof.
func (c *checkpointCmd) inclusion(log note.Verifier, cosigners []note.Verifier) error {
	data, err := checkpoint.ReadFile(c.Proof)
	if err != nil {
		return err
	}
	p, err := checkpoint.ParseProof(data)
	if err != nil {
		return fmt.Errorf("--proof %s: %w", c.Proof, err)
	}
	cp, err := p.Verify(log, cosigners...)
	if err != nil {
		return verdict(c.Proof, err)
	}
	if err := cosignedBy(p.Checkpoint, log, cosigners); err != nil {
		return verdict(c.Proof, err)
	}
	if c.New != "" {
		n, err := readNote(c.New)
		if err != nil {
			return err
		}
		pinned, _, err := checkpoint.Open(n, log, cosigners...)
		if err != nil {
			return verdict(c.New, err)
		}
		if *pinned != *cp {
			return cli.Verdictf("the proof is against %s, not the checkpoint %s (%s)", cp.Describe(), c.New, pinned.Describe())
		}
	}
	r := p.Record
	return c.report(fmt.Sprintf("verified: session %s (ledger record %d, completed %s) is in %s", r.SessionID, r.Sequence, r.CompletedAt, cp.Describe()), cp,
		[]canon.Member{
			{Key: "session_id", Value: canon.StringValue(r.SessionID)},
			{Key: "sequence", Value: canon.UintValue(r.Sequence)},
			{Key: "session_digest", Value: canon.StringValue(merkle.Hex(r.SessionDigest))},
		})
}

// witness runs one add-checkpoint of a witness keeping its state in
// --witness-dir.
func (c *checkpointCmd) witness(log note.Verifier) error {
	if c.WitnessKey == "" {
		return cli.Usage("--witness-dir needs --witness-key: the key the witness co-signs with")
	}
	if c.New == "" {
		return cli.Usage("--witness-dir needs the checkpoint to witness (FILE or --new)")
	}
	skey, err := dsse.ReadKeyRef(c.WitnessKey, os.Getenv)
	if err != nil {
		return cli.Usage("--witness-key: %v", err)
	}
	w, err := witness.New(string(skey), witness.DirStore{Dir: c.WitnessDir})
	if err != nil {
		return cli.Usage("--witness-key: %v", err)
	}
	cpNote, err := readNote(c.New)
	if err != nil {
		return err
	}
	p, err := c.readConsistency()
	if err != nil {
		return err
	}
	res, err := w.Add(cpNote, log, p)
	if err != nil {
		return fmt.Errorf("%s: %w", c.New, err)
	}
	from := "first checkpoint of this origin, held as it is"
	if res.Previous != nil {
		from = fmt.Sprintf("extends size %d", res.Previous.Size)
	}
	fmt.Fprintf(c.ui.Messages(), "%s: witness %s co-signed %s (%s)\n", c.ui.Name, w.Name(), res.Checkpoint.Describe(), from)
	if c.JSON {
		members := checkpointMembers(res.Checkpoint)
		members = append(members, canon.Member{Key: "cosigned", Value: canon.StringValue(string(res.Cosigned))})
		return c.ui.Line(canon.Compact(canon.ObjectValue(members...)))
	}
	return c.ui.Printf("%s", res.Cosigned)
}

func (c *checkpointCmd) readConsistency() (*merkle.ConsistencyProof, error) {
	if c.Consistency == "" {
		return nil, nil
	}
	data, err := checkpoint.ReadFile(c.Consistency)
	if err != nil {
		return nil, err
	}
	p, err := merkle.ParseConsistencyProof(data)
	if err != nil {
		return nil, fmt.Errorf("--consistency %s: %w", c.Consistency, err)
	}
	return p, nil
}

func (c *checkpointCmd) report(text string, cp *checkpoint.Checkpoint, extra []canon.Member) error {
	if !c.JSON {
		return c.ui.Line([]byte(text))
	}
	members := append(checkpointMembers(cp), extra...)
	return c.ui.Line(canon.Compact(canon.ObjectValue(append(members, canon.Member{Key: "verified", Value: canon.BoolValue(true)})...)))
}

func checkpointMembers(cp *checkpoint.Checkpoint) []canon.Member {
	return []canon.Member{
		{Key: "origin", Value: canon.StringValue(cp.Origin)},
		{Key: "size", Value: canon.UintValue(cp.Size)},
		{Key: "root", Value: canon.StringValue(merkle.Hex(cp.Root))},
	}
}

func readNote(path string) ([]byte, error) { return checkpoint.ReadFile(path) }

// cosignedBy checks that every cosigner signed the note.
func cosignedBy(n []byte, log note.Verifier, cosigners []note.Verifier) error {
	if len(cosigners) == 0 {
		return nil
	}
	_, opened, err := checkpoint.Open(n, log, cosigners...)
	if err != nil {
		return err
	}
	for _, v := range cosigners {
		found := false
		for _, s := range opened.Sigs {
			found = found || s.Name == v.Name() && s.Hash == v.KeyHash()
		}
		if !found {
			return cli.Verdictf("not co-signed by the witness %s", v.Name())
		}
	}
	return nil
}

func loadCosigner(arg string) (note.Verifier, error) {
	v, err := witness.CosignatureVerifier(arg)
	if err == nil {
		return v, nil
	}
	data, rerr := checkpoint.ReadFile(arg)
	if rerr != nil {
		return nil, err
	}
	return witness.CosignatureVerifier(string(bytes.TrimSpace(data)))
}

// verdict names the file in err; err says whether it is a verdict.
func verdict(name string, err error) error { return fmt.Errorf("%s: %w", name, err) }
