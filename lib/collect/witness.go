package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/objstore"
	"github.com/nono-audit/nono/lib/witness"
)

// The collector as a witness of its senders' ledgers (docs/DELIVERY.md
// §6, "Witnessing ledgers"): per tenant and ledger origin, under
//
//	_nono/witness/<tenant>/<origin, escaped>/log.json         the ledger's verifier key, pinned at first use
//	_nono/witness/<tenant>/<origin, escaped>/checkpoint       the latest checkpoint accepted, co-signed (a new version each time)
//	_nono/witness/<tenant>/<origin, escaped>/refused/<time>-<request>.json   the evidence of each refusal, locked
//
// The checkpoint is replaced by compare-and-swap (If-Match on the version
// read), so collectors sharing the bucket never move a ledger backwards.

// maxWitnessObject bounds what is read back from the witness's objects.
const maxWitnessObject = 256 << 10

func witnessKey(tenant, origin, name string) string {
	return ControlPrefix + "witness/" + tenant + "/" + witness.EscapeOrigin(origin) + "/" + name
}

// WitnessPrefix holds the witness state of tenant ("" for every tenant).
func WitnessPrefix(tenant string) string {
	if tenant == "" {
		return ControlPrefix + "witness/"
	}
	return ControlPrefix + "witness/" + tenant + "/"
}

// bucketStore is a witness.Store over the bucket, for one tenant.
type bucketStore struct {
	ctx       context.Context
	c         *Collector
	tenant    string
	requestID string // names the evidence of a refusal
}

// Latest implements witness.Store.
func (s *bucketStore) Latest(origin string) ([]byte, error) {
	o, err := s.c.Bucket.Get(s.ctx, witnessKey(s.tenant, origin, "checkpoint"), "", maxWitnessObject)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return o.Data, nil
}

// Replace implements witness.Store: write-if-absent the first time, else
// a write that succeeds only over the version holding prev.
func (s *bucketStore) Replace(origin string, prev, next []byte) error {
	key := witnessKey(s.tenant, origin, "checkpoint")
	opts := objstore.PutOptions{IfAbsent: prev == nil}
	if prev != nil {
		o, err := s.c.Bucket.Get(s.ctx, key, "", maxWitnessObject)
		if errors.Is(err, objstore.ErrNotFound) {
			return witness.ErrChanged
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(o.Data, prev) {
			return witness.ErrChanged
		}
		opts.IfMatch = o.ETag
	}
	_, err := s.c.Bucket.Put(s.ctx, key, next, opts)
	if errors.Is(err, objstore.ErrExists) || errors.Is(err, objstore.ErrModified) {
		return witness.ErrChanged
	}
	return err
}

// Refused implements witness.Store: the evidence is written once, locked
// as envelopes are.
func (s *bucketStore) Refused(origin string, evidence []byte) (string, error) {
	now := s.c.now()
	key := witnessKey(s.tenant, origin, "refused/"+now.UTC().Format("20060102T150405Z")+"-"+s.requestID+".json")
	opts := objstore.PutOptions{IfAbsent: true}
	if s.c.Retention > 0 {
		opts.RetainUntil = now.Add(s.c.Retention)
	}
	if _, err := s.c.Bucket.Put(s.ctx, key, evidence, opts); err != nil && !errors.Is(err, objstore.ErrExists) {
		return "", err
	}
	return key, nil
}

// pinLogKey returns the verifier of origin's ledger: the key pinned at
// the first checkpoint of the origin in tenant, which vkey must be.
func (c *Collector) pinLogKey(ctx context.Context, subj *Subject, origin, vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, refuse(400, "invalid_log_key", "%s %.120q: not a note verifier key (name+hash+base64): %v", delivery.HeaderLogKey, vkey, err)
	}
	if v.Name() != origin {
		return nil, refuse(400, "invalid_log_key", "%s is the key of %q, but the checkpoint is of %q", delivery.HeaderLogKey, v.Name(), origin)
	}
	key := witnessKey(subj.TenantID, origin, "log.json")
	rec := canon.Pretty(canon.ObjectValue(
		canon.Member{Key: "origin", Value: canon.StringValue(origin)},
		canon.Member{Key: "verifier_key", Value: canon.StringValue(vkey)},
		canon.Member{Key: "first_subject", Value: canon.StringValue(subj.ID)},
		canon.Member{Key: "pinned_at", Value: canon.StringValue(stamp(c.now()))},
	))
	_, err = c.Bucket.Put(ctx, key, rec, objstore.PutOptions{IfAbsent: true})
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, objstore.ErrExists) {
		return nil, err
	}
	o, err := c.Bucket.Get(ctx, key, "", maxWitnessObject)
	if err != nil {
		return nil, err
	}
	pinned, err := canon.Parse(o.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if k, _ := pinned.Get("verifier_key"); k.Str != vkey {
		return nil, refuse(403, "log_key_mismatch", "the ledger %s is witnessed here with the key %.120s, not %.120s: a new key needs a new ledger name", origin, k.Str, vkey)
	}
	return v, nil
}

