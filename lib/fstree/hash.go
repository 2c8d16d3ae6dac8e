package fstree

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// readBufferSize is the scratch buffer of one hashing worker.
const readBufferSize = 256 << 10

func maxProcs() int { return runtime.GOMAXPROCS(0) }

// hashAll hashes every pending job with opts.Jobs workers, largest files
// first so that one big file does not finish alone at the end. The first
// hard error stops the remaining work.
func (w *walker) hashAll() error {
	order := make([]int, len(w.jobs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		sa, sb := w.jobs[a].st.size, w.jobs[b].st.size
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	var (
		next     atomic.Int64
		failed   atomic.Bool
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	workers := min(w.opts.Jobs, max(len(order), 1))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for !failed.Load() {
				k := int(next.Add(1) - 1)
				if k >= len(order) {
					return
				}
				j := &w.jobs[order[k]]
				if j.kind != jobLinkPath && buf == nil {
					buf = make([]byte, readBufferSize)
				}
				if err := w.hashOne(j, buf); err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
				if w.opts.Progress != nil && !j.cacheHit && j.kind != jobLinkPath {
					w.opts.Progress.Add(1, 0) // the bytes as they were read
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for i := range w.jobs {
		j := &w.jobs[i]
		if j.ok && !j.cacheHit && j.kind != jobLinkPath {
			w.tree.Hashed++
			w.tree.HashedBytes += j.result.Size
		}
	}
	return nil
}
