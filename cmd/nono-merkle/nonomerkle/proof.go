package nonomerkle

import (
	"io"

	"github.com/nono-audit/nono/lib/merkle/logproof"
)

type proofCmd struct {
	Index uint64 `required:"" placeholder:"N" help:"Index of the leaf (0-based: the record's sequence)."`
	inputFlags
}

func (c *proofCmd) Run() error {
	return c.run(func(r io.Reader, src logproof.Source) ([]byte, error) {
		p, err := logproof.Inclusion(r, src, c.Index)
		if err != nil {
			return nil, err
		}
		return p.Encode(), nil
	})
}
