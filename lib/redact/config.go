package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/nono-audit/nono/lib/canon"
)

// Config is the [redaction] table of the user configuration file.
type Config struct {
	ExtraFlags               []string
	ExtraHeaders             []string
	ExtraQueryKeys           []string
	ExtraEnvVars             []string
	UnsafeRedactionOverrides bool
	AllowUnredactedDefaults  []string
	Rules                    Rules
	// Warnings name the keys of [redaction] this version does not know.
	// They are ignored, as upstream ignores them, but a typo in a key
	// silently weakening redaction deserves a word on stderr.
	Warnings []string
}

// refusal is upstream's message when a default would be removed without
// the explicit override.
const refusal = "Configuration parse error: [redaction].allow_unredacted_defaults requires unsafe_redaction_overrides = true"

// LoadConfig reads the configuration file at path and builds the policy
// and rule set it asks for. A missing file (or an empty path) gives the
// secure default policy and the Default rules. Any problem in the file is
// an error naming the file, the line and the key; the caller must then run
// nothing.
func LoadConfig(path string) (*Policy, Rules, error) {
	c, err := ReadConfig(path)
	if err != nil {
		return nil, 0, err
	}
	p, err := c.Policy()
	if err != nil {
		return nil, 0, err
	}
	return p, c.Rules, nil
}

// ReadConfig reads and checks the [redaction] table of the file at path.
// A missing file (or an empty path) is the default configuration.
func ReadConfig(path string) (*Config, error) {
	if path == "" {
		return &Config{Rules: Default}, nil
	}
	data, err := readConfigFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Rules: Default}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading redaction config: %w", err)
	}
	return parseConfig(path, data)
}

// maxConfigSize caps the configuration file: a few kilobytes in practice.
const maxConfigSize = 1 << 20

// readConfigFile reads path, which must be a regular file (a symlink to
// one is fine) of at most maxConfigSize bytes. The open does not block
// (a FIFO would wait for a writer) and a device is refused before it is
// read, so a config pointing at /dev/zero or a pipe fails at once.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	if fi.Size() > maxConfigSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigSize)
	}
	return canon.ReadAll(f, maxConfigSize, path)
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a file"
}

// parseConfig checks the [redaction] table of a TOML document; name is the
// file name used in errors. Other tables belong to other parts of nono and
// are not looked at.
func parseConfig(name string, data []byte) (*Config, error) {
	var doc map[string]any
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			if pe.LastKey != "" {
				return nil, fmt.Errorf("%s:%d: %s: %s", name, pe.Position.Line, pe.LastKey, pe.Message)
			}
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := keyLines(data)
	// at names the place of a key of the table ("" for the table itself):
	// its own line, else the table's line.
	at := func(key string) string {
		full := "redaction"
		if key != "" {
			full += "." + key
		}
		if n, ok := lines[full]; ok {
			return fmt.Sprintf("%s:%d: %s", name, n, full)
		}
		if n, ok := lines["redaction"]; ok {
			return fmt.Sprintf("%s:%d: %s", name, n, full)
		}
		return fmt.Sprintf("%s: %s", name, full)
	}
	c := &Config{Rules: Default}
	raw, ok := doc["redaction"]
	if !ok {
		return c, nil
	}
	table, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a table, got %s", at(""), tomlType(raw))
	}
	// Walk the keys in document order so the first problem reported is the
	// first one in the file.
	for _, k := range md.Keys() {
		if len(k) != 2 || k[0] != "redaction" {
			continue
		}
		key, v := k[1], table[k[1]]
		var err error
		switch key {
		case "extra_flags":
			c.ExtraFlags, err = stringList(v)
		case "extra_headers":
			c.ExtraHeaders, err = stringList(v)
		case "extra_query_keys":
			c.ExtraQueryKeys, err = stringList(v)
		case "extra_env_vars":
			c.ExtraEnvVars, err = stringList(v)
		case "allow_unredacted_defaults":
			c.AllowUnredactedDefaults, err = stringList(v)
		case "unsafe_redaction_overrides":
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("want a boolean, got %s", tomlType(v))
			}
			c.UnsafeRedactionOverrides = b
		case "rules":
			s, ok := v.(string)
			if !ok {
				err = fmt.Errorf("want \"upstream\" or \"default\", got %s", tomlType(v))
			} else {
				c.Rules, err = ParseRules(s)
			}
		default:
			c.Warnings = append(c.Warnings, at(key)+": unknown key, ignored")
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at(key), err)
		}
		if err := checkNames(key, v); err != nil {
			return nil, fmt.Errorf("%s: %w", at(key), err)
		}
	}
	if len(c.AllowUnredactedDefaults) > 0 && !c.UnsafeRedactionOverrides {
		if n, ok := lines["redaction.allow_unredacted_defaults"]; ok {
			return nil, fmt.Errorf("%s:%d: %s", name, n, refusal)
		}
		return nil, fmt.Errorf("%s: %s", name, refusal)
	}
	return c, nil
}

// checkNames refuses names holding the marker: such a name would match
// already redacted text, and scrubbing would stop being idempotent.
func checkNames(key string, v any) error {
	list, ok := v.([]any)
	if !ok || key == "allow_unredacted_defaults" {
		return nil
	}
	for _, e := range list {
		if s, _ := e.(string); strings.Contains(asciiLower(s), "[redacted]") {
			return fmt.Errorf("name %q contains the redaction marker %s", s, marker)
		}
	}
	return nil
}

// Policy builds the policy the configuration describes, in upstream's
// order: validate, start from the secure default, add, then remove.
func (c *Config) Policy() (*Policy, error) {
	if len(c.AllowUnredactedDefaults) > 0 && !c.UnsafeRedactionOverrides {
		return nil, errors.New(refusal)
	}
	p := DefaultPolicy()
	p.add(flags, c.ExtraFlags...)
	p.add(headers, c.ExtraHeaders...)
	p.add(queryKeys, c.ExtraQueryKeys...)
	p.add(envVars, c.ExtraEnvVars...)
	if c.UnsafeRedactionOverrides {
		p.allow(c.AllowUnredactedDefaults...)
	}
	return p, nil
}

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want an array of strings, got %s", tomlType(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("want an array of strings, element %d is %s", i+1, tomlType(e))
		}
		out[i] = s
	}
	return out, nil
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a datetime"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

// keyLines maps "table.key" (and bare table names) to the line where the
// key is set, for error messages. It reads TOML line by line, well enough
// for the shapes config files have; a key it cannot place is reported
// without a line.
func keyLines(data []byte) map[string]int {
	out := map[string]int{}
	table := ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				continue
			}
			table = unquoteKey(strings.Trim(line[:end], "[ \t"))
			if _, ok := out[table]; !ok {
				out[table] = i + 1
			}
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq <= 0 {
			continue
		}
		key := unquoteKey(line[:eq])
		if table != "" {
			key = table + "." + key
		}
		if _, ok := out[key]; !ok {
			out[key] = i + 1
		}
	}
	return out
}

// unquoteKey turns a dotted TOML key as written into its plain dotted
// form: parts trimmed, quotes removed.
func unquoteKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}
