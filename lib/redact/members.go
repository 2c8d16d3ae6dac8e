package redact

import "bytes"

// A one-pass walk over the members of a JSON object or the elements of
// an array, in text already checked to be valid JSON (gjson.ValidBytes):
// it finds where each value starts and ends without decoding any of them,
// so a field that is not scrubbed costs only the scan over its bytes.

func skipSpace(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the end of the JSON value starting at s[i].
func valueEnd(s []byte, i int) int {
	switch s[i] {
	case '"':
		return stringEnd(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				j = stringEnd(s, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(s)
	}
	j := i
	for j < len(s) && s[j] != ',' && s[j] != '}' && s[j] != ']' && s[j] != ' ' &&
		s[j] != '\t' && s[j] != '\n' && s[j] != '\r' {
		j++
	}
	return j
}

// stringEnd returns the index after the closing quote of the string
// starting at s[i].
func stringEnd(s []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(s[j:], '"')
		if k < 0 {
			return len(s)
		}
		j += k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for b := j - 1; b > i && s[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// findMember returns the value span of the first member named key of the
// object starting at s[at].
func findMember(s []byte, at int, key string) (v, vEnd int, ok bool) {
	if at >= len(s) || s[at] != '{' {
		return 0, 0, false
	}
	i := skipSpace(s, at+1)
	for i < len(s) && s[i] == '"' {
		kEnd := stringEnd(s, i)
		v = skipSpace(s, skipSpace(s, kEnd)+1)
		vEnd = valueEnd(s, v)
		if string(jsonString(s[i:kEnd])) == key {
			return v, vEnd, true
		}
		i = skipSpace(s, vEnd)
		if i >= len(s) || s[i] != ',' {
			break
		}
		i = skipSpace(s, i+1)
	}
	return 0, 0, false
}

// memberString returns the decoded string value of the first member named
// key, if it is a string.
func memberString(s []byte, at int, key string) ([]byte, bool) {
	v, vEnd, ok := findMember(s, at, key)
	if !ok || s[v] != '"' {
		return nil, false
	}
	return jsonString(s[v:vEnd]), true
}

// forEachMember calls fn with each member's decoded key and the start of
// its value, for the object starting at s[at], and returns the object's
// end. fn returns the end of the value when it has walked it itself, or
// -1 to have it found.
func forEachMember(s []byte, at int, fn func(key []byte, v int) (vEnd int)) int {
	if at >= len(s) || s[at] != '{' {
		return at
	}
	i := skipSpace(s, at+1)
	for i < len(s) && s[i] == '"' {
		kEnd := stringEnd(s, i)
		key := jsonString(s[i:kEnd])
		v := skipSpace(s, skipSpace(s, kEnd)+1) // past the ':'
		vEnd := fn(key, v)
		if vEnd < 0 {
			vEnd = valueEnd(s, v)
		}
		i = skipSpace(s, vEnd)
		if i >= len(s) || s[i] != ',' {
			break
		}
		i = skipSpace(s, i+1)
	}
	if i < len(s) && s[i] == '}' {
		return i + 1
	}
	return i
}

// forEachElement calls fn with the span of each element of the array
// starting at s[at].
func forEachElement(s []byte, at int, fn func(v, vEnd int)) {
	if at >= len(s) || s[at] != '[' {
		return
	}
	i := skipSpace(s, at+1)
	for i < len(s) && s[i] != ']' {
		vEnd := valueEnd(s, i)
		fn(i, vEnd)
		i = skipSpace(s, vEnd)
		if i >= len(s) || s[i] != ',' {
			return
		}
		i = skipSpace(s, i+1)
	}
}
