package nonorun

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/beside"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/recorder"
	"github.com/nono-audit/nono/lib/snapshot"
	"github.com/nono-audit/nono/lib/streamhead"
	"github.com/nono-audit/nono/lib/supervise/plan"
)

// recordCLI is `nono run` in one process: nono-run plans the run itself
// and supervises it, while the recorder stages read its event stream
// (lib/streamhead names the session in the stream's first line) and the
// last of them signs the session and appends it to the ledger when the
// stream ends. nono-run starts the stages itself from --recorder (the
// pipeline the wrapper composes), or writes to --event-fd for stages
// started beside it (--recorder-pid). See docs/RUN.md.
type recordCLI struct {
	planCLI
	Recorder    *string `placeholder:"PIPELINE" xor:"recorder" help:"Start the recorder stages as this pipeline, PROGRAM [ARG...] | ... (no quoting; a program without / is found beside nono-run, else on PATH), and write the session header and the raw audit events to the first one's stdin instead of --event-fd."`
	EventFD     int     `default:"3" placeholder:"N" help:"Write the session header and the raw audit events to this descriptor, for nono-redact --session-header | nono-chain --session-header | nono-merkle session --session-header."`
	RecorderPID int     `name:"recorder-pid" xor:"recorder" placeholder:"PID" help:"The recorder stages' process (a child of this one, as the wrapper's exec makes it): wait for it after the session, so that nono exits only once the session is in the ledger, and fail if it did."`
}

func (c *recordCLI) Run() error {
	var stages []recorder.Stage
	if c.Recorder != nil {
		var err error
		if stages, err = recorder.Parse(*c.Recorder, beside.Dir()); err != nil {
			return cli.Usage("--recorder: %v", err)
		}
	}
	// The forwarded signals stay caught until the process exits: each
	// one's handler given back (signal.Stop) would cost a hand-shake with
	// the runtime's signal thread on the way out, after the session.
	sigs, _, err := prologue(c.NoAudit)
	if err != nil {
		return err
	}
	rec := &recording{fd: c.EventFD, pid: c.RecorderPID}
	if stages != nil {
		// The stages start now, beside the planning: they learn the
		// session from the stream's first line.
		env := launch.ScrubEnv(os.Environ(), []string{cli.ProgramEnv})
		if rec.pipeline, err = recorder.Start(stages, env, os.Stdout, os.Stderr); err != nil {
			return err
		}
		rec.fd = int(rec.pipeline.Stream().Fd())
		c.EventFD = rec.fd
	}
	p, err := c.plan()
	if err != nil {
		rec.finish()
		return err
	}
	switch {
	case p.DryRun:
		rec.finish()
		return nil
	case p.Rollback:
		rec.finish()
		os.RemoveAll(p.SessionDir)
		return cli.Usage("--rollback needs the nono wrapper, which takes the snapshots around nono-run")
	}
	run, err := c.supervisor(p)
	if err != nil {
		rec.finish()
		if p.Audit {
			os.RemoveAll(p.SessionDir)
		}
		return err
	}
	if !p.Audit {
		// Nothing to record: no stage outlives the exec.
		rec.finish()
		_, err := run.supervise(p.Command, sigs) // returns only on failure
		return err
	}
	return c.record(p, run, rec, sigs)
}

// supervisor is the supervise mode the plan describes (its RunArgs, the
// flags the wrapper would give nono-run), so both ways run alike.
func (c *recordCLI) supervisor(p *plan.Plan) (*runCLI, error) {
	run := &runCLI{EventFD: c.EventFD, planned: true}
	if err := run.decode(p.RunArgs); err != nil {
		return nil, fmt.Errorf("internal error: the plan's flags: %w", err)
	}
	if p.Audit {
		run.SessionDir = p.SessionDir
	}
	return run, nil
}

// record runs the audited session: the baseline of --audit-integrity,
// the header, the supervised command, the end hashes; then it closes the
// stream, waits for the stages to finish the session, and reports.
func (c *recordCLI) record(p *plan.Plan, run *runCLI, rec *recording, sigs <-chan os.Signal) error {
	snap := snapshot.Options{
		SessionDir: p.SessionDir,
		Flags:      fstree.Flags{Exclude: c.RollbackExclude, Include: c.RollbackInclude, All: c.RollbackAll},
		SkipDirs:   c.SkipDir,
		Budget:     fstree.Budget{MaxEntries: 300000, MaxBytes: 2 << 30},
		Stderr:     os.Stderr,
		Silent:     p.Silent,
		// The supervisor's session.json at the command's start, and the
		// last stage's at the stream's end, are the synced versions.
		RootsRewritten: true,
	}
	if p.FSIntegrity {
		if _, err := snapshot.Begin(snap); err != nil {
			// The command never ran: leave no half-made session behind.
			os.RemoveAll(p.SessionDir)
			return err
		}
	}
	head := &streamhead.Header{SessionDir: p.SessionDir, Integrity: p.Integrity, SignKey: p.SignKey, Ledger: true}
	if err := writeFull(rec.fd, head.Encode()); err != nil {
		rec.finish()
		return fmt.Errorf("write the session header to fd %d: %w", rec.fd, err)
	}
	// The header's Ledger promises the last stage's durable session.json.
	run.stageFinishes = true
	out, err := run.supervise(p.Command, sigs)
	if err != nil {
		rec.finish()
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
	if !rec.finish() {
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

// recording is where the events go and who records them: the stages
// nono-run started (--recorder), or a process started beside it that it
// waits for (--recorder-pid), or whatever reads --event-fd.
type recording struct {
	fd       int
	pipeline *recorder.Running
	pid      int
}

// finish ends the stream and waits for the stages, reporting whether
// they all succeeded (and on stderr which did not).
func (r *recording) finish() bool {
	if r.pipeline != nil {
		if _, err := r.pipeline.Wait(); err != nil {
			fmt.Fprintf(os.Stderr, "nono: %v\n", err)
			return false
		}
		return true
	}
	unix.Close(r.fd)
	if r.pid <= 0 {
		return true
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(r.pid, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: wait for the recorder (pid %d): %v\n", self, r.pid, err)
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
