package redact

import "strings"

// Names the Default rules treat as secret beyond the policy's own sets.
// Everything here is stored lowercase and matched ignoring ASCII case.

// extraFlags are long flags whose value is a secret, beyond upstream's
// nine and beyond what secretName recognises by itself.
var extraFlags = map[string]valueKind{
	"--pass":            kindSecret,
	"--passwd":          kindSecret,
	"--pat":             kindSecret,
	"--otp":             kindSecret,
	"--totp":            kindSecret,
	"--mfa-code":        kindSecret,
	"--authkey":         kindSecret,
	"--oauth2-bearer":   kindSecret,
	"--sas":             kindSecret,
	"--creds":           kindUserPass,
	"--src-creds":       kindUserPass,
	"--dest-creds":      kindUserPass,
	"--registry-creds":  kindUserPass,
	"--proxy-user":      kindUserPass,
	"--from-literal":    kindAssignAll,
	"--docker-password": kindSecret,
}

// extraHeaders are header names whose value is a secret, beyond the
// policy's and beyond what secretName recognises.
var extraHeaders = set(
	"authentication", "x-honeycomb-team", "x-jfrog-art-api", "x-figma-token",
	"x-postmark-server-token", "x-goog-iap-jwt-assertion",
)

// extraQueryKeys are query (and fragment, form, connection-string) keys
// whose value is a secret: presigned URLs (S3 v2 and v4, GCS, Azure SAS,
// CloudFront), OAuth and session parameters.
var extraQueryKeys = set(
	"x-amz-signature", "x-amz-credential", "x-amz-security-token",
	"awsaccesskeyid", "signature", "x-goog-signature", "x-goog-credential",
	"sig", "policy", "key-pair-id", "jwt", "id_token", "refresh_token",
	"private_token", "auth", "pwd", "pass", "passwd", "api-key", "secret_key",
	"session", "sessionid", "session_id", "sid", "access-token", "auth_token",
	"authtoken", "client_assertion", "assertion", "code_verifier", "otp",
	"ticket", "oauth_token", "oauth_signature", "oauth_verifier",
	"oauth_token_secret", "hmac", "x-ms-signature", "sas", "apiKey",
	"access_key", "secret_access_key", "accountkey", "sharedaccesskey",
	"sharedaccesssignature", "password", "user_password", "pass_phrase",
	"private_key", "token_secret", "webhook_secret", "csrf_token",
)

// extraEnvVars are environment names whose value is a secret and that
// secretName does not recognise by their shape.
var extraEnvVars = set(
	"pgpassword", "mysql_pwd", "npm_config__auth", "docker_auth_config", "netrc",
)

func set(names ...string) *nameSet {
	s := newNameSet(len(names))
	for _, n := range names {
		s.add(asciiLower(n))
	}
	return &s
}

// nameComponents splits a flag, variable or key name into words: at every
// byte that is not an ASCII letter or digit, and at camelCase boundaries
// (keyStorePassword -> key store password, APIKey -> api key). The words
// are slices of low, the name ASCII-lowercased. Non-ASCII bytes separate
// words too, so a Unicode look-alike never spells a secret word.
func nameComponents(name, low string, buf []string) []string {
	comps := buf[:0]
	start := -1
	isLower := func(c byte) bool { return 'a' <= c && c <= 'z' }
	isUpper := func(c byte) bool { return 'A' <= c && c <= 'Z' }
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	flush := func(end int) {
		if start >= 0 && end > start {
			comps = append(comps, low[start:end])
		}
		start = -1
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isLower(c) && !isUpper(c) && !isDigit(c) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := name[i-1]
		// fooBar: boundary before B. APIKey: boundary before K (an upper
		// followed by a lower, after another upper).
		if isUpper(c) && (isLower(prev) || isDigit(prev)) {
			flush(i)
			start = i
		} else if isUpper(prev) && isUpper(c) && i+1 < len(name) && isLower(name[i+1]) {
			flush(i)
			start = i
		}
	}
	flush(len(name))
	return comps
}

// notSecretLast are last words that make a name describe a secret rather
// than hold one: its file, its length, its type, whether to ask for it.
var notSecretLast = set(
	"file", "files", "path", "paths", "dir", "directory", "name", "names", "id",
	"ids", "type", "types", "kind", "url", "uri", "urls", "endpoint", "host",
	"hostname", "port", "user", "username", "login", "email", "len", "length",
	"size", "count", "min", "max", "ttl", "expiry", "expires", "expiration",
	"expire", "timeout", "env", "var", "mode", "method", "provider", "helper",
	"store", "cmd", "command", "prompt", "stdin", "format", "version",
	"enabled", "enable", "disabled", "required", "source", "location", "region",
	"header", "headers", "policy", "scope", "scopes", "algorithm", "alg",
	"validity", "lifetime", "duration", "rotation", "label", "description",
	"field", "prefix", "suffix", "stdout", "output", "cache", "fd", "ref",
	"arn", "backend", "manager", "server", "audience", "issuer", "usage",
	"hint", "hints", "keyring", "agent", "age", "strength", "complexity",
	"reset", "changed", "set", "exists", "check", "verify", "mount", "engine",
	"fingerprint", "sha", "digest",
)

// notSecretFirst are first words of boolean flags about secrets.
var notSecretFirst = set(
	"no", "ask", "prompt", "use", "show", "require", "requires", "allow",
	"enable", "disable", "skip", "print", "generate", "save", "forget",
	"reset", "rotate", "with", "without", "read", "insecure", "list", "has",
	"is", "should", "validate", "check", "verify", "from",
)

