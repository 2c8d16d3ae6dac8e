package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/witness"
)

// Collector serves the two endpoints of audit-delivery v1 over one bucket.
type Collector struct {
	Bucket    Bucket
	MaxSkew   time.Duration // how far a request's timestamp may be from the clock
	MaxBody   int64         // largest envelope accepted
	Retention time.Duration // Object Lock retention of stored objects; 0 when the bucket does not lock
	// SubjectCache is how long a subject read from the bucket is trusted
	// (a revocation takes that long to reach this collector).
	SubjectCache time.Duration
	// Witness, when set, witnesses the senders' ledger checkpoints
	// (WitnessPath): it co-signs with its key, and the state lives in
	// the bucket.
	Witness *witness.Witness
	Log     *log.Logger
	Now     func() time.Time

	once     sync.Once
	subjects subjectCache
	verifies sync.WaitGroup
	slots    chan struct{} // bounds concurrent verifications
}

func (c *Collector) init() {
	c.once.Do(func() {
		c.slots = make(chan struct{}, runtime.NumCPU())
		c.subjects.ttl = c.SubjectCache
	})
}

func (c *Collector) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Collector) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log.Printf(format, args...)
	}
}

// Handler routes the protocol's endpoints.
func (c *Collector) Handler() http.Handler {
	c.init()
	mux := http.NewServeMux()
	mux.HandleFunc(delivery.EnrollPath, c.serveEnroll)
	mux.HandleFunc(delivery.IngestPath, c.serveIngest)
	mux.HandleFunc(delivery.WitnessPath, c.serveWitness)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	return mux
}

// Wait blocks until the verifications started so far have finished.
func (c *Collector) Wait() { c.verifies.Wait() }

func (c *Collector) serveEnroll(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeRefusal(w, refuse(405, "method_not_allowed", "use POST"))
		return
	}
	body, err := readBody(r, delivery.MaxMessage)
	if err != nil {
		writeRefusal(w, err)
		return
	}
	req, err := delivery.ParseEnrollRequest(body)
	if err != nil {
		writeRefusal(w, refuse(400, "invalid_request", "%v", err))
		return
	}
	en, err := Enroll(r.Context(), c.Bucket, req, c.now())
	if err != nil {
		c.logf("enroll: %v", err)
		writeRefusal(w, err)
		return
	}
	c.logf("enrolled subject %s of tenant %s", en.SubjectID, en.TenantID)
	writeJSON(w, http.StatusOK, en.Encode())
}

// readSigned reads a signed request of at most max bytes, or answers
// the refusal and returns nil.
func readSigned(w http.ResponseWriter, r *http.Request, max int64) *IngestRequest {
	if r.Method != http.MethodPost {
		writeRefusal(w, refuse(405, "method_not_allowed", "use POST"))
		return nil
	}
	h, err := delivery.ReadHeaders(r.Header.Values)
	if err != nil {
		writeRefusal(w, refuse(401, "missing_header", "%v", err))
		return nil
	}
	body, err := readBody(r, max)
	if err != nil {
		writeRefusal(w, err)
		return nil
	}
	return &IngestRequest{Path: r.URL.Path, Headers: h, Body: body}
}

func (c *Collector) serveIngest(w http.ResponseWriter, r *http.Request) {
	req := readSigned(w, r, c.MaxBody)
	if req == nil {
		return
	}
	h := req.Headers
	rc, err := c.Ingest(r.Context(), req)
	if err != nil {
		c.logf("ingest %s from %s: %v", h.RequestID, h.Subject, err)
		writeRefusal(w, err)
		return
	}
	c.logf("accepted session %s as %s", rc.SessionID, rc.ObjectPath)
	writeJSON(w, http.StatusOK, rc.Encode())
}

// readBody reads at most max bytes of the request body.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, refuse(413, "too_large", "the body is %d bytes, more than the %d accepted", r.ContentLength, max)
	}
	var data []byte
	var err error
	if n := r.ContentLength; n >= 0 {
		// The announced size, read into a buffer of that size at once.
		// net/http stops the body at Content-Length, so nothing follows.
		data = make([]byte, n)
		_, err = io.ReadFull(r.Body, data)
	} else {
		data, err = io.ReadAll(io.LimitReader(r.Body, max+1))
	}
	if err != nil {
		return nil, refuse(400, "unreadable_body", "%v", err)
	}
	if int64(len(data)) > max {
		return nil, refuse(413, "too_large", "the body is more than the %d bytes accepted", max)
	}
	return data, nil
}

func writeRefusal(w http.ResponseWriter, err error) {
	var rf *Refusal
	if !errors.As(err, &rf) {
		rf = refuse(503, "storage_unavailable", "the collector could not reach its bucket; retry later")
	}
	writeJSON(w, rf.Status, delivery.ErrorBody(rf.Code, rf.Message))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// verifyLater verifies an accepted envelope in the background and
// records the verdict beside it.
func (c *Collector) verifyLater(key string, body []byte) {
	c.verifies.Add(1)
	go func() {
		defer c.verifies.Done()
		c.slots <- struct{}{}
		defer func() { <-c.slots }()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := c.recordVerdict(ctx, key, body, nil); err != nil {
			c.logf("verify %s: %v", key, err)
		}
	}()
}
