// Command nono-ship sends finished sessions off the machine with
// audit-delivery v1: `nono audit export|sync|status` and `nono platform
// enroll|status|unenroll`.
package main

import "github.com/nono-audit/nono/cmd/nono-ship/nonoship"

func main() { nonoship.Main() }
