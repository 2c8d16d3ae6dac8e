// Command nono-audit browses and cleans up recorded audit sessions: the
// `nono audit list`, `nono audit show` and `nono audit cleanup` commands.
package main

import "github.com/nono-audit/nono/cmd/nono-audit/nonoaudit"

func main() { nonoaudit.Main() }
