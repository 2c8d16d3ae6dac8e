//go:build linux && !amd64 && !arm64

package capability

var native opens

var compat *opens
