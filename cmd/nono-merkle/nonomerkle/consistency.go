package nonomerkle

import (
	"io"

	"github.com/nono-audit/nono/lib/merkle/logproof"
)

type consistencyCmd struct {
	OldSize uint64 `name:"old-size" required:"" placeholder:"N" help:"Number of leaves in the older tree (at least 1)."`
	inputFlags
}

func (c *consistencyCmd) Run() error {
	return c.run(func(r io.Reader, src logproof.Source) ([]byte, error) {
		p, err := logproof.Consistency(r, src, c.OldSize)
		if err != nil {
			return nil, err
		}
		return p.Encode(), nil
	})
}
