package nonoverify

import (
	"context"
	"errors"
	"runtime"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/collect"
	"github.com/nono-audit/nono/lib/objstore"
)

// s3Cmd verifies, from the collector's side, every session stored in a
// bucket by nono-collect.
type s3Cmd struct {
	S3            string `name:"s3" required:"" placeholder:"URL" help:"S3 endpoint: http(s)://HOST[:PORT] (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, MINIO_ROOT_USER/MINIO_ROOT_PASSWORD or ~/.aws/credentials)."`
	Bucket        string `required:"" placeholder:"NAME" help:"Bucket nono-collect stores into."`
	Prefix        string `placeholder:"PREFIX" help:"Only objects under PREFIX (TENANT/, TENANT/SHIPPER/, ...)."`
	PublicKeyFile string `name:"public-key-file" placeholder:"FILE" help:"Pin the signer: every envelope must carry an attestation bundle signed by this key."`
	Parallel      int    `default:"0" placeholder:"N" help:"Objects checked at once (default: twice the CPUs)."`
	JSON          bool   `name:"json" help:"Print one JSON object per envelope, in an array."`
}

func (c *s3Cmd) Run(ui *cli.UI) error {
	pub, err := pinnedKey(c.PublicKeyFile)
	if err != nil {
		return err
	}
	if c.Parallel <= 0 {
		c.Parallel = 2 * runtime.NumCPU()
	}
	ctx := context.Background()
	store, err := objstore.Open(ctx, c.S3, c.Bucket)
	if err != nil {
		return cli.Unusable(err)
	}
	rows, err := collect.AuditBucket(ctx, store, collect.AuditOptions{Prefix: c.Prefix, PublicKey: pub, Parallel: c.Parallel})
	if err != nil {
		return cli.Unusable(err)
	}
	if c.JSON {
		vals := make([]canon.Value, len(rows))
		for i, r := range rows {
			vals[i] = r.Value()
		}
		if err := ui.Line(canon.Pretty(canon.ArrayValue(vals...))); err != nil {
			return err
		}
	} else if err := collect.WriteTable(ui.Stdout, rows); err != nil {
		return cli.Unusable(err)
	}
	for _, r := range rows {
		if !r.OK() {
			return cli.Verdict(errors.New("some stored sessions do not verify (see above)"))
		}
	}
	return nil
}
