package chain

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// lineWorker counts the lines it processed; workers counts the workers.
type lineWorker struct{ lines int }

// runPipeline consumes p, returning how many lines came through.
func runPipeline(p *pipeline[struct{}]) int {
	n := 0
	for b := p.next(nil); b != nil; b = p.next(nil) {
		n += len(b.lines)
		end := b.end
		p.release(b)
		if end != nil {
			break
		}
	}
	return n
}

// trickle hands out one line per Read, each only after the previous
// batch was processed, as a short session's stream arrives.
type trickle struct {
	lines     int
	processed chan struct{}
}

func (t *trickle) Read(b []byte) (int, error) {
	if t.lines == 0 {
		return 0, io.EOF
	}
	if t.processed != nil {
		<-t.processed
	}
	t.lines--
	return copy(b, "{}\n"), nil
}

func TestPipelineStartsWorkersOnDemand(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))

	t.Run("trickle keeps one", func(t *testing.T) {
		in := &trickle{lines: 20, processed: make(chan struct{}, 1)}
		in.processed <- struct{}{}
		p := newPipeline(in, 1<<20, func() *lineWorker { return &lineWorker{} },
			func(w *lineWorker, b *batch[struct{}]) {
				w.lines += len(b.lines)
				// Let the next line in once this batch is done and the
				// worker is back waiting for work.
				go func() {
					time.Sleep(time.Millisecond)
					in.processed <- struct{}{}
				}()
			})
		if n := runPipeline(p); n != 20 {
			t.Fatalf("%d lines, want 20", n)
		}
		if p.started != 1 {
			t.Errorf("%d workers started for a trickle, want 1", p.started)
		}
	})

	t.Run("busy starts all", func(t *testing.T) {
		line := "{" + strings.Repeat(" ", 1000) + "}\n"
		in := bytes.NewReader([]byte(strings.Repeat(line, 2000)))
		p := newPipeline(in, 1<<20, func() *lineWorker { return &lineWorker{} },
			func(w *lineWorker, b *batch[struct{}]) {
				w.lines += len(b.lines)
				time.Sleep(5 * time.Millisecond)
			})
		if n := runPipeline(p); n != 2000 {
			t.Fatalf("%d lines, want 2000", n)
		}
		if p.started != 4 {
			t.Errorf("%d workers started for a busy input, want 4", p.started)
		}
	})
}
