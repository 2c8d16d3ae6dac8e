package collect

import (
	"context"
	"errors"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/objstore"
)

// Verdict statuses.
const (
	StatusVerified = "verified"
	StatusFailed   = "failed"
)

// recordVerdict verifies an accepted envelope with nothing but its bytes
// (chain, root, digest, metadata, bundle) and stores the verdict beside
// it, locked like the envelope, once.
func (c *Collector) recordVerdict(ctx context.Context, key string, body []byte, env *envelope.Envelope) error {
	if env == nil {
		var err error
		if env, err = envelope.Parse(body); err != nil {
			return err
		}
	}
	r := envelope.Verify(env, envelope.Options{})
	status := StatusVerified
	if !r.OK() {
		status = StatusFailed
	}
	v := canon.ObjectValue(
		canon.Member{Key: "ingest_id", Value: canon.StringValue(env.IngestID)},
		canon.Member{Key: "session_id", Value: canon.StringValue(env.SessionID)},
		canon.Member{Key: "object_path", Value: canon.StringValue(key)},
		canon.Member{Key: "object_sha256", Value: canon.StringValue(delivery.BodyDigest(body))},
		canon.Member{Key: "verified_at", Value: canon.StringValue(stamp(c.now()))},
		canon.Member{Key: "verifier", Value: canon.StringValue("nono-collect")},
		canon.Member{Key: "verification_status", Value: canon.StringValue(status)},
		canon.Member{Key: "result", Value: r.Value()},
	)
	opts := objstore.PutOptions{IfAbsent: true}
	if c.Retention > 0 {
		opts.RetainUntil = c.now().Add(c.Retention)
	}
	_, err := c.Bucket.Put(ctx, VerdictKey(key), canon.Pretty(v), opts)
	if errors.Is(err, objstore.ErrExists) {
		return nil
	}
	if err == nil {
		c.logf("verified %s: %s", key, status)
	}
	return err
}

// Sweep verifies every stored envelope that has no verdict yet: those a
// collector accepted and then died before verifying. Serving collectors
// run it once at start.
func (c *Collector) Sweep(ctx context.Context) (int, error) {
	var envelopes []string
	verdicts := map[string]bool{}
	err := c.Bucket.List(ctx, "", false, func(e objstore.Entry) bool {
		switch {
		case strings.HasPrefix(e.Key, ControlPrefix):
		case strings.HasSuffix(e.Key, verdictExt):
			verdicts[e.Key] = true
		default:
			if _, ok := ParseEnvelopeKey(e.Key); ok {
				envelopes = append(envelopes, e.Key)
			}
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, key := range envelopes {
		if verdicts[VerdictKey(key)] {
			continue
		}
		o, err := c.Bucket.Get(ctx, key, "", c.MaxBody)
		if err != nil {
			return n, err
		}
		if err := c.recordVerdict(ctx, key, o.Data, nil); err != nil {
			c.logf("sweep %s: %v", key, err)
			continue
		}
		n++
	}
	return n, nil
}
