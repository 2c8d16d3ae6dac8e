package chain

import "fmt"

// Warnings are the notes a verifier prints about a valid log: what
// verified only thanks to a relaxed rule. Each is one line, without the
// log's name.
func (r *Result) Warnings() []string {
	if r == nil {
		return nil
	}
	var w []string
	if r.TruncatedTail {
		w = append(w, fmt.Sprintf("line %d: %s; verified the %d complete records before it", r.TruncatedLine, TruncatedMsg, r.EventCount))
	}
	if r.LenientCount > 0 {
		w = append(w, fmt.Sprintf("%d records accepted only in lenient mode (first on line %d)", r.LenientCount, r.LenientLines[0]))
	}
	if r.MissingEventJSON {
		w = append(w, "some records lack event_json; their leaves hash the re-encoded event")
	}
	return w
}
