// Package nonocollect is the nono-collect command: it receives sessions
// shipped with audit-delivery v1 and keeps them, verified, in an S3 bucket
// (Object Lock). cmd/nono-collect runs Main; the end-to-end tests run it
// in-process.
package nonocollect

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/collect"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/objstore"
	"github.com/nono-audit/nono/lib/witness"
)

type CLI struct {
	Serve   serveCmd   `cmd:"" help:"Serve the enrollment and ingest endpoints."`
	Token   tokenCmd   `cmd:"" help:"Enrollment tokens."`
	Subject subjectCmd `cmd:"" help:"Enrolled subjects (devices, workloads)."`
	Bucket  bucketCmd  `cmd:"" help:"Create a bucket for nono-collect (with Object Lock)."`
	Witness witnessCmd `cmd:"" help:"The ledgers this collector witnesses."`
}

const description = `Receive audit sessions (audit-delivery v1) into an S3 bucket.

Everything lives in the bucket: tokens, subjects, one object per accepted
envelope (locked in compliance mode when the bucket has Object Lock), the
record of every request ID, and the verdict of the verification that follows
acceptance. Any number of collectors can serve one bucket.

S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
(/ AWS_SESSION_TOKEN), MINIO_ROOT_USER / MINIO_ROOT_PASSWORD, or
~/.aws/credentials; the region from AWS_REGION.`

// Main runs nono-collect with os.Args and exits.
func Main() {
	cli.Main("nono-collect", description, &CLI{})
}

// bucketFlags name the bucket every command works on.
type bucketFlags struct {
	S3     string `name:"s3" required:"" placeholder:"URL" help:"S3 endpoint: http(s)://HOST[:PORT]."`
	Bucket string `required:"" placeholder:"NAME" help:"Bucket."`
}

func (f *bucketFlags) open(ctx context.Context) (*objstore.Store, error) {
	s, err := objstore.Open(ctx, f.S3, f.Bucket)
	if err != nil {
		return nil, cli.Unusable(err)
	}
	return s, nil
}

type serveCmd struct {
	bucketFlags
	Listen       string        `default:"127.0.0.1:8443" placeholder:"ADDR" help:"Address to listen on. Plain HTTP only on a loopback address; anything else needs --tls-cert and --tls-key."`
	TLSCert      string        `name:"tls-cert" placeholder:"FILE" help:"PEM certificate (chain) to serve HTTPS with."`
	TLSKey       string        `name:"tls-key" placeholder:"FILE" help:"PEM private key of --tls-cert."`
	MaxSkew      time.Duration `name:"max-skew" default:"5m" placeholder:"DURATION" help:"How far a request's timestamp may be from this clock."`
	MaxBody      int64         `name:"max-body" default:"268435456" placeholder:"BYTES" help:"Largest envelope accepted."`
	Retention    time.Duration `placeholder:"DURATION" help:"Object Lock retention of stored envelopes and verdicts (compliance mode), when the bucket has Object Lock (default: the bucket's default retention, else 365 days)."`
	AddrFile     string        `name:"addr-file" placeholder:"FILE" help:"Write the address actually listened on to FILE (for --listen 127.0.0.1:0)."`
	NoSweep      bool          `name:"no-sweep" help:"Do not verify, at start, stored envelopes that have no verdict yet."`
	SubjectCache time.Duration `name:"subject-cache" default:"10s" placeholder:"DURATION" help:"How long a subject read from the bucket is trusted: a revocation reaches this collector within it."`
	WitnessKey   string        `name:"witness-key" placeholder:"REF" help:"Witness the senders' ledger checkpoints, co-signing with this note key: file:///ABS/PATH or env://VAR ('nono trust keygen --note --witness --name NAME')."`
}

