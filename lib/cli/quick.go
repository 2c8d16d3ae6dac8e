package cli

import (
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Building kong's model of even one command costs a fresh process about
// a hundred page faults (every struct tag parsed, every flag and value
// allocated), and the recorder stages of nono run pay it on every
// session. Their argument lists are short and plain: a command word,
// a few long flags, "--" and a command. quickParse reads such lists
// straight into the grammar by reflection and declines everything else
// (help, unknown flags, combined short flags, tags it does not know,
// types with methods of their own), which kong then parses exactly as
// before. Where it accepts, the grammar ends up as kong would leave it:
// CheckQuick compares the two, and the tests and the fuzz target hold
// them to it.

// quickParse parses args into grammar (a pointer to a kong CLI struct) as
// kong would, and returns the command structs from the root to the
// selected command and the selected command's Run; ok is false when args
// or the grammar are outside what it reads, and grammar is then
// unspecified: parse a fresh one with kong.
func quickParse(grammar any, args []string) (path []reflect.Value, run func(*UI) error, ok bool) {
	path, ok = quickSelect(grammar, args)
	if !ok {
		return nil, nil, false
	}
	switch r := path[len(path)-1].Addr().Interface().(type) {
	case interface{ Run(*UI) error }:
		return path, r.Run, true
	case interface{ Run() error }:
		return path, func(*UI) error { return r.Run() }, true
	}
	return nil, nil, false
}

// quickSelect parses args into grammar and returns the command structs
// from the root to the selected command.
func quickSelect(grammar any, args []string) ([]reflect.Value, bool) {
	root := reflect.ValueOf(grammar)
	if root.Kind() != reflect.Pointer || root.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	p := &quickParser{long: map[string]*quickValue{}, short: map[rune]*quickValue{}}
	// kong.Embed(&standardFlags{}) and the help flag: both decline.
	p.long["help"], p.short['h'], p.long["version"] = unsupported, unsupported, unsupported
	path := []reflect.Value{root.Elem()}
	for {
		node := path[len(path)-1]
		n, ok := p.scan(node)
		if !ok {
			return nil, false
		}
		if len(n.commands) == 0 {
			if !p.parse(args, n.positionals) || !p.finish() {
				return nil, false
			}
			return path, true
		}
		// kong runs the Run of every command on the path: only the
		// leaf may have one.
		if hasMethod(node, "Run") || len(n.positionals) > 0 {
			return nil, false
		}
		next, rest, ok := n.selectCommand(args)
		if !ok {
			return nil, false
		}
		path, args = append(path, next), rest
	}
}

// unsupported stands for a flag quickParse knows but does not read.
var unsupported = &quickValue{}

// A quickValue is one flag or positional argument of the grammar.
type quickValue struct {
	v        reflect.Value
	tag      map[string]string
	set      bool
	readable bool // a kind quickParse can set from a string
}

// quickNode is what one command struct offers.
type quickNode struct {
	positionals []*quickValue
	commands    []quickCommand
}

type quickCommand struct {
	names       []string
	v           reflect.Value
	withArgs    bool // default:"withargs"
	passthrough bool // its arguments are not parsed at all
}

// quickParser holds the flags of every command on the path so far (a
// subcommand also takes its parents' flags) and every value to reset.
type quickParser struct {
	long   map[string]*quickValue
	short  map[rune]*quickValue
	values []*quickValue
}

// quickTags are the struct tag keys quickParse understands; any other
// (env, prefix, enum, negatable, ...) changes parsing in ways it does
// not follow.
var quickTags = map[string]bool{
	"help": true, "placeholder": true, "name": true, "short": true,
	"default": true, "sep": true, "arg": true, "optional": true,
	"required": true, "xor": true, "hidden": true, "passthrough": true,
	"cmd": true, "aliases": true, "embed": true, "type": true, "group": true,
}

// scan adds the fields of command struct v (flattening embedded
// structs, as kong does) to p.
func (p *quickParser) scan(v reflect.Value) (*quickNode, bool) {
	n := &quickNode{}
	return n, p.scanInto(n, v)
}

func (p *quickParser) scanInto(n *quickNode, v reflect.Value) bool {
	if !onlyRunMethod(v.Type()) {
		return false // a hook (AfterApply, Validate, ...) or a provider
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := parseStructTag(f.Tag)
		if !ok {
			return false
		}
		_, isCmd := tag["cmd"]
		_, isEmbed := tag["embed"]
		switch {
		case isCmd:
			if f.Type.Kind() != reflect.Struct || !f.IsExported() {
				return false
			}
			c := quickCommand{names: []string{tag["name"]}, v: v.Field(i), withArgs: tag["default"] == "withargs"}
			if c.names[0] == "" {
				c.names[0] = kebab(f.Name)
			}
			if d := tag["default"]; d != "" && !c.withArgs {
				return false
			}
			_, c.passthrough = tag["passthrough"]
			if a := tag["aliases"]; a != "" {
				c.names = append(c.names, strings.Split(a, ",")...)
			}
			n.commands = append(n.commands, c)
		case f.Anonymous || isEmbed:
			delete(tag, "embed")
			if f.Type.Kind() != reflect.Struct || len(tag) > 0 {
				return false
			}
			if !p.scanInto(n, v.Field(i)) {
				return false
			}
		case !f.IsExported():
			// kong skips fields it cannot set.
		default:
			q := &quickValue{v: v.Field(i), tag: tag, readable: readable(f.Type)}
			if _, ok := tag["type"]; ok {
				q.readable = false // a mapper of kong's own
			}
			p.values = append(p.values, q)
			if _, ok := tag["arg"]; ok {
				if f.Type.Kind() == reflect.Struct {
					return false // an argument node
				}
				n.positionals = append(n.positionals, q)
				continue
			}
			if _, ok := tag["passthrough"]; ok {
				return false
			}
			name := tag["name"]
			if name == "" {
				name = kebab(f.Name)
			}
			if p.long[name] != nil {
				return false
			}
			p.long[name] = q
			if s := tag["short"]; s != "" {
				r, size := utf8.DecodeRuneInString(s)
				if size != len(s) || p.short[r] != nil {
					return false
				}
				p.short[r] = q
			}
		}
	}
	return true
}

// selectCommand picks the command args name first, or else the default
// command that takes arguments, whose flags kong reads before it.
func (n *quickNode) selectCommand(args []string) (reflect.Value, []string, bool) {
	names := map[string]bool{}
	for _, c := range n.commands {
		names[c.names[0]] = true
	}
	named := func(c quickCommand, arg string) bool {
		if arg == c.names[0] {
			return true
		}
		for _, a := range c.names[1:] {
			// An alias that is another command's name is that command.
			if arg == a && !names[a] {
				return true
			}
		}
		return false
	}
	if len(args) > 0 {
		for _, c := range n.commands {
			if named(c, args[0]) {
				return c.v, args[1:], !c.passthrough
			}
		}
	}
	for _, c := range n.commands {
		if !c.withArgs || c.passthrough {
			continue
		}
		// A command named after the default command's flags, even
		// after "--", is an error or that command to kong, or a flag's
		// value: leave those to it.
		for _, a := range args {
			for _, o := range n.commands {
				if named(o, a) {
					return reflect.Value{}, nil, false
				}
			}
		}
		return c.v, args, true
	}
	return reflect.Value{}, nil, false
}

// parse reads args into the flags and the positional arguments.
func (p *quickParser) parse(args []string, positionals []*quickValue) bool {
	next := 0 // the next positional argument
	positional := func(rest []string) (int, bool) {
		if next >= len(positionals) {
			return 0, false
		}
		q := positionals[next]
		next++
		if _, ok := q.tag["passthrough"]; ok {
			if !q.readable || q.v.Type() != reflect.TypeOf([]string(nil)) {
				return 0, false
			}
			q.v.Set(reflect.ValueOf(append([]string(nil), rest...)))
			q.set = true
			return len(rest), true
		}
		if !q.readable || q.v.Kind() == reflect.Slice || !q.assign(rest[0]) {
			return 0, false
		}
		return 1, true
	}
	for i := 0; i < len(args); {
		a := args[i]
		var q *quickValue
		value, hasValue := "", false
		switch {
		case a == "--":
			rest := args[i+1:]
			if next < len(positionals) {
				if _, ok := positionals[next].tag["passthrough"]; ok {
					rest = args[i:] // kong passes "--" on to it
				}
			}
			for len(rest) > 0 {
				used, ok := positional(rest)
				if !ok {
					return false
				}
				rest = rest[used:]
			}
			return true
		case strings.HasPrefix(a, "--"):
			name, v, eq := strings.Cut(a[2:], "=")
			q, value, hasValue = p.long[name], v, eq
		case a == "-" || strings.HasPrefix(a, "-") && utf8.RuneCountInString(a) != 2:
			return false
		case strings.HasPrefix(a, "-"):
			r, _ := utf8.DecodeRuneInString(a[1:])
			q = p.short[r]
		default:
			used, ok := positional(args[i:])
			if !ok {
				return false
			}
			i += used
			continue
		}
		if q == nil || q == unsupported || !q.readable || q.set && q.v.Kind() != reflect.Slice {
			return false
		}
		i++
		if q.v.Kind() == reflect.Bool {
			if hasValue {
				return false
			}
			q.v.SetBool(true)
			q.set = true
			continue
		}
		if !hasValue {
			if i >= len(args) || strings.HasPrefix(args[i], "-") {
				return false
			}
			value = args[i]
			i++
		}
		if !q.assign(value) {
			return false
		}
	}
	return true
}

// assign sets q from one command-line string, as kong's mappers would.
func (q *quickValue) assign(s string) bool {
	v := q.v
	if v.Kind() == reflect.Slice {
		if sep := q.tag["sep"]; sep != "none" {
			if sep == "" {
				sep = ","
			}
			// kong splits on sep and unescapes: leave that to it.
			if s == "" || strings.Contains(s, sep) || strings.Contains(s, `\`) {
				return false
			}
		}
		if !q.set {
			v.Set(reflect.Zero(v.Type()))
		}
		e := reflect.New(v.Type().Elem()).Elem()
		if !setScalar(e, s) {
			return false
		}
		v.Set(reflect.Append(v, e))
	} else {
		if v.Kind() == reflect.Pointer {
			v.Set(reflect.New(v.Type().Elem()))
			v = v.Elem()
		}
		if !setScalar(v, s) {
			return false
		}
	}
	q.set = true
	return true
}

// finish does what kong does after reading the arguments: every value not
// given is reset to its default or zero; a missing required value, or
// two of an xor group, is an error that kong reports.
func (p *quickParser) finish() bool {
	xor := map[string]bool{}
	for _, q := range p.values {
		if q.set {
			for g := range strings.SplitSeq(q.tag["xor"], ",") {
				if g == "" {
					continue
				}
				if xor[g] {
					return false
				}
				xor[g] = true
			}
			continue
		}
		def, hasDefault := q.tag["default"]
		_, required := q.tag["required"]
		if _, arg := q.tag["arg"]; arg {
			_, optional := q.tag["optional"]
			required = required || !optional && !hasDefault
		}
		if required {
			return false
		}
		q.v.Set(reflect.Zero(q.v.Type()))
		if def != "" {
			if !q.readable || q.v.Kind() == reflect.Slice || strings.Contains(def, "${") || !q.assign(def) {
				return false
			}
			q.set = false
		}
	}
	return true
}

var durationType = reflect.TypeOf(time.Duration(0))

// readable reports whether quickParse sets values of type t itself: the
// kinds kong maps from strings with no mapper or method of the type's
// own (time.Duration aside, which kong maps itself).
func readable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice:
		return scalar(t.Elem())
	case reflect.Pointer:
		return t.Elem().Kind() == reflect.String && scalar(t.Elem())
	}
	return scalar(t)
}

func scalar(t reflect.Type) bool {
	if t == durationType {
		return true
	}
	if t.NumMethod() > 0 || reflect.PointerTo(t).NumMethod() > 0 {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// setScalar sets v from s as kong's mappers do: integers in Go syntax
// (base prefixes allowed), durations as time.ParseDuration reads them.
func setScalar(v reflect.Value, s string) bool {
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		v.SetInt(int64(d))
		return err == nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			return false
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			return false
		}
		v.SetUint(n)
	default:
		return false // bool takes no value here
	}
	return true
}

// onlyRunMethod reports whether a command struct's exported methods are
// at most Run: kong calls hooks, validators and providers by name.
func onlyRunMethod(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	for i := range pt.NumMethod() {
		if pt.Method(i).Name != "Run" {
			return false
		}
	}
	return true
}

func hasMethod(v reflect.Value, name string) bool {
	_, ok := reflect.PointerTo(v.Type()).MethodByName(name)
	return ok
}

// parseStructTag splits a struct tag in the conventional key:"value"
// form into its keys and values; ok is false for any other form or a key
// quickParse does not understand.
func parseStructTag(tag reflect.StructTag) (map[string]string, bool) {
	keys := map[string]string{}
	s := strings.TrimLeft(string(tag), " ")
	for s != "" {
		colon := strings.Index(s, `:"`)
		if colon <= 0 || strings.ContainsAny(s[:colon], " \"\t") {
			return nil, false
		}
		key := s[:colon]
		s = s[colon+1:]
		end := 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) {
			return nil, false
		}
		value, err := strconv.Unquote(s[:end+1])
		if err != nil || !quickTags[key] {
			return nil, false
		}
		if _, dup := keys[key]; dup {
			return nil, false
		}
		keys[key] = value
		s = strings.TrimLeft(s[end+1:], " ")
	}
	return keys, true
}

// kebab is the name kong gives a field: its camel-case words, split as
// kong splits them ("FSIntegrity" is "fs-integrity", "S3Bucket" is
// "s-3-bucket"), joined by dashes and lower-cased.
func kebab(name string) string {
	if !utf8.ValidString(name) {
		return strings.ToLower(name)
	}
	class := func(r rune) int {
		switch {
		case unicode.IsLower(r):
			return 1
		case unicode.IsUpper(r):
			return 2
		case unicode.IsDigit(r):
			return 3
		}
		return 4
	}
	var words [][]rune
	last := 0
	for _, r := range name {
		c := class(r)
		if c == last {
			words[len(words)-1] = append(words[len(words)-1], r)
		} else {
			words = append(words, []rune{r})
		}
		last = c
	}
	// An upper-case run's last letter begins the lower-case word after
	// it: "PDFLoader" is "PDF", "Loader".
	for i := 0; i+1 < len(words); i++ {
		if unicode.IsUpper(words[i][0]) && unicode.IsLower(words[i+1][0]) {
			words[i+1] = append([]rune{words[i][len(words[i])-1]}, words[i+1]...)
			words[i] = words[i][:len(words[i])-1]
		}
	}
	parts := make([]string, 0, len(words))
	for _, w := range words {
		if len(w) > 0 {
			parts = append(parts, string(w))
		}
	}
	return strings.ToLower(strings.Join(parts, "-"))
}
