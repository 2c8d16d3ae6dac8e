package session

import "testing"

func TestConfigPath(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/nono/config.toml"},
		{map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": "/h"}, "/h/.config/nono/config.toml"},
		{map[string]string{"HOME": "/h"}, "/h/.config/nono/config.toml"},
		{map[string]string{}, ""},
	} {
		if got := ConfigPath(env(tc.env)); got != tc.want {
			t.Errorf("ConfigPath(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}
