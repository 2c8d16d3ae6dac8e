package redact

import (
	"slices"
	"strings"
)

// strictArgv applies the Default rules' argv rules. orig is the vector
// this pass started from and up its upstream-scrubbed form (same length):
// the structure (which argument is whose value) is read from orig, the
// text is taken from up, so everything upstream redacted stays redacted.
func (p *Policy) strictArgv(orig, up []string) []string {
	return p.strictArgvDepth(orig, up, 0, false)
}

// argvWalk is the state of one left-to-right pass over an argv.
type argvWalk struct {
	p     *Policy
	orig  []string
	out   []string
	depth int
	aws   bool

	tool  *toolSpec
	words []string // positional words since the tool's name
	// triggerEnd holds, per positional rule of the tool, the index in
	// words of the rule's last trigger word, or untriggered.
	triggerEnd []int
	assignAll  bool // after a secret-store subcommand
	batch      bool // the tool's batch flag was given
	lastPos    int  // index in argv of the last positional word

	wholeAssign   bool      // the next argument is one NAME=VALUE (docker -e)
	pending       valueKind // the next argument is the value of a secret flag
	pendingPolicy bool      // … of a flag on the policy's list
	headerNext    bool      // the next argument is a header line (-H)
}

func (p *Policy) strictArgvDepth(orig, up []string, depth int, aws bool) []string {
	w := &argvWalk{p: p, orig: orig, out: slices.Clone(up), depth: depth, aws: aws || mentionsAWS(orig), lastPos: -1}
	for i := range orig {
		w.arg(i)
		if o := w.out[i]; o != marker {
			w.out[i] = p.strictText(o, depth, w.aws)
		}
	}
	w.finish()
	return w.out
}

// mentionsAWS: the argv deals with AWS, so a 40-character secret access
// key may appear bare.
func mentionsAWS(argv []string) bool {
	for _, a := range argv {
		if a == "aws" || strings.HasSuffix(a, "/aws") || strings.Contains(a, "AKIA") ||
			strings.Contains(a, "ASIA") || strings.Contains(a, "AWS_") || strings.Contains(a, "aws_") {
			return true
		}
	}
	return false
}

// looksLikeFlag: an argument a secret flag must not swallow.
func looksLikeFlag(a string) bool {
	return len(a) > 1 && a[0] == '-' && !('0' <= a[1] && a[1] <= '9')
}

// secretFlagKind returns how the value of the long (or single-dash long)
// flag name is redacted, or kindNone.
func (w *argvWalk) secretFlagKind(name string) valueKind {
	p := w.p
	if p.has(flags, name) {
		return kindPolicy
	}
	name = strings.TrimSpace(name)
	if p.allowedName(name) || !looksLikeFlag(name) {
		return kindNone
	}
	lower := asciiLower(name)
	if t := w.tool; t != nil {
		if r, ok := t.long[lower]; ok && r.applies(w.words) {
			return r.kind
		}
	}
	if k, ok := extraFlags[lower]; ok {
		return k
	}
	if w.tool == nil && (lower == "--user" || lower == "-u") {
		return kindUserPassLoose
	}
	if len(name) == 2 {
		return kindNone
	}
	switch p.flagStrength(name) {
	case strongSecret:
		return kindSecret
	case weakSecret:
		return kindWeak
	}
	return kindNone
}

func (w *argvWalk) isSecretFlag(a string) bool {
	name, _, _ := strings.Cut(a, "=")
	return w.secretFlagKind(name) != kindNone
}

// arg handles argument i.
func (w *argvWalk) arg(i int) {
	a, o := w.orig[i], w.out[i]
	whole := w.wholeAssign
	w.wholeAssign = false
	if w.pending != kindNone {
		k, fromPolicy := w.pending, w.pendingPolicy
		w.pending, w.pendingPolicy = kindNone, false
		switch {
		case w.isSecretFlag(a):
			// Another secret flag, not this one's value (--token --token x).
		case o == marker:
			return
		case looksLikeFlag(a) && !fromPolicy:
		default:
			w.out[i] = w.p.applyKind(k, o)
			return
		}
	}
	if w.headerNext {
		w.headerNext = false
		if !w.isSecretFlag(a) {
			return // upstream's header rule ran; strictText follows
		}
	}
	if looksLikeFlag(strings.TrimSpace(a)) {
		w.flag(i, a, o)
		return
	}
	w.word(i, a, o, whole)
}

