package plan

// AppendQuoted appends s as one bash word that reads back as exactly s.
//
// Printable ASCII goes in single quotes, a quote as '\” (close, escaped
// quote, reopen). Anything else (control characters, newlines, bytes of
// 0x80 and above, valid UTF-8 or not) makes the whole word an ANSI-C
// $'...' string with those bytes as \xHH, so the output is plain ASCII
// and one line. That matters: in multibyte locales such as GBK or
// Shift_JIS a lead byte can swallow a following ' or \ into one
// character, and a raw byte string in single quotes could then end the
// quote early.
func AppendQuoted(dst []byte, s string) []byte {
	if !plain(s) {
		return appendANSIC(dst, s)
	}
	dst = append(dst, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			dst = append(dst, `'\''`...)
		} else {
			dst = append(dst, s[i])
		}
	}
	return append(dst, '\'')
}

// plain reports whether s is printable ASCII only.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

func appendANSIC(dst []byte, s string) []byte {
	dst = append(dst, "$'"...)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '\'':
			dst = append(dst, '\\', c)
		case c < 0x20 || c >= 0x7f:
			// Always two digits: bash reads at most two, so the next
			// character can never be taken as part of the escape.
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '\'')
}

// appendAssign appends `name=VALUE\n` with the value quoted.
func appendAssign(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, '=')
	return append(AppendQuoted(dst, value), '\n')
}

// appendFlag appends `name=1\n` or `name=0\n`.
func appendFlag(dst []byte, name string, on bool) []byte {
	dst = append(dst, name...)
	if on {
		return append(dst, "=1\n"...)
	}
	return append(dst, "=0\n"...)
}

// appendArray appends `name=('a' 'b')\n`.
func appendArray(dst []byte, name string, values []string) []byte {
	dst = append(dst, name...)
	dst = append(dst, "=("...)
	for i, v := range values {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = AppendQuoted(dst, v)
	}
	return append(dst, ")\n"...)
}
