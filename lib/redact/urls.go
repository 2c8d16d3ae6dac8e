package redact

import "strings"

// strictURLs applies the URL rules upstream lacks: tokens used as user
// names, passwords holding / ? or #, secrets in webhook paths, and more
// query keys, also in fragments, in nested and percent-encoded URLs.
func (p *Policy) strictURLs(s string) string {
	if strings.Contains(s, "://") {
		s = p.urlAuthorities(s)
	}
	if strings.IndexByte(s, '?') >= 0 || strings.IndexByte(s, '#') >= 0 {
		s = p.urlPairs(s)
	}
	return s
}

// urlEnd: where a URL's path ends inside free text.
func urlPathEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '?', '#', ' ', '\t', '\r', '\n', '"', '\'', '`', '<', '>':
			return i
		}
	}
	return len(s)
}

func (p *Policy) urlAuthorities(s string) string {
	e := scanner{s: s}
	for cursor := 0; ; {
		j := strings.Index(s[cursor:], "://")
		if j < 0 {
			break
		}
		start := cursor + j + 3
		end := start + authorityEnd(s[start:])
		auth := s[start:end]
		hostStart := start
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			hostStart = start + at + 1
			user, _, hasPass := strings.Cut(auth[:at], ":")
			if user != "" && user != marker && looksLikeToken(user) {
				e.replace(start, start+len(user), marker)
			}
			_ = hasPass
		} else if pe := passwordWithDelimiters(s, start); pe > 0 {
			// user:pa/ss@host: the authority upstream saw ended inside
			// the password.
			colon := start + strings.IndexByte(s[start:], ':')
			if s[colon+1:pe] != marker {
				e.replace(colon+1, pe, marker)
			}
			end = pe + 1
			hostStart = end
			end += authorityEnd(s[end:])
		}
		pathEnd := end + urlPathEnd(s[end:])
		p.webhookPath(&e, s, hostStart, end, pathEnd)
		cursor = end
	}
	return e.result()
}

// passwordWithDelimiters finds "user:pass@host" at s[start:] where the
// password holds '/', '?' or '#' (so upstream's authority ended early), and
// returns the index of the '@' ending the password, or -1. The text
// between the first ':' and the first delimiter must not be a port.
func passwordWithDelimiters(s string, start int) int {
	wordEnd := start
	for wordEnd < len(s) && s[wordEnd] != ' ' && s[wordEnd] != '\t' && s[wordEnd] != '\n' &&
		s[wordEnd] != '\r' && s[wordEnd] != '"' && s[wordEnd] != '\'' {
		wordEnd++
	}
	word := s[start:wordEnd]
	colon := strings.IndexByte(word, ':')
	delim := strings.IndexAny(word, "/?#")
	if colon <= 0 || delim < 0 || colon > delim || allDigits(word[colon+1:delim]) {
		return -1
	}
	if strings.ContainsAny(word[:colon], "@/?#") {
		return -1
	}
	for k := len(word) - 1; k > delim; k-- {
		if word[k] == '@' && hostFollows(word[k+1:]) {
			return start + k
		}
	}
	return -1
}

// looksLikeToken: a user name that is really a credential: a known token
// format, or a long random-looking string.
func looksLikeToken(u string) bool {
	if u == "" {
		return false
	}
	if tokenEnd(u, 0) == len(u) {
		return true
	}
	return looksRandom(u, 16)
}

// looksRandom: at least min bytes of [A-Za-z0-9_-] (and '.' '~' '+' '/'
// '='), with letters and digits mixed.
func looksRandom(s string, min int) bool {
	if len(s) < min {
		return false
	}
	var letter, digit bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9':
			digit = true
		case c == '_' || c == '-' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=':
		default:
			return false
		}
	}
	return letter && digit
}

