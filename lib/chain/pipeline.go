package chain

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"slices"

	"github.com/nono-audit/nono/lib/ndjson"
)

// The recorder and the verifier share one shape of concurrency: a reader
// goroutine cuts the input into batches of whole lines, worker goroutines
// do the per-line work that needs no context (parsing, canonical checks,
// leaf hashes) on several batches at once, and the caller consumes the
// batches strictly in input order for the one step that is sequential by
// nature (the chain). A fixed pool of batches bounds the memory in flight,
// whatever the length of the log.

// blockSize is how much one read asks for. A batch holds the lines of one
// read (more when a line spans reads), so this bounds a batch's size for
// ordinary lines.
const blockSize = 128 << 10

// firstRead is what a fresh batch's first read asks for. A batch's buffer
// starts this small and doubles up to blockSize as the input keeps it
// full, so a short stream (a session of a few events) touches a page or
// two, not whole blocks: each fresh page costs a page fault, which is much
// of the start of a short-lived stage.
const firstRead = 4 << 10

// lineRef locates one non-blank line inside a batch.
type lineRef struct {
	start, end int // offsets in batch.data, newline excluded
	num        int // 1-based physical line number
}

// batch is a run of input lines and what the workers made of them.
type batch[R any] struct {
	data  []byte
	lines []lineRef
	res   []R
	out   []byte // per-batch output space for workers
	// end is what ended the input after these lines: nil (more to come),
	// io.EOF, or an *ndjson.Error (truncated final line, line too long,
	// read error). A truncated final line is the last entry of lines and
	// its number is end's Line.
	end   error
	ready chan struct{}
}

// pipeline runs the reader and the workers; the caller ranges over
// ordered and hands every batch back with release.
type pipeline[R any] struct {
	ordered chan *batch[R]
	free    chan *batch[R]
	work    chan *batch[R]
	stop    chan struct{}
	maxLine int
	// Workers start as the reader finds them needed, up to maxWorkers:
	// one for the first batch, another whenever a batch finds them all
	// busy. A short session's stream, a few lines now and then, keeps
	// one worker (each costs a goroutine stack that parsing grows, and
	// its scratch space: page faults in a short-lived stage).
	startWorker func()
	started     int // by the reader only
	maxWorkers  int
}

// newPipeline starts reading r. process runs on worker goroutines, each
// with its own state from newWorker.
func newPipeline[R any, W any](r io.Reader, maxLine int, newWorker func() W, process func(W, *batch[R])) *pipeline[R] {
	workers := max(1, runtime.GOMAXPROCS(0))
	slots := 2*workers + 2
	p := &pipeline[R]{
		ordered:    make(chan *batch[R], slots),
		free:       make(chan *batch[R], slots),
		work:       make(chan *batch[R], slots),
		stop:       make(chan struct{}),
		maxLine:    maxLine,
		maxWorkers: workers,
	}
	for range slots {
		p.free <- &batch[R]{ready: make(chan struct{}, 1)}
	}
	p.startWorker = func() {
		go func() {
			w := newWorker()
			for b := range p.work {
				process(w, b)
				b.ready <- struct{}{}
			}
		}()
	}
	go p.read(r)
	return p
}

// next returns the next batch in input order, once its workers are done,
// or nil after the last one. wait is called first when no batch is queued,
// that is when the reader is waiting for input.
func (p *pipeline[R]) next(wait func()) *batch[R] {
	var b *batch[R]
	var ok bool
	select {
	case b, ok = <-p.ordered:
	default:
		if wait != nil {
			wait()
		}
		b, ok = <-p.ordered
	}
	if !ok {
		return nil
	}
	<-b.ready
	return b
}

// release returns a consumed batch to the pool, dropping buffers that a
// very long line made large.
func (p *pipeline[R]) release(b *batch[R]) {
	if cap(b.data) > 4*blockSize {
		b.data = nil
	}
	if cap(b.out) > 16*blockSize {
		b.out = nil
	}
	p.free <- b
}

// close stops the reader early and lets the workers finish in the
// background; the caller must not use the pipeline afterwards. A reader
// blocked in Read exits when that Read returns.
func (p *pipeline[R]) close() {
	close(p.stop)
	go func() {
		for b := range p.ordered {
			<-b.ready
		}
	}()
}

// read is the reader goroutine.
func (p *pipeline[R]) read(r io.Reader) {
	defer close(p.work)
	defer close(p.ordered)
	var carry []byte // an incomplete last line, moved to the next batch
	line := 0        // physical lines numbered so far
	for {
		var b *batch[R]
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		b.data = append(b.data[:0], carry...)
		b.lines, b.end = b.lines[:0], nil
		scanned := 0 // bytes of b.data known to hold no newline
		lineStart := 0
		for {
			if room := min(max(2*cap(b.data), firstRead), blockSize); cap(b.data)-len(b.data) < room/2 {
				b.data = slices.Grow(b.data, room)
			}
			n, err := r.Read(b.data[len(b.data):cap(b.data)])
			b.data = b.data[:len(b.data)+n]
			for {
				k := bytes.IndexByte(b.data[scanned:], '\n')
				if k < 0 {
					scanned = len(b.data)
					break
				}
				end := scanned + k
				line++
				if end-lineStart > p.maxLine {
					b.end = &ndjson.Error{Line: line, Err: fmt.Errorf("%w: more than %d bytes", ndjson.ErrTooLong, p.maxLine)}
					break
				}
				if !blank(b.data[lineStart:end]) {
					b.lines = append(b.lines, lineRef{start: lineStart, end: end, num: line})
				}
				scanned, lineStart = end+1, end+1
			}
			if b.end == nil && len(b.data)-lineStart > p.maxLine {
				b.end = &ndjson.Error{Line: line + 1, Err: fmt.Errorf("%w: more than %d bytes", ndjson.ErrTooLong, p.maxLine)}
			}
			if b.end == nil && err != nil {
				if err != io.EOF {
					b.end = &ndjson.Error{Line: line + 1, Err: err}
				} else if rest := b.data[lineStart:]; !blank(rest) {
					line++
					b.lines = append(b.lines, lineRef{start: lineStart, end: len(b.data), num: line})
					b.end = &ndjson.Error{Line: line, Err: ndjson.ErrTruncated}
				} else {
					b.end = io.EOF
				}
			}
			// Hand the batch on once a line ended in it (even a blank one)
			// or the input ended; keep reading into it while its first
			// line is still incomplete.
			if b.end != nil || lineStart > 0 {
				break
			}
		}
		if b.end == nil {
			carry = append(carry[:0], b.data[lineStart:]...)
			b.data = b.data[:lineStart]
		}
		select {
		case p.work <- b:
		case <-p.stop:
			return
		}
		// An idle worker takes the batch at once; one left queued means
		// every worker is busy (a batch of no lines, such as the end of
		// the input, is no work).
		if p.started == 0 || p.started < p.maxWorkers && len(b.lines) > 0 && len(p.work) > 0 {
			p.started++
			p.startWorker()
		}
		p.ordered <- b // never blocks: it has room for every batch
		if b.end != nil {
			return
		}
	}
}

func blank(line []byte) bool {
	for _, c := range line {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}
