package nonorun

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// decode sets c from flags in the form the plan writes them for the
// supervise mode (plan.Plan.RunArgs): "--name" for a switch and
// "--name=value" for the rest, a list flag once per value. In one
// process, `nono run` gives its supervisor the plan's flags this way
// rather than through a second kong model of runCLI, which costs a
// program start's worth of page faults; runargs_test.go checks that it
// reads every flag of runCLI exactly as kong does.
func (c *runCLI) decode(args []string) error {
	for _, arg := range args {
		name, value, valued := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if !strings.HasPrefix(arg, "--") {
			return fmt.Errorf("%q is not a flag", arg)
		}
		if sw := c.switchFlag(name); sw != nil {
			if valued {
				return fmt.Errorf("--%s takes no value", name)
			}
			*sw = true
			continue
		}
		if !valued {
			return fmt.Errorf("unknown flag --%s or it needs a value", name)
		}
		if err := c.valueFlag(name, value); err != nil {
			return fmt.Errorf("--%s=%s: %w", name, value, err)
		}
	}
	return nil
}

// switchFlag is the field of the switch called name, or nil.
func (c *runCLI) switchFlag(name string) *bool {
	switch name {
	case "allow-cwd":
		return &c.AllowCwd
	case "block-net":
		return &c.BlockNet
	case "allow-unsandboxed":
		return &c.AllowUnsandboxed
	case "capability-elevation":
		return &c.CapabilityElevation
	case "rollback":
		return &c.Rollback
	case "audit-integrity":
		return &c.AuditIntegrity
	case "no-audit":
		return &c.NoAudit
	case "silent":
		return &c.Silent
	case "with-parent":
		return &c.WithParent
	}
	return nil
}

// valueFlag sets the flag called name, which takes a value.
func (c *runCLI) valueFlag(name, value string) error {
	if l := c.listFlag(name); l != nil {
		*l = append(*l, value)
		return nil
	}
	switch name {
	case "allow-port", "allow-bind":
		port, err := strconv.ParseUint(value, 10, 16)
		if err != nil {
			return err
		}
		if name == "allow-port" {
			c.AllowPort = append(c.AllowPort, uint16(port))
		} else {
			c.AllowBind = append(c.AllowBind, uint16(port))
		}
	case "approve":
		c.Approve = value
	case "approve-timeout":
		d, err := time.ParseDuration(value)
		if err != nil {
			return err
		}
		c.ApproveTimeout = d
	case "event-fd":
		fd, err := strconv.Atoi(value)
		if err != nil {
			return err
		}
		c.EventFD = fd
	case "session-dir":
		c.SessionDir = value
	case "catch-signal":
		if value != "INT" && value != "QUIT" {
			return errors.New("must be one of INT, QUIT")
		}
		c.CatchSignal = append(c.CatchSignal, value)
	default:
		return errors.New("unknown flag")
	}
	return nil
}

// listFlag is the field of the list of strings called name, or nil.
func (c *runCLI) listFlag(name string) *[]string {
	switch name {
	case "allow":
		return &c.Allow
	case "read":
		return &c.Read
	case "write":
		return &c.Write
	case "allow-file":
		return &c.AllowFile
	case "read-file":
		return &c.ReadFile
	case "write-file":
		return &c.WriteFile
	case "allow-domain":
		return &c.AllowDomain
	case "deny-domain":
		return &c.DenyDomain
	case "allow-open-url":
		return &c.AllowOpenURL
	case "protect":
		return &c.Protect
	case "scrub-env":
		return &c.ScrubEnv
	}
	return nil
}
