package tests

import (
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nono-audit/nono/lib/envelope"
)

func init() {
	commands["envedit"] = cmdEnvEdit
}

// envedit FILE KEY OLD NEW: in the envelope FILE, replace the first OLD in
// the string value of KEY with NEW (OLD "^" prepends NEW; OLD "@first"
// changes the first character, NEW unused), keeping every other byte of
// the envelope's encoding. envedit FILE legacy drops
// the metadata and its digest (the early v1 form).
func cmdEnvEdit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 && !(len(args) == 2 && args[1] == "legacy") {
		ts.Fatalf("usage: envedit FILE KEY OLD NEW | envedit FILE legacy")
	}
	p := ts.MkAbs(args[0])
	data, err := os.ReadFile(p)
	ts.Check(err)
	e, err := envelope.Parse(data)
	ts.Check(err)
	if len(args) == 2 {
		e.Metadata, e.SessionDigest = nil, nil
		ts.Check(os.WriteFile(p, e.Encode(), 0o600))
		return
	}
	events := string(e.Events)
	field := map[string]*string{
		envelope.KeyEvents: &events, envelope.KeyMetadata: e.Metadata, envelope.KeySessionDigest: e.SessionDigest,
		envelope.KeyBundle: e.Bundle, envelope.KeyMerkleRoot: &e.MerkleRoot, envelope.KeySessionID: &e.SessionID,
	}[args[1]]
	if field == nil {
		ts.Fatalf("envedit: no string field %q in %s", args[1], args[0])
	}
	switch {
	case args[2] == "^":
		*field = args[3] + *field
	case args[2] == "@first" && *field != "":
		c := "0"
		if (*field)[0] == '0' {
			c = "1"
		}
		*field = c + (*field)[1:]
	default:
		if !strings.Contains(*field, args[2]) {
			ts.Fatalf("envedit: %q not in %s", args[2], args[1])
		}
		*field = strings.Replace(*field, args[2], args[3], 1)
	}
	e.Events = []byte(events)
	ts.Check(os.WriteFile(p, e.Encode(), 0o600))
}