func (w *argvWalk) flag(i int, a, o string) {
	name, _, hasEq := strings.Cut(a, "=")
	// The current tool's short flags come first: mysql -pS3cret is -p
	// with a value, whatever its letters spell.
	if t := w.tool; t != nil && !t.singleDash && len(a) > 1 && a[1] != '-' {
		if r, ok := t.short[a[1]]; ok && r.applies(w.words) && !w.p.allowedName(a[:2]) {
			w.shortCluster(i, a, o)
			return
		}
	}
	// A single-dash word (-token, -storepass) is a flag name, but mixed
	// case after one dash and no '=' (-pS3cretPw) is a short flag with its
	// value attached, whatever its letters spell.
	k := kindNone
	if trimmed := strings.TrimSpace(a); hasEq || trimmed[1] == '-' || asciiLower(name) == name {
		k = w.secretFlagKind(name)
	}
	if k != kindNone {
		switch {
		case k == kindPolicy && !hasEq:
			w.pending, w.pendingPolicy = kindSecret, true
		case k == kindPolicy:
		case hasEq:
			oname, oval, _ := strings.Cut(o, "=")
			w.out[i] = oname + "=" + w.p.applyKind(k, oval)
		default:
			w.pending = k
		}
		return
	}
	if isHeaderFlag(a) {
		w.headerNext = true
		return
	}
	if t := w.tool; t != nil && slices.Contains(t.envFlags, name) {
		if !hasEq {
			w.wholeAssign = true
			return
		}
		oname, oval, _ := strings.Cut(o, "=")
		if v := w.assignment(oval); v != oval {
			w.out[i] = oname + "=" + v
		}
		return
	}
	if hasEq && isHeaderFlag(name) {
		oname, oval, _ := strings.Cut(o, "=")
		w.out[i] = oname + "=" + w.p.strictHeaderLine(oval)
		return
	}
	if hasEq {
		// --env=API_KEY=x, -var=db_password=x, --set=a.password=x
		oname, oval, _ := strings.Cut(o, "=")
		if v := w.assignment(oval); v != oval {
			w.out[i] = oname + "=" + v
		}
		return
	}
	if len(a) > 2 && a[1] != '-' {
		// -HAuthorization: Bearer x (curl's attached -H)
		if a[1] == 'H' && strings.HasPrefix(o, "-H") && w.p.secretHeader(headerName(o[2:])) {
			w.out[i] = "-H" + w.p.strictHeaderLine(o[2:])
			return
		}
	}
	w.shortCluster(i, a, o)
	if t := w.tool; t != nil && t.batchFlag != 0 && len(a) > 1 && a[1] != '-' && strings.IndexByte(a[1:], t.batchFlag) >= 0 {
		w.batch = true
	}
}

func headerName(line string) string {
	name, _, _ := strings.Cut(line, ":")
	return name
}

// shortCluster handles the current tool's short flags: -pSECRET, -p SECRET,
// and clusters of value-less flags before one (-su user:pass).
func (w *argvWalk) shortCluster(i int, a, o string) {
	t := w.tool
	if t == nil || len(a) < 2 || a[1] == '-' || (t.singleDash && len(a) != 2) {
		return
	}
	for j := 1; j < len(a); j++ {
		r, ok := t.short[a[j]]
		if ok && r.applies(w.words) && !w.p.allowedName("-"+a[j:j+1]) {
			if j+1 == len(a) {
				if !r.attachedOnly {
					w.pending = r.kind
				}
				return
			}
			prefix := a[:j+1]
			if !strings.HasPrefix(o, prefix) {
				o = a
			}
			v := o[j+1:]
			if v[0] == '=' {
				prefix += "="
				v = v[1:]
			}
			if v == "-" && r.attachedOnly {
				return // rar -p-: no password
			}
			w.out[i] = prefix + w.p.applyKind(r.kind, v)
			return
		}
		if strings.IndexByte(t.bools, a[j]) < 0 {
			return
		}
	}
}

// word handles an argument that is not a flag: a tool's name, a
// positional argument, a NAME=VALUE assignment.
func (w *argvWalk) word(i int, a, o string, whole bool) {
	if t, ok := lookupTool(strings.TrimSpace(a)); ok {
		w.switchTool(t)
		return
	}
	// ProxyCommand=sshpass -p …: a command named as an option's value.
	if name, v, ok := strings.Cut(strings.TrimSpace(a), "="); ok && !w.p.secretAssignment(name) {
		if t, ok := lookupTool(v); ok {
			w.switchTool(t)
			return
		}
	}
	if t := w.tool; t != nil {
		w.words = append(w.words, a)
		w.lastPos = i
		n := len(w.words) - 1
		for k, r := range t.positional {
			if w.triggerEnd[k] == untriggered {
				if endsWith(w.words, r.after) {
					w.triggerEnd[k] = n
				}
				continue
			}
			w.positional(i, o, r, n-w.triggerEnd[k]-1)
		}
		for _, x := range t.assignAll {
			if a == x {
				w.assignAll = true
			}
		}
	}
	// An argument with blanks is a shell string or a list of
	// assignments (ansible -e "a=1 b=2"), which the text rules take
	// apart, unless it is known to be one assignment.
	if strings.IndexByte(a, '=') > 0 && (whole || (w.tool != nil && w.tool.wholeAssign) || !hasBlank(a)) {
		if v := w.assignment(w.out[i]); v != w.out[i] {
			w.out[i] = v
		}
	}
}

const untriggered = -2

// switchTool starts the rules of tool t, ending the previous tool's.
func (w *argvWalk) switchTool(t *toolSpec) {
	w.finish()
	*w = argvWalk{p: w.p, orig: w.orig, out: w.out, depth: w.depth, aws: w.aws, tool: t, lastPos: -1}
	w.triggerEnd = make([]int, len(t.positional))
	for k, r := range t.positional {
		// A rule without trigger words counts from the tool's name.
		w.triggerEnd[k] = untriggered
		if len(r.after) == 0 {
			w.triggerEnd[k] = -1
		}
	}
}