// AddCheckpoint witnesses one ledger checkpoint sent by an enrolled
// subject: the request authenticated as an ingest is, the ledger's key
// pinned, and the checkpoint added to what the tenant's witness holds for
// its origin (witness.AddCheckpoint). It returns the witness's
// cosignature lines.
func (c *Collector) AddCheckpoint(ctx context.Context, req *IngestRequest, logKey string) ([]byte, error) {
	if c.Witness == nil {
		return nil, refuse(404, "witness_disabled", "this collector does not witness ledgers (nono-collect serve --witness-key)")
	}
	subj, err := c.authenticate(ctx, req, c.now())
	if err != nil {
		return nil, err
	}
	if !delivery.ValidUUID(req.Headers.RequestID) {
		return nil, refuse(400, "invalid_request_id", "%s %q: want a lower-case UUID", delivery.HeaderRequestID, req.Headers.RequestID)
	}
	add, err := witness.ParseAddRequest(req.Body)
	if err != nil {
		return nil, refuse(400, "invalid_request", "%v", err)
	}
	cp, err := checkpoint.ParseUnverified(add.Checkpoint)
	if err != nil {
		return nil, refuse(400, "invalid_checkpoint", "%v", err)
	}
	log, err := c.pinLogKey(ctx, subj, cp.Origin, logKey)
	if err != nil {
		return nil, err
	}
	store := &bucketStore{ctx: ctx, c: c, tenant: subj.TenantID, requestID: req.Headers.RequestID}
	w := c.Witness.With(store)
	res, err := w.AddCheckpoint(add.Checkpoint, log, add.OldSize, add.Proof)
	var conflict *witness.ConflictError
	var refused *witness.RefusedError
	switch {
	case err == nil:
		c.logf("witnessed %s for subject %s of tenant %s", res.Checkpoint.Describe(), subj.ID, subj.TenantID)
		return w.Cosignatures(res.Cosigned), nil
	case errors.As(err, &conflict):
		return nil, &SizeConflict{Size: conflict.Size, Message: err.Error()}
	case errors.As(err, &refused):
		c.logf("REFUSED a checkpoint of subject %s of tenant %s: %v", subj.ID, subj.TenantID, err)
		return nil, refuse(409, "ledger_rewritten", "%v", err)
	case errors.Is(err, checkpoint.ErrInvalid):
		return nil, refuse(403, "invalid_checkpoint", "%v", err)
	case errors.Is(err, witness.ErrUnexpectedProof):
		return nil, refuse(400, "invalid_request", "%v", err)
	}
	return nil, err
}

// SizeConflict is an add-checkpoint whose old size is not the size held:
// 409 with the size held, as tlog-witness answers it.
type SizeConflict struct {
	Size    uint64
	Message string
}

