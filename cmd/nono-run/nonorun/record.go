package nonorun

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/snapshot"
	"github.com/nono-audit/nono/lib/streamhead"
	"github.com/nono-audit/nono/lib/supervise/plan"
)

// recordCLI is `nono run` in one process: nono-run plans the run itself
// and supervises it, while the recorder stages, started beside it by the
// wrapper, read its event stream (lib/streamhead names the session in the
// stream's first line) and the last of them signs the session and
// appends it to the ledger when the stream ends. See docs/RUN.md.
type recordCLI struct {
	planCLI
	EventFD     int `default:"3" placeholder:"N" help:"Write the session header and the raw audit events to this descriptor, for nono-redact --session-header | nono-chain --session-header | nono-merkle session --session-header."`
	RecorderPID int `name:"recorder-pid" placeholder:"PID" help:"The recorder stages' process (a child of this one, as the wrapper's exec makes it): wait for it after the session, so that nono exits only once the session is in the ledger, and fail if it did."`
}

// eventFD is the descriptor the wrapper gives the stages (its fd 3).
const eventFD = 3

func (c *recordCLI) Run() error {
	sigs, stop, err := prologue()
	if err != nil {
		return err
	}
	defer stop()
	p, err := c.plan()
	if err != nil {
		return err
	}
	switch {
	case p.DryRun:
		return nil
	case p.Rollback:
		os.RemoveAll(p.SessionDir)
		return cli.Usage("--rollback needs the nono wrapper, which takes the snapshots around nono-run")
	}
	run, err := c.supervisor(p)
	if err != nil {
		if p.Audit {
			os.RemoveAll(p.SessionDir)
		}
		return err
	}
	if !p.Audit {
		_, err := run.supervise(p.Command, sigs) // returns only on failure
		return err
	}
	return c.record(p, run, sigs)
}

// supervisor is the supervise mode the plan describes (its RunArgs, the
// flags the wrapper would give nono-run), so both ways run alike.
func (c *recordCLI) supervisor(p *plan.Plan) (*runCLI, error) {
	run := &runCLI{}
	parser, err := kong.New(run, kong.Name(self))
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, p.RunArgs...), "--event-fd="+fmt.Sprint(c.EventFD))
	if p.Audit {
		args = append(args, "--session-dir="+p.SessionDir)
	}
	if _, err := parser.Parse(append(args, "--", "command")); err != nil {
		return nil, fmt.Errorf("internal error: the plan's flags: %w", err)
	}
	return run, nil
}

// record runs the audited session: the baseline of --audit-integrity,
// the header, the supervised command, the end hashes; then it closes the
// stream, waits for the stages to finish the session, and reports.
func (c *recordCLI) record(p *plan.Plan, run *runCLI, sigs <-chan os.Signal) error {
	snap := snapshot.Options{
		SessionDir: p.SessionDir,
		Flags:      fstree.Flags{Exclude: c.RollbackExclude, Include: c.RollbackInclude, All: c.RollbackAll},
		SkipDirs:   c.SkipDir,
		Budget:     fstree.Budget{MaxEntries: 300000, MaxBytes: 2 << 30},
		Stderr:     os.Stderr,
		Silent:     p.Silent,
	}
	if p.FSIntegrity {
		if _, err := snapshot.Begin(snap); err != nil {
			// The command never ran: leave no half-made session behind.
			os.RemoveAll(p.SessionDir)
			return err
		}
	}
	head := &streamhead.Header{SessionDir: p.SessionDir, Integrity: p.Integrity, SignKey: p.SignKey, Ledger: true}
	if err := writeFull(c.EventFD, head.Encode()); err != nil {
		return fmt.Errorf("write the session header to fd %d: %w", c.EventFD, err)
	}
	out, err := run.supervise(p.Command, sigs)
	if err != nil {
		unix.Close(c.EventFD)
		c.waitRecorder()
		return err
	}
	failed := out.Record != nil
	if p.FSIntegrity {
		if _, err := snapshot.End(snap); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", self, err)
			failed = true
		}
	}
	// End of stream: the stages finish the session (and the last appends
	// it to the ledger, fsynced) before nono returns.
	unix.Close(c.EventFD)
	if !c.waitRecorder() {
		failed = true
	}
	status := out.ExitCode
	if failed {
		fmt.Fprintf(os.Stderr, "nono: session %s ran, but recording it failed (see above); its directory is %s\n", p.SessionID, p.SessionDir)
		if status == 0 {
			status = 1
		}
	} else if !p.Silent {
		fmt.Fprintf(os.Stderr, "nono session %s recorded in %s\n", p.SessionID, p.SessionDir)
	}
	syncSession(p.SyncArgs)
	return cli.Exit(status, nil)
}

// waitRecorder waits for the stages (when their PID was given) and
// reports whether they all succeeded.
func (c *recordCLI) waitRecorder() bool {
	if c.RecorderPID <= 0 {
		return true
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.RecorderPID, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: wait for the recorder (pid %d): %v\n", self, c.RecorderPID, err)
			return false
		}
		return ws.Exited() && ws.ExitStatus() == 0
	}
}

// writeFull writes b to fd, whole.
func writeFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// syncSession ships the finished session when the machine is enrolled
// (bounded; the outbox keeps the rest), with nono-ship from beside this
// program, as the wrapper finds the tools.
func syncSession(args []string) {
	if len(args) == 0 {
		return
	}
	ship := "nono-ship"
	if strings.Contains(os.Args[0], "/") {
		if p := filepath.Join(filepath.Dir(os.Args[0]), "nono-ship"); fileExists(p) {
			ship = p
		}
	}
	cmd := exec.Command(ship, append([]string{"sync"}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Run() // it reports its own failures; the session is recorded
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
