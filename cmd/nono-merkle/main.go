// Command nono-merkle computes Merkle roots and proofs over audit records,
// and filesystem tree roots.
package main

import "github.com/nono-audit/nono/lib/cli"

type CLI struct {
	Summary summaryCmd `cmd:"" default:"withargs" help:"Read records on stdin, print the integrity summary line."`
	FS      fsCmd      `cmd:"" name:"fs" help:"Hash files under tracked roots and print the filesystem Merkle root."`
}

func main() {
	cli.Main("nono-merkle", "Merkle roots, inclusion and consistency proofs over audit records; filesystem roots.", &CLI{})
}
