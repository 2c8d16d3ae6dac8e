package redact

import (
	"encoding/base64"
	"strings"
)

// Well-known credential formats, recognised wherever they appear. Each
// rule is a literal prefix and the characters and length of what follows
// it; a match must start at a word boundary and is extended to the end of
// the word, so no tail of a token survives.

type charClass uint8

const (
	classAlnum   charClass = iota // A-Z a-z 0-9
	classWord                     // A-Z a-z 0-9 _
	classURL64                    // A-Z a-z 0-9 _ -
	classHex                      // 0-9 a-f A-F
	classUpperNo                  // A-Z 0-9
	classB64                      // A-Z a-z 0-9 + / =
)

func (c charClass) has(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z':
		return c != classUpperNo && (c != classHex || b <= 'f')
	case 'A' <= b && b <= 'Z':
		return c != classHex || b <= 'F'
	case '0' <= b && b <= '9':
		return true
	case b == '_':
		return c == classWord || c == classURL64
	case b == '-':
		return c == classURL64
	case b == '+' || b == '/' || b == '=':
		return c == classB64
	}
	return false
}

type tokenRule struct {
	prefix string
	class  charClass
	min    int // characters of class required after the prefix
	exact  bool
}

var tokenRules = []tokenRule{
	// GitHub
	{"ghp_", classAlnum, 20, false}, {"gho_", classAlnum, 20, false},
	{"ghu_", classAlnum, 20, false}, {"ghs_", classAlnum, 20, false},
	{"ghr_", classAlnum, 20, false}, {"github_pat_", classWord, 20, false},
	// GitLab
	{"glpat-", classURL64, 16, false}, {"gldt-", classURL64, 16, false},
	{"glptt-", classURL64, 16, false}, {"glrt-", classURL64, 16, false},
	{"gloas-", classURL64, 16, false}, {"glcbt-", classURL64, 16, false},
	{"glimt-", classURL64, 16, false}, {"glagent-", classURL64, 16, false},
	{"glsoat-", classURL64, 16, false}, {"glffct-", classURL64, 16, false},
	// OpenAI, Anthropic and other sk- keys
	{"sk-ant-", classURL64, 1, false}, {"sk-proj-", classURL64, 1, false},
	{"sk-svcacct-", classURL64, 1, false}, {"sk-admin-", classURL64, 1, false},
	{"sk-or-", classURL64, 8, false}, {"sk-", classURL64, 20, false},
	// Stripe
	{"sk_live_", classAlnum, 8, false}, {"sk_test_", classAlnum, 8, false},
	{"rk_live_", classAlnum, 8, false}, {"rk_test_", classAlnum, 8, false},
	{"whsec_", classAlnum, 16, false},
	// AWS access key ids
	{"AKIA", classUpperNo, 16, true}, {"ASIA", classUpperNo, 16, true},
	{"ABIA", classUpperNo, 16, true}, {"ACCA", classUpperNo, 16, true},
	{"AGPA", classUpperNo, 16, true}, {"AIDA", classUpperNo, 16, true},
	{"AROA", classUpperNo, 16, true}, {"AIPA", classUpperNo, 16, true},
	{"ANPA", classUpperNo, 16, true}, {"ANVA", classUpperNo, 16, true},
	{"APKA", classUpperNo, 16, true},
	// Google
	{"AIza", classURL64, 30, false}, {"ya29.", classURL64, 20, false},
	{"1//0", classURL64, 20, false}, {"GOCSPX-", classURL64, 16, false},
	// Slack
	{"xoxb-", classURL64, 8, false}, {"xoxp-", classURL64, 8, false},
	{"xoxa-", classURL64, 8, false}, {"xoxr-", classURL64, 8, false},
	{"xoxs-", classURL64, 8, false}, {"xoxe-", classURL64, 8, false},
	{"xoxo-", classURL64, 8, false}, {"xapp-", classURL64, 8, false},
	// Hugging Face, npm, PyPI, RubyGems
	{"hf_", classAlnum, 20, false}, {"npm_", classAlnum, 20, false},
	{"pypi-", classURL64, 32, false}, {"rubygems_", classHex, 32, false},
	// DigitalOcean, Docker Hub, Databricks, Doppler
	{"dop_v1_", classHex, 32, false}, {"doo_v1_", classHex, 32, false},
	{"dor_v1_", classHex, 32, false}, {"dckr_pat_", classURL64, 16, false},
	{"dckr_oat_", classURL64, 16, false}, {"dapi", classHex, 32, false},
	{"dp.pt.", classAlnum, 20, false}, {"dp.st.", classURL64, 20, false},
	{"dp.sa.", classAlnum, 20, false}, {"dp.ct.", classAlnum, 20, false},
	// HashiCorp Vault
	{"hvs.", classURL64, 20, false}, {"hvb.", classURL64, 20, false},
	{"hvr.", classURL64, 20, false},
	// Shopify, Tailscale, Atlassian, Linear, Notion, Figma, Postman
	{"shpat_", classHex, 20, false}, {"shpss_", classHex, 20, false},
	{"shpca_", classHex, 20, false}, {"shppa_", classHex, 20, false},
	{"tskey-", classURL64, 10, false}, {"ATATT3", classB64, 20, false},
	{"lin_api_", classAlnum, 20, false}, {"ntn_", classAlnum, 20, false},
	{"secret_", classAlnum, 40, false}, {"figd_", classURL64, 20, false},
	{"PMAK-", classURL64, 20, false},
	// Grafana, Sentry, Supabase, New Relic, Pulumi, Mailgun
	{"glc_", classB64, 20, false}, {"glsa_", classWord, 20, false},
	{"sntrys_", classB64, 20, false}, {"sntryu_", classHex, 20, false},
	{"sbp_", classHex, 20, false}, {"NRAK-", classUpperNo, 20, false},
	{"pul-", classHex, 32, false}, {"key-", classHex, 32, true},
	// Replicate, Groq, Perplexity, xAI, Buildkite, CircleCI, Netlify,
	// Render, 1Password, Fly.io, age
	{"r8_", classAlnum, 20, false}, {"gsk_", classAlnum, 20, false},
	{"pplx-", classAlnum, 20, false}, {"xai-", classAlnum, 20, false},
	{"bkua_", classAlnum, 20, false}, {"CCIPAT_", classWord, 20, false},
	{"nfp_", classAlnum, 20, false}, {"rnd_", classAlnum, 20, false},
	{"ops_eyJ", classURL64, 20, false}, {"fo1_", classURL64, 20, false},
	{"fm2_", classB64, 20, false}, {"AGE-SECRET-KEY-1", classUpperNo, 20, false},
	{"SG.", classURL64, 16, false},
}