// webhookPath redacts the secret path segments of webhook URLs: Slack,
// Discord, Telegram bots, Microsoft Teams, Zapier, IFTTT, and any random-
// looking segment after a segment named token, key, secret, hooks, ….
func (p *Policy) webhookPath(e *scanner, s string, hostStart, pathStart, pathEnd int) {
	host := s[hostStart:pathStart]
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	host = asciiLower(host)
	if pathStart >= pathEnd || s[pathStart] != '/' {
		return
	}
	var segs [16][2]int // [start, end) of each path segment
	n := 0
	for i := pathStart + 1; i <= pathEnd && n < len(segs); {
		j := i + strings.IndexByte(s[i:pathEnd], '/')
		if j < i {
			j = pathEnd
		}
		segs[n] = [2]int{i, j}
		n++
		i = j + 1
	}
	seg := func(k int) string { return s[segs[k][0]:segs[k][1]] }
	redact := func(k int) {
		if k < n && segs[k][1] > segs[k][0] && seg(k) != marker && segs[k][0] >= e.done {
			e.replace(segs[k][0], segs[k][1], marker)
		}
	}
	switch {
	case host == "hooks.slack.com":
		if n >= 4 && seg(0) == "services" {
			redact(3)
		} else if n >= 2 {
			redact(n - 1)
		}
		return
	case host == "discord.com" || host == "discordapp.com" || strings.HasSuffix(host, ".discord.com"):
		for k := 0; k+2 < n; k++ {
			if seg(k) == "webhooks" {
				redact(k + 2)
				return
			}
		}
	case host == "api.telegram.org":
		for k := 0; k < n; k++ {
			if v := seg(k); strings.HasPrefix(v, "bot") {
				if c := strings.IndexByte(v, ':'); c > 3 && v[c+1:] != marker && c+1 < len(v) {
					e.replace(segs[k][0]+c+1, segs[k][1], marker)
				}
				return
			}
		}
	case strings.HasSuffix(host, "webhook.office.com") || host == "outlook.office.com":
		for k := 0; k+1 < n; k++ {
			if strings.EqualFold(seg(k), "IncomingWebhook") {
				redact(k + 1)
				return
			}
		}
	case host == "hooks.zapier.com":
		if n >= 4 && seg(0) == "hooks" {
			redact(3)
		}
		return
	case host == "maker.ifttt.com":
		for k := 0; k+1 < n; k++ {
			if seg(k) == "key" {
				redact(k + 1)
				return
			}
		}
	}
	for k := 0; k+1 < n; k++ {
		switch asciiLower(seg(k)) {
		case "token", "tokens", "key", "keys", "apikey", "api_key", "api-key", "secret",
			"secrets", "password", "access_token", "auth", "webhook", "webhooks", "hooks", "hook":
			if v := seg(k + 1); looksLikeToken(v) {
				redact(k + 1)
				k++
			}
		}
	}
}

// urlPairs redacts secret key=value pairs in queries and fragments: the
// Default rules' query keys (presigned URLs, OAuth, sessions), keys
// percent-decoded, pairs of nested URLs in values and of percent-encoded
// URLs (%3F, %26, %3D) included.
func (p *Policy) urlPairs(s string) string {
	e := scanner{s: s}
	for i := 0; i < len(s); i++ {
		if s[i] != '?' && s[i] != '#' {
			continue
		}
		end := i + 1
		for end < len(s) && !pairsStop(s[end]) {
			end++
		}
		if s[i] == '#' && strings.IndexByte(s[i+1:end], '=') < 0 {
			i = end - 1
			continue
		}
		p.pairs(&e, s, i+1, end)
		i = end - 1
	}
	return e.result()
}

func pairsStop(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', '<', '>':
		return true
	}
	return false
}

// sepAt reports a pair separator at s[i] ('&' ';' '?' '#', or the same
// percent-encoded) and its length.
func sepAt(s string, i int) (n int, encoded bool) {
	switch s[i] {
	case '&', ';', '?', '#':
		return 1, false
	case '%':
		if i+2 < len(s) {
			switch asciiLower(s[i+1 : i+3]) {
			case "26", "3b", "3f", "23":
				return 3, true
			}
		}
	}
	return 0, false
}

// eqAt reports a key/value separator at s[i]: '=' or "%3D".
func eqAt(s string, i int) int {
	if s[i] == '=' {
		return 1
	}
	if s[i] == '%' && i+2 < len(s) && (s[i+1:i+3] == "3D" || s[i+1:i+3] == "3d") {
		return 3
	}
	return 0
}

// pairs scans s[from:to] as key=value pairs.
func (p *Policy) pairs(e *scanner, s string, from, to int) {
	seg := from
	encodedSeg := false
	for k := from; k <= to; {
		n, enc := 0, false
		if k < to {
			n, enc = sepAt(s, k)
		}
		if k < to && n == 0 {
			k++
			continue
		}
		// s[seg:k] is one segment.
		for q := seg; q < k; q++ {
			m := eqAt(s, q)
			if m == 0 {
				continue
			}
			key := percentDecode(s[seg:q])
			if p.keyStrength(key, true) == notSecret {
				break
			}
			vs := q + m
			ve := k
			if !encodedSeg && m == 1 {
				// A plain value runs to a plain separator; encoded ones
				// and '?' may be part of it.
				ve = vs
				for ve < to && s[ve] != '&' && s[ve] != ';' && s[ve] != '#' {
					ve++
				}
			}
			if v := s[vs:ve]; !nothingToHide(v) && vs >= e.done {
				e.replace(vs, ve, marker)
			}
			if ve > k {
				k = ve
				n, enc = 0, false
				if k < to {
					n, enc = sepAt(s, k)
				}
			}
			break
		}
		if k >= to {
			return
		}
		encodedSeg = enc
		k += n
		seg = k
	}
}

// percentDecode decodes %XX escapes of a query key; anything malformed is
// kept as written.
func percentDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok := unhex(s[i+1]); ok {
				if l, ok := unhex(s[i+2]); ok {
					b = append(b, h<<4|l)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
