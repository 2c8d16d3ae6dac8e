//go:build !amd64 && !arm64

package sandbox

var native sysnums

var compat *sysnums
