package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/kong"
)

// manCommand, as a tool's first argument, prints its manual page (roff,
// section 1) generated from the kong model: `make man` builds them all.
const manCommand = "__man"

// writeMan prints the manual page of app, named name.
func writeMan(app *kong.Application, name string, out io.Writer) int {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	summary, detail, _ := strings.Cut(app.Help, "\n")
	p(".TH %s 1 \"\" %q \"nono manual\"\n", roff(strings.ToUpper(strings.ReplaceAll(name, " ", "-"))), versionText(name))
	p(".SH NAME\n%s \\- %s\n", roff(name), roff(strings.TrimSuffix(summary, ".")))
	p(".SH SYNOPSIS\n.B %s\n%s\n", roff(name), roff(synopsis(app.Node)))
	if d := strings.TrimSpace(detail); d != "" {
		p(".SH DESCRIPTION\n%s\n", roffText(d))
	}
	if flags := visibleFlags(app.Node.Flags); len(flags) > 0 {
		p(".SH OPTIONS\n")
		manFlags(&b, flags)
	}
	if leaves := app.Leaves(true); len(leaves) > 0 && !(len(leaves) == 1 && leaves[0] == app.Node) {
		p(".SH COMMANDS\n")
		for _, n := range leaves {
			p(".SS %s\n", roff(strings.TrimSpace(n.Path()+" "+synopsis(n))))
			if n.Help != "" {
				p("%s\n", roffText(n.Help))
			}
			if n.Detail != "" && n.Detail != n.Help {
				p(".PP\n%s\n", roffText(n.Detail))
			}
			manPositionals(&b, n)
			manFlags(&b, visibleFlags(n.Flags))
		}
	} else {
		manPositionals(&b, app.Node)
	}
	p(".SH EXIT STATUS\n")
	p("0 when what was checked is valid (or the work is done); 1 when it is invalid or was tampered with; " +
		"2 for unusable input or a usage error (a missing or unreadable file, input that is not what the tool reads, a bad flag).\n")
	p(".SH SEE ALSO\n.BR nono (1)\n")
	_, err := io.WriteString(out, b.String())
	if err != nil {
		return 2
	}
	return 0
}

// synopsis is a node's arguments and "[flags]".
func synopsis(n *kong.Node) string {
	var parts []string
	for _, a := range n.Positional {
		s := "<" + a.Name + ">"
		if a.IsSlice() {
			s += " ..."
		}
		if !a.Required {
			s = "[" + s + "]"
		}
		parts = append(parts, s)
	}
	if len(n.Children) > 0 && n.Type == kong.ApplicationNode {
		parts = append([]string{"<command>"}, parts...)
	}
	return strings.Join(append(parts, "[flags]"), " ")
}

func visibleFlags(flags []*kong.Flag) []*kong.Flag {
	var out []*kong.Flag
	for _, f := range flags {
		if !f.Hidden {
			out = append(out, f)
		}
	}
	return out
}

func manFlags(b *strings.Builder, flags []*kong.Flag) {
	for _, f := range flags {
		fmt.Fprintf(b, ".TP\n.B %s\n%s\n", roff(f.String()), roffText(f.Help))
	}
}

func manPositionals(b *strings.Builder, n *kong.Node) {
	for _, a := range n.Positional {
		fmt.Fprintf(b, ".TP\n.I %s\n%s\n", roff(a.Name), roffText(a.Help))
	}
}

// roff escapes text for one roff line: backslashes and hyphens.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	return strings.ReplaceAll(s, "-", `\-`)
}

// roffText escapes running text: a paragraph break per blank line, and
// lines that would start with a control character guarded.
func roffText(s string) string {
	lines := strings.Split(roff(s), "\n")
	for i, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			lines[i] = ".PP"
		case strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'"):
			lines[i] = `\&` + l
		case strings.HasPrefix(l, " "):
			lines[i] = ".br\n" + l
		}
	}
	return strings.Join(lines, "\n")
}
