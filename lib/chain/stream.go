package chain

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/ndjson"
)

// StreamOptions tune AppendFrom.
type StreamOptions struct {
	// MaxLine bounds one input event in bytes; 0 means ndjson.DefaultMaxLine.
	MaxLine int
}

// flushAt is the output size at which pending records are written even
// though more input is ready.
const flushAt = 512 << 10

// AppendFrom reads events, one JSON object a line, from in until EOF,
// canonicalizes each (lib/event's input rules) and appends its record.
//
// Canonicalization, leaf hashing and escaping run on one worker per CPU;
// records are written in input order. Pending records are written out
// before waiting for more input, so a reader tailing the output sees each
// record as soon as its event has arrived; while more input is already
// waiting, several whole records share one Write. A final line without a
// newline is taken as an event when it is a complete one.
//
// An invalid event stops the stream: every record before it has been
// written whole, and the returned *ndjson.Error names the input line.
func (r *Recorder) AppendFrom(in io.Reader, opts StreamOptions) error {
	if r.err != nil {
		return r.err
	}
	maxLine := opts.MaxLine
	if maxLine <= 0 {
		maxLine = ndjson.DefaultMaxLine
	}
	p := newPipeline(in, maxLine, newRecordWorker, (*recordWorker).process)
	out := r.buf[:0]
	defer func() { r.buf = out[:0] }()
	var werr error
	flush := func() {
		if werr == nil && len(out) > 0 {
			werr = r.write(out)
			out = out[:0]
		}
	}
	for {
		b := p.next(flush)
		if werr != nil {
			p.close()
			return werr
		}
		if b == nil {
			flush()
			return werr
		}
		for _, res := range b.res {
			if res.err != nil {
				flush()
				p.close()
				if werr != nil {
					return werr
				}
				return &ndjson.Error{Line: res.line, Err: res.err}
			}
			tail := b.out[res.tail[0]:res.tail[1]]
			if len(out) > 0 && len(out)+len(tail)+recordHeadMax > flushAt {
				flush()
			}
			out = r.appendHead(out, res.leaf)
			out = append(out, tail...)
		}
		end := b.end
		p.release(b)
		if end == nil {
			continue
		}
		flush()
		p.close()
		if werr != nil {
			return werr
		}
		var ne *ndjson.Error
		switch {
		case end == io.EOF || (errors.As(end, &ne) && errors.Is(ne.Err, ndjson.ErrTruncated)):
			return nil
		case ne != nil && errors.Is(ne.Err, ndjson.ErrTooLong):
			return ne
		}
		return fmt.Errorf("reading events: %w", end)
	}
}

// recordHeadMax is the longest record head appendHead writes.
const recordHeadMax = len(`{"sequence":18446744073709551615,"prev_chain":"","leaf_hash":"","chain_hash":""`) + 3*2*sha256.Size

// recordResult is a worker's output for one event line.
type recordResult struct {
	line int
	err  error
	leaf merkle.Hash
	tail [2]int // the record's tail in batch.out
}

type recordWorker struct {
	c      event.Canonicalizer
	ev     []byte
	h      hash.Hash
	domain []byte
	sum    []byte
}

func newRecordWorker() *recordWorker {
	return &recordWorker{h: sha256.New(), domain: []byte(eventDomain), sum: make([]byte, 0, sha256.Size)}
}

func (w *recordWorker) process(b *batch[recordResult]) {
	b.res = b.res[:0]
	// A record is its event twice (once escaped) plus about 300 bytes.
	b.out = slices.Grow(b.out[:0], 3*len(b.data)+400*len(b.lines))
	for _, l := range b.lines {
		res := recordResult{line: l.num}
		var err error
		w.ev, err = w.c.Append(w.ev[:0], b.data[l.start:l.end])
		if err != nil {
			res.err = err
			b.res = append(b.res, res)
			return // nothing after an invalid event is written
		}
		w.h.Reset()
		w.h.Write(w.domain)
		w.h.Write(w.ev)
		w.sum = w.h.Sum(w.sum[:0])
		copy(res.leaf[:], w.sum)
		start := len(b.out)
		b.out = appendTail(b.out, w.ev)
		res.tail = [2]int{start, len(b.out)}
		b.res = append(b.res, res)
	}
}
