package hugeheap

const (
	sysRead    = 0
	sysClose   = 3
	sysMadvise = 28
	sysOpenat  = 257
)

// pageSize is the base page size: always 4 KiB on amd64.
func pageSize() int { return 4096 }
