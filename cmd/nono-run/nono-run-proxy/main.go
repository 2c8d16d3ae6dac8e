// Command nono-run-proxy is the filtering proxy of `nono run` in proxy
// mode, which nono-run starts from beside itself; it is not a command of
// its own. See lib/proxyproc and docs/NETWORK.md.
package main

import (
	"github.com/nono-audit/nono/lib/proxy"

	// Linked at its entry by the Makefile: the image is mapped before the
	// runtime starts.
	_ "github.com/nono-audit/nono/lib/prefault"
)

func main() { proxy.Main() }
