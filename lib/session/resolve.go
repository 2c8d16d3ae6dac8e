package session

import "strings"

// Resolve finds the session a command-line argument names on side: a
// session ID, validated (a *UsageError when invalid) before any path is
// built from it.
func (st *Store) Resolve(side Side, arg string) (*Entry, error) {
	if err := ValidateID(arg); err != nil {
		return nil, &UsageError{Err: err}
	}
	return st.Find(side, arg)
}

// Locate is Resolve that also takes the path of a session directory (an
// argument containing a "/"): a session copied elsewhere, say.
func (st *Store) Locate(side Side, arg string) (*Entry, error) {
	if strings.Contains(arg, "/") {
		return Load(arg)
	}
	return st.Resolve(side, arg)
}