func (e *SizeConflict) Error() string { return e.Message }

func (c *Collector) serveWitness(w http.ResponseWriter, r *http.Request) {
	req := readSigned(w, r, witness.MaxAddRequest)
	if req == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	sigs, err := c.AddCheckpoint(ctx, req, r.Header.Get(delivery.HeaderLogKey))
	var conflict *SizeConflict
	switch {
	case errors.As(err, &conflict):
		body := fmt.Appendf(nil, "%d\n", conflict.Size)
		w.Header().Set("Content-Type", delivery.SizeType)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusConflict)
		w.Write(body)
	case err != nil:
		var rf *Refusal
		if !errors.As(err, &rf) {
			c.logf("add-checkpoint from %s: %v", req.Headers.Subject, err)
		}
		writeRefusal(w, err)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", fmt.Sprint(len(sigs)))
		w.WriteHeader(http.StatusOK)
		w.Write(sigs)
	}
}

// WitnessedLog is what the collector holds of one ledger: its pinned
// key, the latest checkpoint it co-signed and the evidence of every
// refusal.
type WitnessedLog struct {
	Tenant      string
	Origin      string
	VerifierKey string
	Latest      *checkpoint.Checkpoint // nil when none was accepted
	Refusals    []string               // keys of the evidence objects, oldest first
}

// Value is the log as `nono-collect witness list` prints it.
func (l *WitnessedLog) Value() canon.Value {
	size, root := canon.NullValue(), canon.NullValue()
	if l.Latest != nil {
		size, root = canon.UintValue(l.Latest.Size), canon.StringValue(merkle.Hex(l.Latest.Root))
	}
	refusals := make([]canon.Value, len(l.Refusals))
	for i, r := range l.Refusals {
		refusals[i] = canon.StringValue(r)
	}
	return canon.ObjectValue(
		canon.Member{Key: "tenant_id", Value: canon.StringValue(l.Tenant)},
		canon.Member{Key: "origin", Value: canon.StringValue(l.Origin)},
		canon.Member{Key: "verifier_key", Value: canon.StringValue(l.VerifierKey)},
		canon.Member{Key: "size", Value: size},
		canon.Member{Key: "root", Value: root},
		canon.Member{Key: "refusals", Value: canon.ArrayValue(refusals...)},
	)
}

// ListWitnessed reads the witness state of the bucket, under prefix
// (WitnessPrefix of a tenant, or of all).
func ListWitnessed(ctx context.Context, b Bucket, prefix string) ([]*WitnessedLog, error) {
	var out []*WitnessedLog
	byDir := map[string]*WitnessedLog{}
	var ferr error
	err := b.List(ctx, prefix, false, func(e objstore.Entry) bool {
		rest := strings.TrimPrefix(e.Key, WitnessPrefix(""))
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) != 3 {
			return true
		}
		dir := parts[0] + "/" + parts[1]
		l := byDir[dir]
		if l == nil {
			l = &WitnessedLog{Tenant: parts[0], Origin: parts[1]}
			byDir[dir] = l
			out = append(out, l)
		}
		switch name := parts[2]; {
		case strings.HasPrefix(name, "refused/"):
			l.Refusals = append(l.Refusals, e.Key)
		case name == "log.json" || name == "checkpoint":
			o, err := b.Get(ctx, e.Key, "", maxWitnessObject)
			if err != nil {
				ferr = err
				return false
			}
			if name == "checkpoint" {
				l.Latest, err = checkpoint.ParseUnverified(o.Data)
			} else {
				var v canon.Value
				if v, err = canon.Parse(o.Data); err == nil {
					origin, _ := v.Get("origin")
					key, _ := v.Get("verifier_key")
					l.Origin, l.VerifierKey = origin.Str, key.Str
				}
			}
			if err != nil {
				ferr = fmt.Errorf("%s: %w", e.Key, err)
				return false
			}
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	return out, err
}
