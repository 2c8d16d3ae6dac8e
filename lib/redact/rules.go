package redact

import "fmt"

// Rules selects how a policy is applied.
type Rules int

const (
	// Upstream is upstream nono's scrubber, byte for byte: use it where
	// records must hash the same as upstream's.
	Upstream Rules = iota
	// Default is Upstream followed by the extra rules of this package; it
	// redacts everything Upstream redacts and more.
	Default
)

func (r Rules) String() string {
	switch r {
	case Upstream:
		return "upstream"
	case Default:
		return "default"
	}
	return fmt.Sprintf("Rules(%d)", int(r))
}

// ParseRules reads a rule-set name: "upstream" or "default".
func ParseRules(s string) (Rules, error) {
	switch s {
	case "upstream":
		return Upstream, nil
	case "default":
		return Default, nil
	}
	return 0, fmt.Errorf("unknown redaction rules %q (want \"upstream\" or \"default\")", s)
}

// UnmarshalText lets flag and config parsers read a rule-set name.
func (r *Rules) UnmarshalText(text []byte) error {
	v, err := ParseRules(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalText writes the rule-set name.
func (r Rules) MarshalText() ([]byte, error) {
	if r != Upstream && r != Default {
		return nil, fmt.Errorf("invalid redaction rules %d", int(r))
	}
	return []byte(r.String()), nil
}
