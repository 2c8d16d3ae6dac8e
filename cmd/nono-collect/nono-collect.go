// Command nono-collect receives sessions shipped with audit-delivery v1
// and keeps them, verified, in an S3 bucket with Object Lock.
package main

import "github.com/nono-audit/nono/cmd/nono-collect/nonocollect"

func main() { nonocollect.Main() }
