package audit

import (
	"testing"

	"github.com/nono-audit/nono/lib/session/sessiontest"
)

func BenchmarkVerifySession(b *testing.B) {
	root, e := sessiontest.Finished(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		v, err := VerifySession(e, VerifyOptions{AuditRoot: root})
		if err != nil || !v.OK() {
			b.Fatal(err, v.Problems)
		}
	}
}
