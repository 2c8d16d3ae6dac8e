package hugeheap

import "unsafe"

const (
	sysOpenat  = 56
	sysClose   = 57
	sysRead    = 63
	sysMadvise = 233
)

// pageSize is the base page size (4, 16 or 64 KiB on arm64), from the
// auxiliary vector's AT_PAGESZ; 0 when it cannot be read.
func pageSize() int {
	const atPagesz = 6
	var buf [512]byte
	auxv := buf[:readFile("/proc/self/auxv\x00", buf[:])]
	for len(auxv) >= 16 {
		tag := *(*uint64)(unsafe.Pointer(&auxv[0]))
		val := *(*uint64)(unsafe.Pointer(&auxv[8]))
		if tag == atPagesz {
			return int(val)
		}
		auxv = auxv[16:]
	}
	return 0
}
