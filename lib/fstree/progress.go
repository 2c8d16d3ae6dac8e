package fstree

import "github.com/nono-audit/nono/lib/progress"

// ProgressLine is a Progress that draws a progress line started with
// start (cli.UI.Progress, which gives nil off a terminal or when silent)
// once the walk knows its size; done clears it. A nil start draws nothing.
func ProgressLine(start func(progress.Options) *progress.Progress, label string) (p Progress, done func()) {
	if start == nil {
		return nil, func() {}
	}
	l := &progressLine{start: start, label: label}
	return l, func() { l.p.Done() }
}

type progressLine struct {
	start func(progress.Options) *progress.Progress
	label string
	p     *progress.Progress
}

func (l *progressLine) Start(files int, bytes int64) {
	l.p = l.start(progress.Options{Label: l.label, Files: int64(files), Bytes: bytes})
}

func (l *progressLine) Add(files int, bytes int64) { l.p.Add(files, bytes) }
