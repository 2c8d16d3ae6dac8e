package merkle

import (
	"bytes"
	"strings"
	"testing"
)

var (
	h3 = strings.Repeat("03", 32)
	h4 = strings.Repeat("04", 32)
)

func TestParseInclusionProofRejects(t *testing.T) {
	good := `{"leaf_index":0,"leaf_count":2,"leaf_hash":"` + h3 + `","merkle_root":"` + h4 + `","siblings":[{"direction":"right","hash":"` + h4 + `"}]}`
	if _, err := ParseInclusionProof([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ in, msg string }{
		"duplicate key":   {strings.Replace(good, `"leaf_count":2`, `"leaf_count":2,"leaf_count":2`, 1), "duplicate"},
		"unknown key":     {strings.Replace(good, `"leaf_count":2`, `"leaf_count":2,"extra":1`, 1), `unknown field "extra"`},
		"missing key":     {strings.Replace(good, `"leaf_count":2,`, ``, 1), `missing field "leaf_count"`},
		"string index":    {strings.Replace(good, `"leaf_index":0`, `"leaf_index":"0"`, 1), "leaf_index: want a non-negative integer"},
		"negative index":  {strings.Replace(good, `"leaf_index":0`, `"leaf_index":-1`, 1), "leaf_index"},
		"float count":     {strings.Replace(good, `"leaf_count":2`, `"leaf_count":2.0`, 1), "leaf_count"},
		"huge count":      {strings.Replace(good, `"leaf_count":2`, `"leaf_count":18446744073709551616`, 1), "leaf_count"},
		"short hash":      {strings.Replace(good, `"`+h3+`"`, `"0303"`, 1), "leaf_hash: invalid hash"},
		"plus in hash":    {strings.Replace(good, `"`+h3+`"`, `"+3`+h3[2:]+`"`, 1), "leaf_hash: invalid hash"},
		"null root":       {strings.Replace(good, `"merkle_root":"`+h4+`"`, `"merkle_root":null`, 1), "merkle_root: want a hex string"},
		"bad direction":   {strings.Replace(good, `"right"`, `"up"`, 1), `siblings[0]: direction`},
		"sibling extra":   {strings.Replace(good, `"direction":"right"`, `"direction":"right","x":0`, 1), `siblings[0]: unknown field "x"`},
		"sibling not obj": {strings.Replace(good, `[{"direction":"right","hash":"`+h4+`"}]`, `["`+h4+`"]`, 1), "siblings[0]: want a JSON object"},
		"siblings object": {strings.Replace(good, `[{"direction":"right","hash":"`+h4+`"}]`, `{}`, 1), "siblings: want an array"},
		"trailing":        {good + "x", "trailing"},
		"two documents":   {good + good, "trailing"},
		"array":           {"[]", "want a JSON object"},
		"empty":           {"", "inclusion proof"},
	} {
		_, err := ParseInclusionProof([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, tc.msg)
		}
	}
}

func TestParseConsistencyProofRejects(t *testing.T) {
	good := `{"old_size":1,"new_size":2,"old_root":"` + h3 + `","new_root":"` + h4 + `","path":["` + h4 + `"]}`
	p, err := ParseConsistencyProof([]byte(" \n" + good + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Encode()) != good {
		t.Fatalf("re-encoded as %s", p.Encode())
	}
	for name, tc := range map[string]struct{ in, msg string }{
		"duplicate key": {strings.Replace(good, `"old_size":1`, `"old_size":1,"old_size":1`, 1), "duplicate"},
		"unknown key":   {strings.Replace(good, `"old_size":1`, `"old_size":1,"x":[]`, 1), `unknown field "x"`},
		"missing path":  {strings.Replace(good, `,"path":["`+h4+`"]`, ``, 1), `missing field "path"`},
		"path of ints":  {strings.Replace(good, `["`+h4+`"]`, `[1]`, 1), "path[0]: want a hex string"},
		"bad path hash": {strings.Replace(good, `["`+h4+`"]`, `["zz`+h4[2:]+`"]`, 1), "path[0]: invalid hash"},
		"bool size":     {strings.Replace(good, `"new_size":2`, `"new_size":true`, 1), "new_size"},
		"garbage":       {good + "]", "trailing"},
	} {
		_, err := ParseConsistencyProof([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, tc.msg)
		}
	}
}

func TestEmptyPathEncodesAsArray(t *testing.T) {
	p, err := proveConsistency(leaves(3), 3)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(p.Encode(), []byte(`"path":[]}`)) {
		t.Fatalf("%s", p.Encode())
	}
	if err := p.verifySelf(); err != nil {
		t.Fatal(err)
	}
	q, err := proveInclusion(leaves(1), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(q.Encode(), []byte(`"siblings":[]}`)) || q.verifySelf() != nil {
		t.Fatalf("%s", q.Encode())
	}
}

func FuzzParseInclusionProof(f *testing.F) {
	p, _ := proveInclusion(leaves(5), 2)
	f.Add(p.Encode())
	f.Add([]byte(`{"leaf_index":0,"leaf_count":1,"leaf_hash":"` + h3 + `","merkle_root":"` + h3 + `","siblings":[]}`))
	f.Add([]byte(`{"siblings":[{"direction":"left"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseInclusionProof(data)
		if err != nil {
			return
		}
		_ = p.verifySelf()
		again, err := ParseInclusionProof(p.Encode())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !bytes.Equal(again.Encode(), p.Encode()) {
			t.Fatal("encoding is not stable")
		}
	})
}

func FuzzParseConsistencyProof(f *testing.F) {
	p, _ := proveConsistency(leaves(7), 3)
	f.Add(p.Encode())
	f.Add([]byte(`{"old_size":0,"new_size":0,"old_root":"` + h3 + `","new_root":"` + h3 + `","path":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseConsistencyProof(data)
		if err != nil {
			return
		}
		_ = p.verifySelf()
		again, err := ParseConsistencyProof(p.Encode())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !bytes.Equal(again.Encode(), p.Encode()) {
			t.Fatal("encoding is not stable")
		}
	})
}

func FuzzParseHash(f *testing.F) {
	f.Add(h3)
	f.Add(strings.ToUpper(h3))
	f.Add("+" + h3[1:])
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(Hex(h), s) {
			t.Fatalf("%q parsed as %x", s, h)
		}
	})
}

// Arbitrary proofs never panic the verifiers, whatever the sizes.
func FuzzVerifyConsistency(f *testing.F) {
	f.Add(uint64(3), uint64(7), 2, uint8(0))
	f.Add(uint64(1)<<63, ^uint64(0), 70, uint8(1))
	f.Fuzz(func(t *testing.T, m, n uint64, pathLen int, seed uint8) {
		if pathLen < 0 || pathLen > 200 {
			return
		}
		path := make([]Hash, pathLen)
		for i := range path {
			path[i][0] = seed + uint8(i)
		}
		p := &ConsistencyProof{OldSize: m, NewSize: n, Path: path}
		_ = p.verifySelf()
		q := &InclusionProof{LeafIndex: m, LeafCount: n}
		for i := 0; i < pathLen; i++ {
			q.Siblings = append(q.Siblings, Sibling{Left: i%2 == int(seed)%2})
		}
		_ = q.verifySelf()
	})
}
