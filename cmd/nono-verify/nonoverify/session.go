package nonoverify

import (
	"fmt"
	"os"

	"github.com/nono-audit/nono/lib/audit"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/session"
)

// sessionCmd is `nono audit verify`: the session's log against its
// session.json, its ledger entry, and its attestation. Unlike upstream it
// exits 1 whenever anything does not verify, with --json too.
type sessionCmd struct {
	Session       string `arg:"" help:"Session ID, or the path of a session directory (one containing a /)." placeholder:"ID|DIR"`
	PublicKeyFile string `name:"public-key-file" help:"Pin the signer: its public key (.pub base64 DER or PEM)." placeholder:"FILE"`
	JSON          bool   `name:"json" help:"Print the session, ledger and attestation results as JSON on stdout."`

	Lenient          bool `help:"Accept nono-py records whose event_json escapes non-ASCII (\\uXXXX) when event_json and event are the same JSON value; a warning says which lines needed it."`
	AllowPartialTail bool `name:"allow-partial-tail" help:"Verify the complete records before a torn final record (a crash mid-write) instead of failing; a warning names the line."`
	StrictSchema     bool `name:"strict-schema" help:"Fail on an event with a type, field or value this version does not know (by default its integrity is checked and a warning counts such events)."`
}

func (c *sessionCmd) Run(ui *cli.UI) error {
	if c.PublicKeyFile != "" {
		// Checked first: a key the user named but that is not there is a
		// mistake on the command line, not a verdict on the session.
		if _, err := os.Stat(c.PublicKeyFile); err != nil {
			return cli.Usage("failed to read public key file: %v", err)
		}
	}
	st, err := session.Open(os.Getenv)
	if err != nil {
		return err
	}
	entry, err := st.Locate(session.AuditSide, c.Session)
	if err != nil {
		return err
	}
	v, err := audit.VerifySession(entry, audit.VerifyOptions{
		AuditRoot:     st.AuditRoot,
		PublicKeyFile: c.PublicKeyFile,
		Chain:         chain.Options{Lenient: c.Lenient, AllowPartialTail: c.AllowPartialTail, StrictSchema: c.StrictSchema},
	})
	if err != nil {
		return err
	}
	if !v.Running() { // a running session's last record may be half written
		for _, w := range v.Log.Warnings() {
			ui.Warnf("session %s: event log: %s", entry.ID, w)
		}
	}
	if c.JSON {
		err = ui.Line(canon.Pretty(v.Value()))
	} else {
		err = v.WriteText(ui.Stdout, c.PublicKeyFile != "", ui.Paint)
	}
	if err != nil {
		return err
	}
	switch {
	case v.Headline() == "RUNNING":
		return fmt.Errorf("session %s is still running: what it recorded so far verifies; verify it again once it has ended", entry.ID)
	case !v.OK():
		return cli.Verdictf("audit integrity verification failed for session %s", entry.ID)
	}
	return nil
}
