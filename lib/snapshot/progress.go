package snapshot

import (
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/progress"
)

// ProgressFunc starts a progress line for long work (cli.UI.Progress,
// which gives nil off a terminal or when silent); a nil ProgressFunc
// shows nothing.
type ProgressFunc func(progress.Options) *progress.Progress

// start begins a progress line for work whose size is known now.
func (f ProgressFunc) start(label string, files int, bytes int64) *progress.Progress {
	if f == nil {
		return nil
	}
	return f(progress.Options{Label: label, Files: int64(files), Bytes: bytes})
}

// walk is a progress line for a walk, which learns its size only once the
// tree has been read; done clears it.
func (f ProgressFunc) walk(label string) (p fstree.Progress, done func()) {
	if f == nil {
		return nil, func() {}
	}
	return fstree.ProgressLine(f, label)
}
