package cli

import "os"

// Paint returns an outcome word (VERIFIED, MISMATCH, PASS, FAIL, RUNNING,
// ...) in its colour when Stdout is a terminal, NO_COLOR is unset or
// empty and TERM is not "dumb": green for a pass, red for a failure,
// yellow for what is neither yet. Anything else, and every word written
// to a pipe or a file, comes back as it is, so colour never changes what
// a script reads.
func (u *UI) Paint(word string) string {
	code, ok := outcomeColors[word]
	if !ok || !u.colorOK() {
		return word
	}
	return "\x1b[" + code + "m" + word + "\x1b[0m"
}

// outcomeColors are the SGR codes of the outcome words.
var outcomeColors = map[string]string{
	"VERIFIED": "1;32", "PASS": "1;32", "OK": "1;32",
	"MISMATCH": "1;31", "FAIL": "1;31", "INVALID": "1;31", "DAMAGED": "1;31",
	"RUNNING": "1;33", "INCOMPLETE": "1;33",
}

// colorOK reports whether Stdout is a terminal that may show colour.
func (u *UI) colorOK() bool {
	if u == nil || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	w := u.Stdout
	if s, ok := w.(*stickyWriter); ok {
		w = s.w
	}
	f, ok := w.(*os.File)
	return ok && IsTerminal(f)
}
