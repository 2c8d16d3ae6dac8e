package nonomerkle

import (
	"os"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/integrity"
)

type sessionCmd struct {
	Dir              string `arg:"" type:"existingdir" help:"The session directory."`
	NoIntegrity      bool   `name:"no-integrity" help:"Still verify the log and count its records, but set audit_integrity to null."`
	Lenient          bool   `help:"Accept nono-py records whose event_json escapes non-ASCII."`
	AllowPartialTail bool   `name:"allow-partial-tail" help:"Ignore a truncated final record (a crash mid-write) instead of failing."`
	StrictSchema     bool   `name:"strict-schema" help:"Fail on an event that uses a type, field or value this version does not know, instead of summarising it with a warning."`
	Stdin            bool   `help:"Summarise the records streamed on stdin as they are written to DIR's log by nono-chain --log (the end of the nono run pipeline), then check the log holds exactly those bytes; the log is not read again."`
}

func (c *sessionCmd) Run(ui *cli.UI) error {
	opts := integrity.Options{
		NoIntegrity: c.NoIntegrity,
		Chain:       chain.Options{Lenient: c.Lenient, AllowPartialTail: c.AllowPartialTail, StrictSchema: c.StrictSchema},
	}
	if c.Stdin {
		cli.RecorderStage()
		opts.Stream = os.Stdin
	}
	sum, err := integrity.Summarize(c.Dir, opts)
	if err != nil {
		return err
	}
	ui.Warn(sum.Warnings...)
	return nil
}