// keyWords are single words that name a key holding a secret.
var keyWords = set(
	"apikey", "authkey", "secretkey", "accesskey", "privatekey", "masterkey",
	"signingkey", "encryptionkey", "licensekey", "accountkey", "sharedkey",
	"clientkey", "storagekey", "subscriptionkey", "hmackey", "appkey",
)

// notPassWords end in "pass" without being one.
var notPassWords = set("bypass", "compass", "overpass", "underpass", "surpass", "trespass", "encompass", "impass")

// nameStrength grades how sure a name is to hold a secret.
type nameStrength uint8

const (
	notSecret nameStrength = iota
	// weakSecret names (…_KEY, …_CREDENTIALS) often hold a file path
	// instead; a path-looking value is kept.
	weakSecret
	strongSecret
)

// secretName grades a flag, variable or key name by its words: it holds a
// secret when a word is or contains password/secret/token/passphrase, or
// it ends in key/auth/pass/pwd/sig/cookie/…, unless its last word says it
// only describes one (…_FILE, …_LENGTH, --no-…, --max-tokens).
func secretName(name string) nameStrength {
	if len(name) > 128 {
		return notSecret
	}
	var lowBuf [128]byte
	low := lowBuf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	var buf [16]string
	comps := nameComponents(name, string(low), buf[:])
	// Trailing numbers and versions (X-Hub-Signature-256, API_KEY_V2)
	// do not change what a name holds.
	for len(comps) > 1 && isVersionWord(comps[len(comps)-1]) {
		comps = comps[:len(comps)-1]
	}
	if len(comps) == 0 {
		return notSecret
	}
	last := comps[len(comps)-1]
	if notSecretLast.contains(last) {
		return notSecret
	}
	if notSecretFirst.contains(comps[0]) && len(comps) > 1 {
		return notSecret
	}
	strength := notSecret
	for i, c := range comps {
		isLast := i == len(comps)-1
		switch {
		case strings.Contains(c, "password") || strings.Contains(c, "passwd") ||
			strings.Contains(c, "passphrase") || strings.Contains(c, "secret"):
			return strongSecret
		case c == "token" || (strings.HasSuffix(c, "token") && c != "tokens"):
			return strongSecret
		case isLast && (c == "pass" || c == "pwd" || c == "pw" || c == "auth" ||
			c == "sig" || c == "signature" || c == "cookie" || c == "cookies" ||
			c == "pat" || c == "otp" || c == "totp" || c == "sas" || c == "bearer" ||
			c == "authorization" || c == "creds"):
			return strongSecret
		case isLast && strings.HasSuffix(c, "pass") && len(c) > 4:
			if !notPassWords.contains(c) {
				return strongSecret
			}
		case isLast && c == "key" && len(comps) > 1:
			strength = weakSecret
		case c == "credential" || c == "credentials":
			strength = weakSecret
		case keyWords.contains(c):
			return strongSecret
		}
	}
	return strength
}

func isVersionWord(c string) bool {
	if c == "" {
		return false
	}
	i := 0
	if c[0] == 'v' && len(c) > 1 {
		i = 1
	}
	for ; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}

// secretHeader reports whether the Default rules redact the value of the
// header name (trimmed): the policy's headers, the extra list, and names
// that look secret (Private-Token, X-Vault-Token, DD-API-KEY, …).
func (p *Policy) secretHeader(name string) bool {
	name = strings.TrimSpace(name)
	if name == "" || p.allowedName(name) {
		return false
	}
	if p.has(headers, name) || hasName(extraHeaders, name) {
		return true
	}
	if !isHeaderName(name) {
		return false
	}
	return secretName(name) != notSecret
}

// isHeaderName: an HTTP field name token, so that prose before a colon is
// not taken for a header.
func isHeaderName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// keyStrength grades a name found in free text before '=' or ':': a
// query or form key when queryLike, else an assignment or JSON key.
func (p *Policy) keyStrength(name string, queryLike bool) nameStrength {
	name = strings.TrimSpace(name)
	if name == "" || p.allowedName(name) {
		return notSecret
	}
	if queryLike && (p.has(queryKeys, name) || hasName(extraQueryKeys, name)) {
		return strongSecret
	}
	if p.has(envVars, name) || hasName(extraEnvVars, name) || p.has(flags, name) {
		return strongSecret
	}
	return secretName(name)
}

// secretAssignment reports whether NAME in a NAME=VALUE argument (an
// environment assignment, a --set key, a -D property) names a secret.
func (p *Policy) secretAssignment(name string) bool {
	return p.assignmentStrength(name) != notSecret
}

func (p *Policy) assignmentStrength(name string) nameStrength {
	name = strings.TrimSpace(name)
	if name == "" || p.allowedName(name) {
		return notSecret
	}
	if p.has(envVars, name) || hasName(extraEnvVars, name) || p.has(flags, name) {
		return strongSecret
	}
	return secretName(name)
}

// flagStrength grades a flag name (with its dashes) by the name rules.
// A bare --key or -k is too generic (curl's key file, S3's object key).
func (p *Policy) flagStrength(name string) nameStrength {
	body := strings.TrimLeft(name, "-")
	if len(body) < 3 || p.allowedName(name) {
		return notSecret
	}
	return secretName(body)
}
