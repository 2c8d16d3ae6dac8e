package proxy

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/nono-audit/nono/lib/netrule"
)

// ParseAuthority reads "host:port", "[v6]:port" or, when defaultPort is
// not 0, a bare host, and returns the host as rules match it
// (netrule.NormalizeHost) and the port.
func ParseAuthority(authority string, defaultPort uint16) (string, uint16, error) {
	if authority == "" {
		return "", 0, errors.New("no host")
	}
	host, portText, err := net.SplitHostPort(authority)
	if err != nil {
		if defaultPort == 0 || !missingPort(err) {
			return "", 0, fmt.Errorf("%q: want host:port", authority)
		}
		host, portText = authority, strconv.Itoa(int(defaultPort))
		if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			host = host[1 : len(host)-1]
		}
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 || portText[0] == '+' {
		return "", 0, fmt.Errorf("%q: port %q: want 1-65535", authority, portText)
	}
	h, err := netrule.NormalizeHost(host)
	if err != nil {
		return "", 0, fmt.Errorf("%q: %w", authority, err)
	}
	return h, uint16(port), nil
}

func missingPort(err error) bool {
	var ae *net.AddrError
	return errors.As(err, &ae) && ae.Err == "missing port in address"
}
