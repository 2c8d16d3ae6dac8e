// Package proxyproc runs the filtering proxy of proxy mode (lib/proxy)
// as a program of its own, nono-run-proxy, installed beside nono-run.
// The proxy needs net/http and crypto/tls, whose initialisation costs
// every program that links them a few milliseconds of page faults at
// start; most sessions have no proxy, so nono-run does not link it.
//
// The protocol between the supervisor (Start, here) and the proxy
// (lib/proxy's Main):
//
//   - argv: Program, then the policy's rules as they were written,
//     "--allow-domain=RULE" and "--deny-domain=RULE" (Args).
//   - stdout: the first line is the TCP port the proxy listens on at
//     127.0.0.1, in decimal; every further line is one network event,
//     a JSON object, written as the proxy records it.
//   - stdin: end of file asks the proxy to stop. It closes, records the
//     requests still open, and exits 0 once its last event is written.
//   - stderr: the supervisor's, for what went wrong.
package proxyproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/nono-audit/nono/lib/ndjson"
	"github.com/nono-audit/nono/lib/netrule"
)

// Program is the proxy's program name.
const Program = "nono-run-proxy"

// Args are the policy's rules as the proxy's arguments.
func Args(p *netrule.Policy) []string {
	var args []string
	for _, r := range p.Allow {
		args = append(args, netrule.AllowFlag+"="+r.Text)
	}
	for _, r := range p.Deny {
		args = append(args, netrule.DenyFlag+"="+r.Text)
	}
	return args
}

// ParseArgs is the policy Args describes.
func ParseArgs(args []string) (*netrule.Policy, error) {
	var allow, deny []string
	for _, a := range args {
		switch flag, rule, _ := strings.Cut(a, "="); flag {
		case netrule.AllowFlag:
			allow = append(allow, rule)
		case netrule.DenyFlag:
			deny = append(deny, rule)
		default:
			return nil, fmt.Errorf("unknown argument %q (want %s=RULE or %s=RULE)", a, netrule.AllowFlag, netrule.DenyFlag)
		}
	}
	return netrule.NewPolicy(allow, deny)
}

// Process is a running proxy.
type Process struct {
	proc   *os.Process
	stop   *os.File // the write end of its stdin
	port   uint16
	events chan error // the event reader's end: nil, or why it stopped early

	closeOnce sync.Once
	closeErr  error
}

// Start starts program (the proxy) with env and the policy, and waits
// until it listens. Each network event it records is passed to emit, one
// at a time, in the order the proxy wrote them, until Close returns.
func Start(program string, policy *netrule.Policy, env []string, emit func(event []byte)) (*Process, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	proc, err := os.StartProcess(program, append([]string{Program}, Args(policy)...), &os.ProcAttr{
		Env:   env,
		Files: []*os.File{inR, outW, os.Stderr},
	})
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("start %s: %w", Program, err)
	}
	p := &Process{proc: proc, stop: inW, events: make(chan error, 1)}
	lines := ndjson.NewReader(outR)
	first, err := lines.Next()
	if err == nil {
		var port uint64
		if port, err = strconv.ParseUint(string(first), 10, 16); err == nil && port == 0 {
			err = errors.New("port 0")
		}
		p.port = uint16(port)
	}
	if err != nil {
		outR.Close()
		p.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s exited before it listened (see above)", Program)
		}
		return nil, fmt.Errorf("%s: its port: %w", Program, err)
	}
	go func() {
		defer outR.Close()
		for {
			line, err := lines.Next()
			if err == io.EOF {
				p.events <- nil
				return
			}
			if err != nil {
				p.events <- fmt.Errorf("%s: its events: %w", Program, err)
				return
			}
			emit(line)
		}
	}()
	return p, nil
}

// Port is the TCP port the proxy listens on at 127.0.0.1.
func (p *Process) Port() uint16 { return p.port }

// URL is the proxy's address for the command's proxy variables.
func (p *Process) URL() string { return "http://127.0.0.1:" + strconv.Itoa(int(p.port)) }

// Close stops the proxy and waits until every event it recorded has been
// passed to emit and it has exited.
func (p *Process) Close() error {
	p.closeOnce.Do(func() {
		p.stop.Close()
		var readErr error
		if p.port != 0 { // the reader runs
			readErr = <-p.events
		}
		st, err := p.proc.Wait()
		switch {
		case err != nil:
			p.closeErr = fmt.Errorf("%s: %w", Program, err)
		case !st.Success():
			p.closeErr = fmt.Errorf("%s: %v", Program, st)
		default:
			p.closeErr = readErr
		}
	})
	return p.closeErr
}