// rulesByByte indexes tokenRules by the first byte of their prefix.
var rulesByByte = func() (idx [256][]tokenRule) {
	for _, r := range tokenRules {
		idx[r.prefix[0]] = append(idx[r.prefix[0]], r)
	}
	return idx
}()

func isWordByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_'
}

// tokenEnd returns the end of a token starting at s[i] or -1: a known
// prefix, enough characters of its class, extended over the rest of the
// word.
func tokenEnd(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	for _, r := range rulesByByte[s[i]] {
		if !strings.HasPrefix(s[i:], r.prefix) {
			continue
		}
		j := i + len(r.prefix)
		k := j
		for k < len(s) && r.class.has(s[k]) {
			k++
		}
		if k-j < r.min || (r.exact && k-j != r.min) {
			continue
		}
		if r.exact && k < len(s) && isWordByte(s[k]) {
			continue
		}
		for k < len(s) && (isWordByte(s[k]) || s[k] == '-') {
			k++
		}
		// SendGrid and Discord-style keys are dotted: take the dotted
		// parts too.
		if r.prefix == "SG." {
			for k < len(s) && (classURL64.has(s[k]) || s[k] == '.') {
				k++
			}
		}
		return k
	}
	return -1
}

// scanner builds an edited copy of a string lazily: nothing is allocated
// until the first replacement.
type scanner struct {
	s    string
	b    []byte
	done int // s[:done] is accounted for in b
}

func (e *scanner) replace(start, end int, with string) {
	if e.b == nil {
		e.b = make([]byte, 0, len(e.s)+len(marker))
	}
	e.b = append(e.b, e.s[e.done:start]...)
	e.b = append(e.b, with...)
	e.done = end
}