func endsWith(words, suffix []string) bool {
	if len(words) < len(suffix) {
		return false
	}
	return slices.Equal(words[len(words)-len(suffix):], suffix)
}

// positional applies rule r to the positional word at argv index i, the
// rel-th after the rule's trigger.
func (w *argvWalk) positional(i int, o string, r posRule, rel int) {
	if o == marker || rel < 0 {
		return
	}
	switch r.mode {
	case posAll:
		if strings.IndexByte(o, '=') < 0 {
			w.out[i] = w.p.applyKind(r.kind, o)
		}
	case posIndex:
		if rel == r.index {
			w.out[i] = w.p.applyKind(r.kind, o)
		}
	case posConfig:
		if rel == 0 {
			return
		}
		key := w.words[len(w.words)-1-rel]
		switch {
		case strings.HasPrefix(key, httpBasicPrefix):
			if rel == 2 {
				w.out[i] = marker
			}
		case rel == 1 && (hasAnyPrefix(key, configKeyPrefixes) || w.p.secretAssignment(key)):
			w.out[i] = w.p.applyKind(kindSecret, o)
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// finish applies rules that need the whole command: htpasswd -b's
// password is its last positional.
func (w *argvWalk) finish() {
	if w.batch && w.lastPos >= 0 && w.out[w.lastPos] != marker {
		w.out[w.lastPos] = marker
	}
}

// assignment redacts the value of NAME=VALUE (also httpie's NAME==VALUE
// and NAME:=VALUE) when NAME names a secret, or whatever NAME is after a
// secret-store subcommand. A git extraHeader value is a header line.
func (w *argvWalk) assignment(s string) string {
	eq := strings.IndexByte(s, '=')
	if eq <= 0 {
		return s
	}
	name, sepEnd := s[:eq], eq+1
	if strings.HasSuffix(name, ":") {
		name = name[:len(name)-1] // httpie name:=json
	} else if sepEnd < len(s) && s[sepEnd] == '=' {
		sepEnd++ // httpie name==query
	}
	// A URL's query (https://h/?token=x) is not an assignment; npm's
	// //registry/:_authToken is.
	if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\n\"'?&#;") || strings.Contains(name, "://") {
		return s
	}
	v := s[sepEnd:]
	if nothingToHide(v) {
		return s
	}
	if strings.HasSuffix(asciiLower(name), "extraheader") {
		if h := w.p.strictHeaderLine(v); h != v {
			return s[:sepEnd] + h
		}
		return s
	}
	switch {
	case w.assignAll && w.p.isIdentifier(name):
	default:
		switch w.p.assignmentStrength(name) {
		case notSecret:
			return s
		case weakSecret:
			if looksLikePath(v) {
				return s
			}
		}
	}
	return s[:sepEnd] + marker
}

// isIdentifier: a NAME a secret store would take (not a path or a URL).
func (p *Policy) isIdentifier(name string) bool {
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return false
		}
	}
	return name != ""
}

// applyKind redacts the value v of a secret flag.
func (p *Policy) applyKind(k valueKind, v string) string {
	if nothingToHide(v) {
		return v
	}
	switch k {
	case kindWeak:
		if looksLikePath(v) {
			return v
		}
	case kindUserPass, kindUserPassLoose, kindUserOrToken:
		user, pass, ok := strings.Cut(v, ":")
		switch {
		case !ok && k == kindUserOrToken:
		case !ok:
			if looksLikeToken(v) {
				return marker
			}
			return v
		case looksLikeToken(user):
		case pass == "" || pass == marker || (k == kindUserPassLoose && allDigits(pass)):
			return v
		default:
			return user + ":" + marker
		}
	case kindUserPct, kindUserComma:
		sep := "%"
		if k == kindUserComma {
			sep = ","
		}
		user, pass, ok := strings.Cut(v, sep)
		if !ok || pass == "" || pass == marker {
			return v
		}
		return user + sep + marker
	case kindUserSlash:
		user, rest, ok := strings.Cut(v, "/")
		if !ok || rest == "" {
			return v
		}
		pass, db := rest, ""
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			pass, db = rest[:at], rest[at:]
		}
		if pass == "" || pass == marker {
			return v
		}
		return user + "/" + marker + db
	case kindCookie:
		if strings.IndexByte(v, '=') < 0 {
			return v
		}
	case kindAssignAll:
		name, val, ok := strings.Cut(v, "=")
		if !ok {
			break
		}
		if nothingToHide(val) {
			return v
		}
		return name + "=" + marker
	case kindOpenSSL:
		scheme, rest, ok := strings.Cut(v, ":")
		switch {
		case v == "stdin":
			return v
		case ok && (scheme == "env" || scheme == "file" || scheme == "fd"):
			return v
		case ok && scheme == "pass":
			if rest == "" || rest == marker {
				return v
			}
			return "pass:" + marker
		}
	}
	return marker
}
