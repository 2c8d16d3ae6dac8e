package fstree

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/canon"
)

// TargetMember is a symlink target as a JSON member: "target" when it is
// valid UTF-8, else "target_b64" with the standard base64 of its bytes (a
// target may be relative, so the "b64:" path form would be ambiguous).
func TargetMember(target string) canon.Member {
	if utf8.ValidString(target) {
		return canon.Member{Key: "target", Value: canon.StringValue(target)}
	}
	return canon.Member{Key: "target_b64", Value: canon.StringValue(base64.StdEncoding.EncodeToString([]byte(target)))}
}

// LineValue is one file of `nono-merkle fs --manifest`: path (EncodePath
// form), size, mode (full st_mode), mtime (epoch seconds), sha256, type,
// and for symlinks the target and whether only the target path was hashed.
func LineValue(f *File) canon.Value {
	m := []canon.Member{
		{Key: "path", Value: canon.StringValue(EncodePath(f.Path))},
		{Key: "size", Value: canon.IntValue(f.Size)},
		{Key: "mode", Value: canon.UintValue(uint64(f.Mode))},
		{Key: "mtime", Value: canon.IntValue(f.Mtime)},
		{Key: "sha256", Value: canon.StringValue(Hex(f.Hash))},
		{Key: "type", Value: canon.StringValue(f.Type.String())},
	}
	if f.Type == Symlink {
		m = append(m, TargetMember(f.Target))
		if f.TargetOnly {
			m = append(m, canon.Member{Key: "target_outside", Value: canon.BoolValue(true)})
		}
	}
	return canon.ObjectValue(m...)
}