// prevWord reports whether the output so far ends in a word byte; i is
// the current input position. A replacement ends in ']', not a word byte,
// so rescanning the output finds the same boundaries.
func (e *scanner) prevWord(i int) bool {
	if e.b != nil && i == e.done {
		return len(e.b) > 0 && isWordByte(e.b[len(e.b)-1])
	}
	return i > 0 && isWordByte(e.s[i-1])
}

func (e *scanner) result() string {
	if e.b == nil {
		return e.s
	}
	return string(append(e.b, e.s[e.done:]...))
}

// scrubTokens replaces every well-known token in s with the marker, and
// with aws set also 40-character AWS secret access keys. It reports
// whether it saw an AWS access key id.
func scrubTokens(s string, aws bool) (string, bool) {
	e := scanner{s: s}
	sawAWS := false
	for i := 0; i < len(s); {
		c := s[i]
		if c == '-' && strings.HasPrefix(s[i:], "-----BEGIN ") {
			if end, bodyStart, bodyEnd := privateKeyBlock(s, i); end > 0 {
				if s[bodyStart:bodyEnd] != marker {
					e.replace(bodyStart, bodyEnd, marker)
				}
				i = end
				continue
			}
		}
		if e.prevWord(i) || (c == '-' && i > 0 && s[i-1] == '-') {
			i++
			continue
		}
		if end := tokenEnd(s, i); end > 0 {
			if c == 'A' && end-i == 20 {
				sawAWS = true
			}
			e.replace(i, end, marker)
			i = end
			continue
		}
		if '0' <= c && c <= '9' {
			if start, end := telegramToken(s, i); end > 0 {
				e.replace(start, end, marker)
				i = end
				continue
			}
		}
		if c == 'e' {
			if end := jwtEnd(s, i); end > 0 {
				e.replace(i, end, marker)
				i = end
				continue
			}
		}
		if (c == 'M' || c == 'N' || c == 'O') && i+24 < len(s) {
			if end := discordToken(s, i); end > 0 {
				e.replace(i, end, marker)
				i = end
				continue
			}
		}
		if end, basic := credentialAfterScheme(s, i); end > 0 {
			i = end
			start := skipBlanks(s, i)
			if tokEnd := schemeCredentialEnd(s, start, basic); tokEnd > 0 {
				e.replace(start, tokEnd, marker)
				i = tokEnd
			}
			continue
		}
		if aws {
			if end := awsSecretKey(s, i); end > 0 {
				e.replace(i, end, marker)
				i = end
				continue
			}
		}
		if end := azureKey(s, i); end > 0 {
			e.replace(i, end, marker)
			i = end
			continue
		}
		// Skip the rest of the word: tokens start at word boundaries.
		i++
		for i < len(s) && isWordByte(s[i]) && isWordByte(s[i-1]) {
			i++
		}
	}
	out := e.result()
	if sawAWS && !aws {
		out, _ = scrubTokens(out, true)
	}
	return out, sawAWS
}

// privateKeyBlock finds "-----BEGIN … PRIVATE KEY…-----" at s[i] and the
// body after it, up to "-----END" or the end of s.
func privateKeyBlock(s string, i int) (end, bodyStart, bodyEnd int) {
	rest := s[i+len("-----BEGIN "):]
	close := strings.Index(rest, "-----")
	nl := strings.IndexAny(rest, "\r\n")
	if close < 0 || (nl >= 0 && nl < close) || close > 64 {
		return -1, 0, 0
	}
	if !strings.Contains(rest[:close], "PRIVATE KEY") {
		return -1, 0, 0
	}
	bodyStart = i + len("-----BEGIN ") + close + len("-----")
	if j := strings.Index(s[bodyStart:], "-----END"); j >= 0 {
		return bodyStart + j, bodyStart, bodyStart + j
	}
	return len(s), bodyStart, len(s)
}

// telegramToken matches a bot token "<8-10 digits>:<35 url64 chars>" and
// returns the span of its secret half.
func telegramToken(s string, i int) (int, int) {
	j := i
	for j < len(s) && '0' <= s[j] && s[j] <= '9' {
		j++
	}
	if n := j - i; n < 8 || n > 10 || j >= len(s) || s[j] != ':' {
		return -1, -1
	}
	k := j + 1
	for k < len(s) && classURL64.has(s[k]) {
		k++
	}
	if k-(j+1) < 30 {
		return -1, -1
	}
	return j + 1, k
}

