// Package platform is this machine's enrollment with an audit-delivery
// receiver: where the enrollment state, the device key and the outbox
// live, and reading and writing them. It holds no network code, so the
// supervisor can ask "enrolled?" for the price of one stat.
//
// Everything lives under the user's state directory, never under a
// project: $XDG_STATE_HOME/nono when XDG_STATE_HOME is absolute, else
// ~/.nono (the audit store's rule). Directories 0700, files 0600.
package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
)

// Paths are the files of an enrollment.
type Paths struct {
	Base   string // the state directory
	State  string // platform.json: the enrollment
	Key    string // platform.key: the device's P-256 key (base64 PKCS#8), and platform.key.pub
	CA     string // platform-ca.pem: extra roots for the receiver's TLS certificate
	Outbox string // audit-outbox/: envelopes waiting to be delivered
}

// Locate returns the paths under the state directory getenv points to.
func Locate(getenv func(string) string) (Paths, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	base := ""
	if s := getenv("XDG_STATE_HOME"); s != "" && filepath.IsAbs(s) {
		base = filepath.Join(s, "nono")
	} else if home := getenv("HOME"); home != "" && filepath.IsAbs(home) {
		base = filepath.Join(home, ".nono")
	} else {
		return Paths{}, errors.New("cannot find the state directory: set XDG_STATE_HOME or HOME")
	}
	return Paths{
		Base:   base,
		State:  filepath.Join(base, "platform.json"),
		Key:    filepath.Join(base, "platform.key"),
		CA:     filepath.Join(base, "platform-ca.pem"),
		Outbox: filepath.Join(base, "audit-outbox"),
	}, nil
}

// Enrolled reports whether an enrollment exists (without reading it).
func Enrolled(getenv func(string) string) bool {
	p, err := Locate(getenv)
	if err != nil {
		return false
	}
	_, err = os.Lstat(p.State)
	return err == nil
}

// CheckOutsideProject refuses a state directory inside the working
// directory (a project), unless the working directory is the home
// directory or one of its parents: a key there would be one `git add .`
// away from being published, and readable by whatever runs in the project.
func (p Paths) CheckOutsideProject(cwd, home string) error {
	if cwd == "" || !filepath.IsAbs(cwd) {
		return nil
	}
	if home != "" && within(home, cwd) {
		return nil
	}
	if within(p.Base, cwd) {
		return fmt.Errorf("the state directory %s is inside the working directory %s: the device key must live outside any project (set XDG_STATE_HOME to a directory of your own)", p.Base, cwd)
	}
	return nil
}

func within(p, dir string) bool {
	p, dir = filepath.Clean(p), filepath.Clean(dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// State is the enrollment: which receiver, as which subject of which
// tenant, with which key.
type State struct {
	URL            string // the receiver's base URL
	TenantID       string
	SubjectID      string
	SubjectKind    string
	ManagementMode string
	DisplayName    *string
	EnrolledAt     string
	KeyFile        string
	CAFile         string // "" when the system roots suffice
}

// Value is platform.json's content, keys in a fixed order.
func (s *State) Value() canon.Value {
	str := canon.StringValue
	name, ca := canon.NullValue(), canon.NullValue()
	if s.DisplayName != nil {
		name = str(*s.DisplayName)
	}
	if s.CAFile != "" {
		ca = str(s.CAFile)
	}
	return canon.ObjectValue(
		canon.Member{Key: "protocol_version", Value: str(delivery.ProtocolVersion)},
		canon.Member{Key: "platform_url", Value: str(s.URL)},
		canon.Member{Key: "tenant_id", Value: str(s.TenantID)},
		canon.Member{Key: "subject_id", Value: str(s.SubjectID)},
		canon.Member{Key: "subject_kind", Value: str(s.SubjectKind)},
		canon.Member{Key: "management_mode", Value: str(s.ManagementMode)},
		canon.Member{Key: "key_algorithm", Value: str(delivery.KeyAlgorithm)},
		canon.Member{Key: "display_name", Value: name},
		canon.Member{Key: "key_file", Value: str(s.KeyFile)},
		canon.Member{Key: "ca_file", Value: ca},
		canon.Member{Key: "enrolled_at", Value: str(s.EnrolledAt)},
	)
}

// ErrNotEnrolled is returned by Load when there is no enrollment.
var ErrNotEnrolled = errors.New("this machine is not enrolled with an audit receiver (run `nono platform enroll --url URL --token TOKEN`)")

// Load reads the enrollment. The identifiers are checked on every load,
// not only at enrollment, so an edited file cannot put a newline into a
// signed line or a header.
func Load(p Paths) (*State, error) {
	data, err := os.ReadFile(p.State)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, fmt.Errorf("read enrollment: %w", err)
	}
	v, err := canon.Parse(data)
	if err != nil || v.Kind != canon.Object {
		return nil, fmt.Errorf("%s: not an enrollment record: %v", p.State, err)
	}
	get := func(key string) string {
		m, _ := v.Get(key)
		return m.Str
	}
	s := &State{
		URL: get("platform_url"), TenantID: get("tenant_id"), SubjectID: get("subject_id"),
		SubjectKind: get("subject_kind"), ManagementMode: get("management_mode"),
		EnrolledAt: get("enrolled_at"), KeyFile: get("key_file"), CAFile: get("ca_file"),
	}
	if n, ok := v.Get("display_name"); ok && n.Kind == canon.String {
		s.DisplayName = &n.Str
	}
	switch {
	case get("protocol_version") != delivery.ProtocolVersion || get("key_algorithm") != delivery.KeyAlgorithm || s.ManagementMode != delivery.ManagementMode:
		return nil, fmt.Errorf("%s: unsupported enrollment (want protocol 1, %s, %s)", p.State, delivery.KeyAlgorithm, delivery.ManagementMode)
	case !delivery.ValidIdentifier(s.TenantID) || !delivery.ValidIdentifier(s.SubjectID):
		return nil, fmt.Errorf("%s: tenant_id or subject_id is not 1-200 characters of [A-Za-z0-9._-]", p.State)
	case s.URL == "" || !filepath.IsAbs(s.KeyFile):
		return nil, fmt.Errorf("%s: missing platform_url or key_file", p.State)
	}
	return s, nil
}

// Save writes the enrollment atomically (0600), creating the state
// directory (0700).
func Save(p Paths, s *State) error {
	if err := os.MkdirAll(p.Base, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", p.Base, err)
	}
	return atomicfile.WriteFile(p.State, append(canon.Pretty(s.Value()), '\n'), 0o600)
}
