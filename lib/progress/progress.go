// Package progress shows how long work is getting on: one status line on
// a terminal (files, bytes, rate, time left), redrawn a few times a
// second and cleared when the work is done. Commands get one from
// cli.UI.Progress, which gives nil off a terminal or when the user asked
// for silence, so logs and pipes never see it; a nil *Progress does
// nothing.
//
//	p := ui.Progress(progress.Options{Label: "snapshot", Files: n, Bytes: size})
//	defer p.Done()
//	... p.Add(1, written) ...
//
// A *Progress is safe for concurrent use.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nono-audit/nono/lib/human"
)

// Options describe the work.
type Options struct {
	Label string // what is being done: "snapshot", "verify"
	Files int64  // files to do; 0 when unknown (no file total shown)
	Bytes int64  // bytes to do; 0 when unknown (no byte total, no ETA)
	// Interval between redraws; 0 means 200 ms.
	Interval time.Duration
	// Delay before the first draw, so that quick work shows nothing; 0
	// means 500 ms.
	Delay time.Duration
}

// Progress counts work done and draws it.
type Progress struct {
	w     io.Writer
	opts  Options
	start time.Time
	files atomic.Int64
	bytes atomic.Int64
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once
	drawn bool // a line is on the screen (drawing goroutine only, then Done)
}

// Start begins drawing on w, which should be a terminal.
func Start(w io.Writer, opts Options) *Progress {
	if opts.Interval <= 0 {
		opts.Interval = 200 * time.Millisecond
	}
	if opts.Delay <= 0 {
		opts.Delay = 500 * time.Millisecond
	}
	p := &Progress{w: w, opts: opts, start: time.Now(), stop: make(chan struct{})}
	p.done.Add(1)
	go p.loop()
	return p
}

// Add counts files and bytes done.
func (p *Progress) Add(files int, bytes int64) {
	if p == nil {
		return
	}
	p.files.Add(int64(files))
	p.bytes.Add(bytes)
}

// Done stops drawing and clears the line. Call it before printing
// anything else to the same terminal.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		close(p.stop)
		p.done.Wait()
		if p.drawn {
			fmt.Fprint(p.w, "\r\x1b[K")
		}
	})
}

func (p *Progress) loop() {
	defer p.done.Done()
	select {
	case <-time.After(p.opts.Delay):
	case <-p.stop:
		return
	}
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		fmt.Fprint(p.w, "\r"+p.line(time.Now())+"\x1b[K")
		p.drawn = true
		select {
		case <-t.C:
		case <-p.stop:
			return
		}
	}
}

// line is the status line at now: "LABEL 1200/5000 files, 1.2 GB/3.0 GB,
// 80.0 MB/s, 0:25 left".
func (p *Progress) line(now time.Time) string {
	files, bytes := p.files.Load(), p.bytes.Load()
	elapsed := now.Sub(p.start).Seconds()
	var parts []string
	if p.opts.Files > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d files", files, p.opts.Files))
	} else if files > 0 {
		parts = append(parts, fmt.Sprintf("%d files", files))
	}
	if p.opts.Bytes > 0 {
		parts = append(parts, human.Size(bytes)+"/"+human.Size(p.opts.Bytes))
	} else {
		parts = append(parts, human.Size(bytes))
	}
	if elapsed > 0 && bytes > 0 {
		rate := float64(bytes) / elapsed
		parts = append(parts, human.Size(int64(rate))+"/s")
		if p.opts.Bytes > bytes {
			parts = append(parts, clock(time.Duration(float64(p.opts.Bytes-bytes)/rate*float64(time.Second)))+" left")
		}
	}
	return p.opts.Label + " " + strings.Join(parts, ", ")
}

// clock renders d as M:SS, or H:MM:SS from an hour on.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