// discordToken matches a Discord bot token: three url64 parts of 24+,
// 6 and 27+ characters joined by dots.
func discordToken(s string, i int) int {
	parts := [3]int{}
	k := i
	for p := range parts {
		start := k
		for k < len(s) && classURL64.has(s[k]) {
			k++
		}
		parts[p] = k - start
		if p < 2 {
			if k >= len(s) || s[k] != '.' {
				return -1
			}
			k++
		}
	}
	if parts[0] < 24 || parts[1] != 6 || parts[2] < 27 {
		return -1
	}
	return k
}

// jwtEnd matches a JSON Web Token (or JWE): base64url parts joined by
// dots, the first a JSON object ("eyJ"), at least two parts of 10+.
func jwtEnd(s string, i int) int {
	if !strings.HasPrefix(s[i:], "eyJ") {
		return -1
	}
	k, parts, long := i, 0, 0
	for {
		start := k
		for k < len(s) && classURL64.has(s[k]) {
			k++
		}
		parts++
		if k-start >= 10 {
			long++
		}
		if k+1 < len(s) && s[k] == '.' && classURL64.has(s[k+1]) {
			k++
			continue
		}
		if k < len(s) && s[k] == '.' && parts == 2 {
			k++ // an empty signature (alg "none")
		}
		break
	}
	if parts < 2 || long < 2 {
		return -1
	}
	return k
}

// awsSecretKey matches exactly 40 characters of [A-Za-z0-9/+] holding an
// upper-case letter, a lower-case letter and a digit or symbol, bounded by
// other characters.
func awsSecretKey(s string, i int) int {
	if i > 0 && (classB64.has(s[i-1])) {
		return -1
	}
	k := i
	var upper, lower, other bool
	for k < len(s) && k-i <= 40 && classB64.has(s[k]) && s[k] != '=' {
		c := s[k]
		switch {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		default:
			other = true
		}
		k++
	}
	if k-i != 40 || (k < len(s) && classB64.has(s[k])) || !upper || !lower || !other {
		return -1
	}
	return k
}

// azureKey matches an 88-character base64 key ending in "==" (Azure
// storage and Service Bus keys).
func azureKey(s string, i int) int {
	if i > 0 && classB64.has(s[i-1]) || len(s)-i < 88 {
		return -1
	}
	k := i
	for k < len(s) && k-i < 86 && classB64.has(s[k]) && s[k] != '=' {
		k++
	}
	if k-i != 86 || !strings.HasPrefix(s[k:], "==") || (k+2 < len(s) && classB64.has(s[k+2])) {
		return -1
	}
	return k + 2
}

// credentialAfterScheme matches the words Bearer and Basic (any case) at
// s[i], followed by a blank, and returns the index after the word.
func credentialAfterScheme(s string, i int) (end int, basic bool) {
	if s[i]|0x20 != 'b' {
		return -1, false
	}
	for _, w := range [...]string{"bearer", "basic"} {
		if len(s)-i > len(w) && strings.EqualFold(s[i:i+len(w)], w) {
			if n := s[i+len(w)]; n == ' ' || n == '\t' {
				return i + len(w), w == "basic"
			}
		}
	}
	return -1, false
}

func skipBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// schemeCredentialEnd returns the end of the credential after Bearer or
// Basic at s[start], or -1 when what follows is not one: too short, a
// variable reference ($TOKEN), the marker, an ordinary word, or for Basic
// something that is not base64 of "user:password".
func schemeCredentialEnd(s string, start int, basic bool) int {
	k := start
	var digitOrSym bool
	for k < len(s) {
		c := s[k]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			k++
			continue
		}
		if '0' <= c && c <= '9' || strings.IndexByte("._~+/=-", c) >= 0 {
			digitOrSym = true
			k++
			continue
		}
		break
	}
	tok := s[start:k]
	if basic {
		if len(tok) < 8 || !decodesToUserPass(tok) {
			return -1
		}
		return k
	}
	if len(tok) < 8 || (!digitOrSym && len(tok) < 20) {
		return -1
	}
	return k
}

func decodesToUserPass(tok string) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(tok); err == nil {
			return strings.IndexByte(string(b), ':') > 0
		}
	}
	return false
}
