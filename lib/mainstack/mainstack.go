// Package mainstack gives the main goroutine a 32 KiB stack from the
// start, in one step.
//
// A goroutine starts on a 2 KiB stack and the runtime doubles it whenever
// a call would overflow it, copying the stack and adjusting every frame
// on it, which means decoding each function's tables from the read-only
// data. A tool's package initialisation and flag parsing take the main
// goroutine to 16 KiB: three such copies, each deeper in the calls than
// the last, at a time when none of those tables has been read yet. This
// package's init runs early (it imports only lib/confine, whose init must
// come first: the confining copy execs the command from there and never
// needs a larger stack) and calls a function whose frame asks for
// 16 KiB, so the runtime grows the stack once, with two frames on it, to
// the size the rest of the start needs. Nothing of the frame is touched:
// the stack's unused pages stay unmapped.
//
// Import it for its side effect (lib/cli does, for every tool).
package mainstack

// The confining copy of nono-run execs the command from lib/confine's
// init; importing it makes that init run before this one.
import _ "github.com/nono-audit/nono/lib/confine"

func init() { grow() }