func (c *serveCmd) Run(ui *cli.UI) error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return cli.Usage("--tls-cert and --tls-key go together")
	}
	if c.MaxBody <= 0 || c.MaxBody > envelope.MaxSize {
		return cli.Usage("--max-body: want 1 to %d bytes", envelope.MaxSize)
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return cli.Usage("--listen %q: %v", c.Listen, err)
	}
	if ip := net.ParseIP(host); c.TLSCert == "" && (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		return cli.Usage("--listen %s: plain HTTP is served only on a loopback address; give --tls-cert and --tls-key", c.Listen)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	logger := log.New(os.Stderr, "nono-collect: ", log.LstdFlags)
	lock, err := store.LockConfig(ctx)
	if err != nil {
		return cli.Unusable(err)
	}
	retention := time.Duration(0)
	if lock.Enabled {
		retention = c.Retention
		if retention <= 0 {
			retention = lock.Period
		}
		if retention <= 0 {
			retention = 365 * 24 * time.Hour
		}
		logger.Printf("bucket %s has Object Lock: envelopes and verdicts are kept in compliance mode for %s", c.Bucket, retention)
	} else {
		logger.Printf("warning: bucket %s has no Object Lock: stored envelopes can be overwritten or deleted by anyone with write access", c.Bucket)
	}
	col := &collect.Collector{Bucket: store, MaxSkew: c.MaxSkew, MaxBody: c.MaxBody, Retention: retention, SubjectCache: c.SubjectCache, Log: logger}
	if c.WitnessKey != "" {
		skey, err := dsse.ReadKeyRef(c.WitnessKey, os.Getenv)
		if err != nil {
			return cli.Usage("--witness-key: %v", err)
		}
		if col.Witness, err = witness.New(string(skey), nil); err != nil {
			return cli.Usage("--witness-key: %v", err)
		}
		logger.Printf("witnessing ledger checkpoints as %s", col.Witness.Name())
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return cli.Unusable(err)
	}
	srv := &http.Server{Handler: col.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: logger}
	scheme := "http"
	if c.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return cli.Unusable(fmt.Errorf("--tls-cert/--tls-key: %w", err))
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	addr := ln.Addr().String()
	if c.AddrFile != "" {
		if err := atomicfile.WriteFile(c.AddrFile, []byte(addr+"\n"), 0o600); err != nil {
			return cli.Unusable(err)
		}
	}
	logger.Printf("serving %s://%s for bucket %s at %s", scheme, addr, c.Bucket, c.S3)
	if !c.NoSweep {
		go func() {
			if n, err := col.Sweep(ctx); err != nil {
				logger.Printf("sweep: %v", err)
			} else if n > 0 {
				logger.Printf("sweep: verified %d envelope(s) that had no verdict", n)
			}
		}()
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return cli.Unusable(err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(shut)
	col.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return cli.Unusable(err)
	}
	return nil
}

type tokenCmd struct {
	Create tokenCreateCmd `cmd:"" help:"Make a one-time enrollment token for a tenant (printed once; only its hash is stored)."`
}

type tokenCreateCmd struct {
	bucketFlags
	Tenant string        `required:"" placeholder:"TENANT" help:"Tenant the enrolled subject joins."`
	TTL    time.Duration `name:"ttl" default:"24h" placeholder:"DURATION" help:"How long the token can be redeemed."`
}

func (c *tokenCreateCmd) Run(ui *cli.UI) error {
	if err := collect.ValidTenant(c.Tenant); err != nil {
		return cli.Usage("--tenant: %v", err)
	}
	ctx := context.Background()
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	tok, err := collect.CreateToken(ctx, store, c.Tenant, c.TTL, time.Now())
	if err != nil {
		return cli.Unusable(err)
	}
	ui.Printf("%s\n", tok)
	return nil
}

type subjectCmd struct {
	List   subjectListCmd   `cmd:"" help:"List enrolled subjects."`
	Revoke subjectRevokeCmd `cmd:"" help:"Revoke a subject: its requests are refused from now on (within --subject-cache, 10 s by default, on every collector)."`
}

type subjectListCmd struct {
	bucketFlags
}

func (c *subjectListCmd) Run(ui *cli.UI) error {
	ctx := context.Background()
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	subjects, err := collect.ListSubjects(ctx, store)
	if err != nil {
		return cli.Unusable(err)
	}
	vals := make([]canon.Value, len(subjects))
	for i, s := range subjects {
		vals[i] = s.Value()
	}
	return ui.Line(canon.Pretty(canon.ArrayValue(vals...)))
}

type subjectRevokeCmd struct {
	bucketFlags
	ID string `arg:"" placeholder:"SUBJECT" help:"Subject ID."`
}

func (c *subjectRevokeCmd) Run(ui *cli.UI) error {
	ctx := context.Background()
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	s, err := collect.RevokeSubject(ctx, store, c.ID, time.Now())
	if errors.Is(err, objstore.ErrNotFound) {
		return cli.Usage("no subject %q is enrolled in bucket %s", c.ID, c.Bucket)
	}
	if err != nil {
		return cli.Unusable(err)
	}
	ui.Printf("revoked subject %s of tenant %s at %s\n", s.ID, s.TenantID, s.RevokedAt)
	return nil
}

type witnessCmd struct {
	List witnessListCmd `cmd:"" help:"List the ledgers witnessed: the pinned key, the latest checkpoint co-signed, and the evidence of every refusal."`
}

type witnessListCmd struct {
	bucketFlags
	Tenant string `placeholder:"TENANT" help:"Only this tenant's ledgers."`
}

func (c *witnessListCmd) Run(ui *cli.UI) error {
	if c.Tenant != "" {
		if err := collect.ValidTenant(c.Tenant); err != nil {
			return cli.Usage("--tenant: %v", err)
		}
	}
	ctx := context.Background()
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	logs, err := collect.ListWitnessed(ctx, store, collect.WitnessPrefix(c.Tenant))
	if err != nil {
		return cli.Unusable(err)
	}
	vals := make([]canon.Value, len(logs))
	for i, l := range logs {
		vals[i] = l.Value()
	}
	return ui.Line(canon.Pretty(canon.ArrayValue(vals...)))
}

type bucketCmd struct {
	Create bucketCreateCmd `cmd:"" help:"Create the bucket, with Object Lock and a default compliance retention."`
}

type bucketCreateCmd struct {
	bucketFlags
	NoLock        bool `name:"no-lock" help:"Without Object Lock (stored envelopes can then be overwritten or deleted)."`
	RetentionDays uint `name:"retention-days" default:"365" placeholder:"DAYS" help:"Default retention in compliance mode (0: none, the collector still locks what it writes)."`
}

func (c *bucketCreateCmd) Run(ui *cli.UI) error {
	if _, err := objstore.Create(context.Background(), c.S3, c.Bucket, !c.NoLock, c.RetentionDays); err != nil {
		return cli.Unusable(err)
	}
	ui.Printf("created bucket %s at %s (object lock: %v)\n", c.Bucket, c.S3, !c.NoLock)
	return nil
}
