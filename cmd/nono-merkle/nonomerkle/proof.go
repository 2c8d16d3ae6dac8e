package nonomerkle

import (
	"io"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/merkle/logproof"
)

type proofCmd struct {
	Index uint64 `required:"" placeholder:"N" help:"Index of the leaf (0-based: the record's sequence)."`
	inputFlags
}

func (c *proofCmd) Run(ui *cli.UI) error {
	return c.run(ui, func(r io.Reader, src logproof.Source) ([]byte, *chain.Result, error) {
		p, err := logproof.Inclusion(r, src, c.Index)
		if err != nil {
			return nil, nil, err
		}
		return p.Encode(), nil, nil
	})
}
