//go:build !amd64 && !arm64

package mainstack

// grow is a no-op where there is no assembly: the stack grows as usual.
func grow() {}
