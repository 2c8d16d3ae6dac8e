package ship

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/checkpoint"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/witness"
)

// WitnessedFileName keeps, beside the ledger, the latest checkpoint the
// receiver witnessed, with its cosignature.
const WitnessedFileName = "ledger.witnessed"

// Witnessed is a checkpoint the receiver co-signed.
type Witnessed struct {
	Checkpoint *checkpoint.Checkpoint
	Cosigned   []byte // the checkpoint note with the receiver's cosignature lines
	Path       string // where it is kept
	Witness    string // the name on the cosignature
	Held       uint64 // the size the receiver held before
}

// ErrNoWitness is a receiver that does not witness ledgers (nono-collect
// without --witness-key, or another receiver of the protocol).
var ErrNoWitness = errors.New("the receiver does not witness ledger checkpoints")

// ErrNoCheckpoint is a ledger without a checkpoint to witness.
var ErrNoCheckpoint = errors.New("no checkpoint of the ledger")

// WitnessRefusedError is the receiver's refusal of the checkpoint: it
// holds one that the ledger no longer extends (the ledger was rewritten
// or cut since). It is a verdict (exit status 1).
type WitnessRefusedError struct{ Message string }

func (e *WitnessRefusedError) Error() string { return e.Message }
func (e *WitnessRefusedError) Verdict() bool { return true }

// WitnessLedger sends the ledger's latest checkpoint (ledger.checkpoint
// beside the ledger of auditRoot, signed with key) to the receiver to be
// witnessed, with the consistency proof from the size the receiver holds,
// and keeps the co-signed checkpoint as WitnessedFileName. The size held
// is first taken from the last witnessed checkpoint; when the receiver
// holds another (409, as C2SP tlog-witness answers), the request is made
// again once with a proof from that size.
func (c *Client) WitnessLedger(ctx context.Context, auditRoot string, key *checkpoint.Key, wait time.Duration) (*Witnessed, error) {
	cpPath := filepath.Join(auditRoot, checkpoint.FileName)
	cpNote, err := checkpoint.ReadFile(cpPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s (sign one with `nono audit checkpoint`)", ErrNoCheckpoint, cpPath)
	}
	if err != nil {
		return nil, err
	}
	cp, _, err := checkpoint.Open(cpNote, key.Verifier)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cpPath, err)
	}
	out := &Witnessed{Checkpoint: cp, Path: filepath.Join(auditRoot, WitnessedFileName)}
	if prev, err := checkpoint.ReadFile(out.Path); err == nil {
		if held, _, err := checkpoint.Open(prev, key.Verifier); err == nil && held.Origin == cp.Origin {
			out.Held = held.Size
		}
	}
	for attempt := 0; ; attempt++ {
		req := &witness.AddRequest{OldSize: out.Held, Proof: []merkle.Hash{}, Checkpoint: cpNote}
		if out.Held > 0 && out.Held < cp.Size {
			p, err := checkpoint.Consistency(auditRoot, out.Held, cp, wait)
			if err != nil {
				return nil, fmt.Errorf("the consistency proof from size %d: %w", out.Held, err)
			}
			req.Proof = p.Path
		}
		status, ctype, answer, err := c.addCheckpoint(ctx, req.Encode(), key.VKey)
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", cp.Describe(), err)
		}
		switch {
		case status == http.StatusOK:
			return out, out.keep(cpNote, answer, key)
		case status == http.StatusConflict && ctype == delivery.SizeType && attempt == 0:
			size, err := strconv.ParseUint(strings.TrimSuffix(string(answer), "\n"), 10, 64)
			if err != nil || size == out.Held {
				return nil, fmt.Errorf("witness %s: the receiver answered 409 with %.40q", cp.Describe(), answer)
			}
			out.Held = size
			continue
		}
		msg := fmt.Sprintf("the receiver refused %s: %s", cp.Describe(), refusal(status, answer))
		switch code, _ := delivery.ParseErrorBody(answer); {
		case code == "ledger_rewritten":
			return nil, &WitnessRefusedError{Message: msg}
		case status == http.StatusNotFound:
			return nil, fmt.Errorf("%w: %s", ErrNoWitness, msg)
		}
		return nil, errors.New(msg)
	}
}

// keep adds the receiver's cosignature lines to the checkpoint and keeps
// the result, once it still opens as the ledger's checkpoint.
func (w *Witnessed) keep(cpNote, sigs []byte, key *checkpoint.Key) error {
	if len(sigs) == 0 || !bytes.HasSuffix(sigs, []byte("\n")) {
		return errors.New("the receiver's answer holds no signature line")
	}
	cosigned := append(bytes.Clone(cpNote), sigs...)
	if _, _, err := checkpoint.Open(cosigned, key.Verifier); err != nil {
		return fmt.Errorf("the receiver's cosignature: %w", err)
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(string(sigs), "\u2014 "), " ")
	w.Cosigned, w.Witness = cosigned, name
	return atomicfile.WriteFile(w.Path, cosigned, 0o600)
}

// addCheckpoint sends one signed add-checkpoint request and returns the
// answer's status, content type and body.
func (c *Client) addCheckpoint(ctx context.Context, body []byte, vkey string) (int, string, []byte, error) {
	id, err := delivery.NewUUIDv7(c.Now())
	if err != nil {
		return 0, "", nil, err
	}
	h, err := delivery.SignRequest(c.Key, http.MethodPost, c.endpointPath(delivery.WitnessPath), c.State.SubjectID, id, body, c.Now())
	if err != nil {
		return 0, "", nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.State.URL+delivery.WitnessPath, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set(delivery.HeaderLogKey, vkey)
	h.Set(req.Header.Set)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, delivery.MaxMessage+1))
	if err != nil || len(data) > delivery.MaxMessage {
		return 0, "", nil, fmt.Errorf("read the answer: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), data, nil
}
