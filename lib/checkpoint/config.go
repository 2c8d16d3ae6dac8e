package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/BurntSushi/toml"
)

// EnvKey names the environment variable that configures automatic
// checkpoints: a note key reference (file:///ABS/PATH or env://VAR). It
// takes precedence over config.toml.
const EnvKey = "NONO_CHECKPOINT_KEY"

// Config is how automatic checkpoints are configured.
type Config struct {
	KeyRef   string // the note key reference; "" when none is configured
	From     string // where KeyRef came from, for messages
	Warnings []string
}

// LoadConfig finds the note key for automatic checkpoints: $NONO_CHECKPOINT_KEY,
// else the key of the [checkpoint] table of the configuration file at
// path ("" or a missing file: none):
//
//	[checkpoint]
//	key = "file:///home/me/.config/nono/ledger.note"
//
// Other tables of the file belong to other parts of nono. Unknown keys in
// [checkpoint] are warnings; a key of the wrong type is an error naming
// the file.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if ref := getenv(EnvKey); ref != "" {
		return &Config{KeyRef: ref, From: "$" + EnvKey}, nil
	}
	c := &Config{}
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return parseConfig(path, data)
}

func parseConfig(path string, data []byte) (*Config, error) {
	c := &Config{}
	var doc map[string]any
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	raw, ok := doc["checkpoint"]
	if !ok {
		return c, nil
	}
	table, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: checkpoint: want a table", path)
	}
	for _, k := range md.Keys() {
		if len(k) != 2 || k[0] != "checkpoint" {
			continue
		}
		switch k[1] {
		case "key":
			s, ok := table["key"].(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("%s: checkpoint.key: want a key reference (\"file:///ABS/PATH\" or \"env://VAR\")", path)
			}
			c.KeyRef, c.From = s, path
		default:
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: checkpoint.%s: unknown key, ignored", path, k[1]))
		}
	}
	return c, nil
}
