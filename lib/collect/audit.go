package collect

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/objstore"
)

// AuditOptions tune AuditBucket.
type AuditOptions struct {
	Prefix    string           // only objects under it ("" for all)
	PublicKey *ecdsa.PublicKey // pinned signer: every envelope must carry a bundle it signed
	MaxBody   int64
	Parallel  int
}

// Row is the verdict on one stored envelope (or on a request record
// whose envelope is missing).
type Row struct {
	Key         string
	Name        EnvelopeName
	Result      *envelope.Result // nil when the object could not be read or parsed
	EventCount  uint64
	Versions    int    // versions of the key, delete markers included
	RetainUntil string // "" when not locked
	Collector   string // the collector's verdict: verified, failed, or "" (none yet)
	Problems    []string
}

// OK reports whether the row verified.
func (r *Row) OK() bool { return len(r.Problems) == 0 }

// AuditBucket verifies, from the bucket alone, every envelope under a
// prefix: the original version of each object (the one the collector
// wrote; a later version or a delete marker is reported as tampering)
// verifies as an envelope, names what its key says, and is the body
// whose digest the request record holds. Request records whose envelope
// is missing are reported too.
func AuditBucket(ctx context.Context, b Bucket, o AuditOptions) ([]*Row, error) {
	if o.MaxBody <= 0 {
		o.MaxBody = envelope.MaxSize
	}
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	versions := map[string][]objstore.Entry{} // per key, as listed: newest first
	var keys []string
	err := b.List(ctx, o.Prefix, true, func(e objstore.Entry) bool {
		if _, ok := ParseEnvelopeKey(e.Key); ok {
			if versions[e.Key] == nil {
				keys = append(keys, e.Key)
			}
			versions[e.Key] = append(versions[e.Key], e)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	rows := make([]*Row, len(keys))
	var wg sync.WaitGroup
	next := make(chan int)
	for range o.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rows[i] = auditOne(ctx, b, keys[i], versions[keys[i]], o)
			}
		}()
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	missing, err := missingEnvelopes(ctx, b, o.Prefix, versions)
	if err != nil {
		return nil, err
	}
	rows = append(rows, missing...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return rows, nil
}

// auditOne checks one envelope key.
func auditOne(ctx context.Context, b Bucket, key string, vs []objstore.Entry, o AuditOptions) *Row {
	name, _ := ParseEnvelopeKey(key)
	r := &Row{Key: key, Name: name, Versions: len(vs)}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	original := vs[len(vs)-1] // listings give the newest version first
	if original.DeleteMarker {
		problem("only a delete marker is left")
		return r
	}
	if len(vs) > 1 {
		if vs[0].DeleteMarker {
			problem("deleted after acceptance: a delete marker hides it (the original version is checked)")
		} else {
			problem("overwritten after acceptance: %d later version(s) (the original version is checked)", len(vs)-1)
		}
	}
	obj, err := b.Get(ctx, key, versionOf(original), o.MaxBody)
	if err != nil {
		problem("unreadable: %v", err)
		return r
	}
	if !obj.RetainUntil.IsZero() {
		r.RetainUntil = obj.RetainUntil.UTC().Format(time.RFC3339)
	}
	env, err := envelope.Parse(obj.Data)
	if err != nil {
		problem("%v", err)
		return r
	}
	r.Result = envelope.Verify(env, envelope.Options{PublicKey: o.PublicKey})
	if r.Result.Events != nil {
		r.EventCount = r.Result.Events.EventCount
	}
	r.Problems = append(r.Problems, r.Result.Problems...)
	if got := (EnvelopeName{env.TenantID, env.ShipperID, env.SessionID, env.IngestID}); got != name {
		problem("the envelope names %s/%s/%s/%s, not its key", got.Tenant, got.Shipper, got.Session, got.Ingest)
	}
	req, err := LoadRequest(ctx, b, RequestKey(name.Tenant, name.Shipper, name.Ingest))
	switch {
	case errors.Is(err, objstore.ErrNotFound):
		problem("no request record: no collector accepted this object")
	case err != nil:
		problem("request record: %v", err)
	case req.BodyDigest != delivery.BodyDigest(obj.Data):
		problem("the object's bytes are not the body the collector accepted (%s)", req.BodyDigest)
	}
	if v, err := b.Get(ctx, VerdictKey(key), "", delivery.MaxMessage); err == nil {
		if pv, err := canon.Parse(v.Data); err == nil {
			s, _ := pv.Get("verification_status")
			r.Collector = s.Str
		}
	}
	return r
}

// versionOf names a listed version for a read ("" for an unversioned
// bucket's "null" version).
func versionOf(e objstore.Entry) string {
	if e.VersionID == "null" {
		return ""
	}
	return e.VersionID
}

// missingEnvelopes reports request records under prefix whose envelope
// object is gone. Records are keyed by tenant and shipper only, so a
// prefix that reaches into sessions skips this check.
func missingEnvelopes(ctx context.Context, b Bucket, prefix string, seen map[string][]objstore.Entry) ([]*Row, error) {
	if strings.Count(prefix, "/") > 2 || strings.HasPrefix(prefix, ControlPrefix) {
		return nil, nil
	}
	reqPrefix := ControlPrefix + "requests/"
	var rows []*Row
	var ferr error
	err := b.List(ctx, reqPrefix+prefix, false, func(e objstore.Entry) bool {
		req, err := LoadRequest(ctx, b, e.Key)
		if err != nil {
			ferr = err
			return false
		}
		if _, ok := seen[req.Receipt.ObjectPath]; !ok {
			name, _ := ParseEnvelopeKey(req.Receipt.ObjectPath)
			rows = append(rows, &Row{Key: req.Receipt.ObjectPath, Name: name,
				Problems: []string{fmt.Sprintf("accepted at %s, but the envelope object is missing", req.Receipt.AcceptedAt)}})
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	return rows, err
}

// Value is a row as JSON.
func (r *Row) Value() canon.Value {
	null := canon.NullValue()
	opt := func(s string) canon.Value {
		if s == "" {
			return null
		}
		return canon.StringValue(s)
	}
	root, metadata, attestation := null, null, null
	if res := r.Result; res != nil {
		if res.Events != nil && res.Events.MerkleRoot != nil {
			root = canon.StringValue(merkle.Hex(*res.Events.MerkleRoot))
		}
		metadata, attestation = canon.StringValue(res.Metadata), canon.StringValue(res.Attestation)
	}
	return canon.ObjectValue(
		canon.Member{Key: "object_path", Value: canon.StringValue(r.Key)},
		canon.Member{Key: "tenant_id", Value: opt(r.Name.Tenant)},
		canon.Member{Key: "shipper_id", Value: opt(r.Name.Shipper)},
		canon.Member{Key: "session_id", Value: opt(r.Name.Session)},
		canon.Member{Key: "ingest_id", Value: opt(r.Name.Ingest)},
		canon.Member{Key: "valid", Value: canon.BoolValue(r.OK())},
		canon.Member{Key: "event_count", Value: canon.UintValue(r.EventCount)},
		canon.Member{Key: "merkle_root", Value: root},
		canon.Member{Key: "metadata", Value: metadata},
		canon.Member{Key: "attestation", Value: attestation},
		canon.Member{Key: "versions", Value: canon.UintValue(uint64(r.Versions))},
		canon.Member{Key: "locked_until", Value: opt(r.RetainUntil)},
		canon.Member{Key: "collector_verdict", Value: opt(r.Collector)},
		canon.Member{Key: "problems", Value: canon.StringsValue(r.Problems)},
	)
}

// WriteTable prints one line per row and a total.
func WriteTable(w io.Writer, rows []*Row) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s  %-36s  %7s  %-7s  %s\n", "SESSION", "INGEST", "EVENTS", "STATUS", "DETAIL")
	bad := 0
	for _, r := range rows {
		status, detail := "valid", "locked until "+r.RetainUntil
		if r.RetainUntil == "" {
			detail = "not locked"
		}
		if r.Result != nil {
			detail += ", metadata " + r.Result.Metadata + ", attestation " + r.Result.Attestation
		}
		if !r.OK() {
			status, detail = "INVALID", strings.Join(r.Problems, "; ")
			bad++
		}
		fmt.Fprintf(&b, "%-18s  %-36s  %7d  %-7s  %s\n", r.Name.Session, r.Name.Ingest, r.EventCount, status, detail)
	}
	fmt.Fprintf(&b, "%d session envelope(s): %d valid, %d invalid\n", len(rows), len(rows)-bad, bad)
	_, err := io.WriteString(w, b.String())
	return err
}
