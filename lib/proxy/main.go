package proxy

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"github.com/nono-audit/nono/lib/proxyproc"
)

// Main is nono-run-proxy: the proxy of a session in proxy mode, started
// by nono-run's supervisor (lib/proxyproc has the protocol).
func Main() {
	// Like the supervisor: a command running as this user cannot open
	// /proc/<this>/fd and write events of its own into the stream.
	syscall.Syscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0)
	os.Exit(serve(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// serve runs the proxy until stop ends, writing its port and then its
// events to out; it returns the exit status.
func serve(args []string, stop io.Reader, out, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", proxyproc.Program, err)
		return 2
	}
	policy, err := proxyproc.ParseArgs(args)
	if err != nil {
		return fail(err)
	}
	var line []byte
	var writeErr error
	s, err := Start(Config{Policy: policy, Record: func(event []byte) {
		// Calls are serialised (Server.record); after a failed write
		// the events are lost, and the exit status says so.
		if writeErr == nil {
			line = append(append(line[:0], event...), '\n')
			_, writeErr = out.Write(line)
		}
	}})
	if err != nil {
		return fail(err)
	}
	if _, err := io.WriteString(out, strconv.Itoa(int(s.Port()))+"\n"); err != nil {
		s.Close()
		return fail(fmt.Errorf("write the port: %w", err))
	}
	io.Copy(io.Discard, stop) // until the supervisor closes it
	s.Close()
	if writeErr != nil {
		return fail(fmt.Errorf("write an event: %w", writeErr))
	}
	return 0
}
