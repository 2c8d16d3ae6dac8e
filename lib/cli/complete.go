package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// completeCommand, as a tool's first argument, asks it for the words
// that may follow the ones given (the last being the one typed so far):
// the shell completions of `nono completion bash|zsh|fish` call it.
const completeCommand = "__complete"

// complete prints, one a line, the subcommands or flags of the kong
// model that may complete the last of words, or an enum flag's values
// after that flag. It prints nothing where a file name or free text
// goes, so that the shell falls back to its own completion.
func complete(app *kong.Application, words []string, out io.Writer) int {
	cur := ""
	if len(words) > 0 {
		cur, words = words[len(words)-1], words[:len(words)-1]
	}
	node := app.Node
	var pending *kong.Flag // a flag whose value is the next word
	for _, w := range words {
		switch {
		case pending != nil:
			pending = nil
		case w == "--":
			return 0 // what follows is a command of the user's
		case strings.HasPrefix(w, "-"):
			if f := findFlag(node, w); f != nil && !strings.Contains(w, "=") && !f.IsBool() && !f.IsCounter() {
				pending = f
			}
		default:
			if child := findChild(node, w); child != nil {
				node = child
			}
		}
	}
	var cands []string
	switch {
	case pending != nil:
		if pending.Enum != "" {
			cands = pending.EnumSlice()
		}
	case strings.HasPrefix(cur, "-"):
		for _, group := range node.AllFlags(true) {
			for _, f := range group {
				cands = append(cands, "--"+f.Name)
			}
		}
	default:
		for _, c := range node.Children {
			if !c.Hidden && c.Type == kong.CommandNode {
				cands = append(cands, c.Name)
			}
		}
	}
	slices.Sort(cands)
	for _, c := range slices.Compact(cands) {
		if strings.HasPrefix(c, cur) {
			fmt.Fprintln(out, c)
		}
	}
	return 0
}

// findFlag is the flag of node or its parents that w names (--name,
// --name=value, -s).
func findFlag(node *kong.Node, w string) *kong.Flag {
	name, _, _ := strings.Cut(w, "=")
	for _, group := range node.AllFlags(false) {
		for _, f := range group {
			if name == "--"+f.Name || (f.Short != 0 && name == "-"+string(f.Short)) || slices.Contains(f.Aliases, strings.TrimLeft(name, "-")) {
				return f
			}
		}
	}
	return nil
}

// findChild is the subcommand of node named w.
func findChild(node *kong.Node, w string) *kong.Node {
	for _, c := range node.Children {
		if c.Type == kong.CommandNode && (c.Name == w || slices.Contains(c.Aliases, w)) {
			return c
		}
	}
	return nil
}
