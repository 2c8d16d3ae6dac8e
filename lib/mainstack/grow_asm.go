//go:build amd64 || arm64

package mainstack

// grow has a 16 KiB frame and does nothing (grow_amd64.s, grow_arm64.s).
func grow()
