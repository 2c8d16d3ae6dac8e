package nonomerkle

import (
	"io"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/merkle/logproof"
)

type consistencyCmd struct {
	OldSize uint64 `name:"old-size" required:"" placeholder:"N" help:"Number of leaves in the older tree (at least 1)."`
	inputFlags
}

func (c *consistencyCmd) Run(ui *cli.UI) error {
	return c.run(ui, func(r io.Reader, src logproof.Source) ([]byte, *chain.Result, error) {
		p, err := logproof.Consistency(r, src, c.OldSize)
		if err != nil {
			return nil, nil, err
		}
		return p.Encode(), nil, nil
	})
}
