package nonoship

import (
	"context"
	"os"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/platform"
	"github.com/nono-audit/nono/lib/ship"
)

type enrollCmd struct {
	URL    string  `required:"" placeholder:"URL" help:"The receiver's base URL: https://..., or http://127.0.0.1:PORT for one on this machine."`
	Token  string  `required:"" placeholder:"TOKEN" help:"One-time enrollment token from the receiver's operator (nono-collect token create)."`
	Name   *string `placeholder:"NAME" help:"Display name of this machine at the receiver."`
	CAFile string  `name:"ca-file" placeholder:"FILE" help:"PEM certificate(s) to trust for the receiver's TLS, besides the system roots (kept in the state directory)."`
}

func (c *enrollCmd) Run(ui *cli.UI) error {
	p, err := paths()
	if err != nil {
		return err
	}
	cwd, _ := os.Getwd()
	st, err := ship.Enroll(context.Background(), p, ship.EnrollOptions{
		URL: c.URL, Token: c.Token, Name: c.Name, CAFile: c.CAFile,
		Cwd: cwd, Home: os.Getenv("HOME"), Now: time.Now,
	})
	if err != nil {
		return cli.Unusable(err)
	}
	ui.Printf("Enrolled for audit-only delivery.\n  Receiver: %s\n  Tenant:   %s\n  Subject:  %s\n  Key:      %s\n",
		st.URL, st.TenantID, st.SubjectID, st.KeyFile)
	return nil
}

type enrollmentCmd struct {
	JSON bool `name:"json" help:"Print the enrollment as JSON."`
}

func (c *enrollmentCmd) Run(ui *cli.UI) error {
	p, err := paths()
	if err != nil {
		return err
	}
	st, err := platform.Load(p)
	if err == platform.ErrNotEnrolled {
		if c.JSON {
			return writeJSON(ui, canon.ObjectValue(canon.Member{Key: "enrolled", Value: canon.BoolValue(false)}))
		}
		ui.Printf("Not enrolled with an audit receiver." + "\n")
		return nil
	}
	if err != nil {
		return cli.Unusable(err)
	}
	items, err := ship.ListOutbox(p)
	if err != nil {
		return cli.Unusable(err)
	}
	if c.JSON {
		v := st.Value()
		v.Members = append([]canon.Member{{Key: "enrolled", Value: canon.BoolValue(true)}}, v.Members...)
		v.Members = append(v.Members, canon.Member{Key: "queued", Value: canon.UintValue(uint64(len(items)))})
		return writeJSON(ui, v)
	}
	name := "-"
	if st.DisplayName != nil {
		name = *st.DisplayName
	}
	ui.Printf("Audit receiver enrollment\n  Receiver: %s\n  Tenant:   %s\n  Subject:  %s (%s, %q)\n  Mode:     %s\n  Enrolled: %s\n  Key:      %s\n  Queued:   %d\n",
		st.URL, st.TenantID, st.SubjectID, st.SubjectKind, name, st.ManagementMode, st.EnrolledAt, st.KeyFile, len(items))
	return nil
}

type unenrollCmd struct {
	DeleteKey bool `name:"delete-key" help:"Also delete the device key (the next enrollment makes a new one)."`
}

func (c *unenrollCmd) Run(ui *cli.UI) error {
	p, err := paths()
	if err != nil {
		return err
	}
	r, err := ship.Unenroll(p, c.DeleteKey)
	if err != nil {
		return notEnrolled(err)
	}
	ui.Printf("Unenrolled from %s.\n  Subject %s stays registered with tenant %s until the receiver's operator revokes it.\n",
		r.State.URL, r.State.SubjectID, r.State.TenantID)
	if r.KeyDeleted {
		ui.Printf("  Device key deleted; the next enrollment makes a new one." + "\n")
	} else {
		ui.Printf("  Device key kept (%s); --delete-key removes it.\n", r.State.KeyFile)
	}
	if r.Queued > 0 {
		ui.Printf("  %d session(s) stay in the outbox and are delivered after the next enrollment.\n", r.Queued)
	}
	return nil
}

func writeJSON(ui *cli.UI, v canon.Value) error { return ui.Line(canon.Pretty(v)) }
