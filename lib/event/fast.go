package event

import (
	"bytes"

	"github.com/nono-audit/nono/lib/canon"
)

// The fast path. Canonical input, which is what every writer in the
// pipeline produces, has its members in declared order with the tag
// first. Such an object is written in one pass, each value canonicalized
// as it is met. At the first member out of order (or a key that needs
// decoding, or anything the general path words better) the fast path
// gives up, discards what it wrote of this object, and the general path
// (scan the members, then write them in order) takes over. Errors inside
// a value are final on either path.

// taggedFast is the fast path of a tagged object at i.
func (c *Canonicalizer) taggedFast(i int, t *tagged, custom bool) (int, bool, error) {
	d := c.data
	j := skipSpace(d, i+1)
	key, j, ok := c.plainKey(j)
	if !ok || string(key) != t.tag || j >= len(d) || d[j] != ':' {
		return 0, false, nil
	}
	if j = skipSpace(d, j+1); j >= len(d) || d[j] != '"' {
		return 0, false, nil
	}
	mark := len(c.out)
	c.out = append(c.out, '{')
	c.out = canon.AppendString(c.out, t.tag)
	c.out = append(c.out, ':')
	nameAt := len(c.out)
	end, err := c.str(j)
	if err != nil {
		c.out = c.out[:mark]
		return 0, false, nil
	}
	s := t.variants[string(c.out[nameAt+1:len(c.out)-1])]
	if s == nil {
		c.out = c.out[:mark]
		if !custom {
			return 0, false, nil
		}
		end, err := c.generic(i, 0)
		return end, err == nil, err
	}
	j = skipSpace(d, end)
	closed := j < len(d) && d[j] == '}' // nothing after the tag
	if j < len(d) && d[j] == ',' {
		j = skipSpace(d, j+1)
	} else if !closed {
		c.out = c.out[:mark]
		return 0, false, nil
	}
	if custom {
		c.path = append(c.path, pathElem{name: s.name, index: -1})
		defer func() { c.path = c.path[:len(c.path)-1] }()
	}
	end, ok, err = c.membersFast(j, closed, s, false)
	if !ok || err != nil {
		c.out = c.out[:mark]
	}
	return end, ok, err
}

// objectFast is the fast path of an untagged object at i.
func (c *Canonicalizer) objectFast(i int, s *schema) (int, bool, error) {
	mark := len(c.out)
	c.out = append(c.out, '{')
	j := skipSpace(c.data, i+1)
	closed := j < len(c.data) && c.data[j] == '}'
	end, ok, err := c.membersFast(j, closed, s, true)
	if !ok || err != nil {
		c.out = c.out[:mark]
	}
	return end, ok, err
}

// membersFast writes the members of s starting at the key at j (or, when
// closed, at the closing brace at j) and closes the object. first says
// whether no member has been written since the '{'.
func (c *Canonicalizer) membersFast(j int, closed bool, s *schema, first bool) (int, bool, error) {
	d := c.data
	fi := 0 // next declared field
	if !closed {
		for {
			key, k, ok := c.plainKey(j)
			if !ok {
				return 0, false, nil
			}
			idx := -1
			if fi < len(s.fields) && string(key) == s.fields[fi].name {
				idx = fi
			} else if x, known := s.index[string(key)]; known && x > fi {
				idx = x
			} else {
				return 0, false, nil // unknown, duplicate or out of order
			}
			for ; fi < idx; fi++ {
				if !c.absentFast(&s.fields[fi], &first) {
					return 0, false, nil
				}
			}
			fi++
			if k >= len(d) || d[k] != ':' {
				return 0, false, nil
			}
			v := skipSpace(d, k+1)
			if v >= len(d) {
				return 0, false, nil
			}
			fd := &s.fields[idx]
			var end int
			switch {
			case d[v] == 'n':
				if fd.pres == required || fd.pres == omitEmpty || !bytes.HasPrefix(d[v:], []byte("null")) {
					return 0, false, nil
				}
				end = v + 4
				if fd.pres == nullable {
					c.nullField(fd, &first)
				}
			case fd.pres == omitEmpty && c.emptyArray(v):
				end = skipSpace(d, v+1) + 1
			default:
				if !first {
					c.out = append(c.out, ',')
				}
				first = false
				c.out = append(c.out, '"')
				c.out = append(c.out, fd.name...)
				c.out = append(c.out, '"', ':')
				c.path = append(c.path, pathElem{name: fd.name, index: -1})
				var err error
				end, err = c.value(v, fd)
				c.path = c.path[:len(c.path)-1]
				if err != nil {
					return 0, false, err
				}
			}
			j = skipSpace(d, end)
			if j >= len(d) {
				return 0, false, nil
			}
			if d[j] == '}' {
				break
			}
			if d[j] != ',' {
				return 0, false, nil
			}
			j = skipSpace(d, j+1)
		}
	}
	for ; fi < len(s.fields); fi++ {
		if !c.absentFast(&s.fields[fi], &first) {
			return 0, false, nil
		}
	}
	c.out = append(c.out, '}')
	return j + 1, true, nil
}

// absentFast writes what an absent field contributes; false when its
// absence needs the general path (a required field may come later).
func (c *Canonicalizer) absentFast(fd *field, first *bool) bool {
	switch fd.pres {
	case required:
		return false
	case nullable:
		c.nullField(fd, first)
	}
	return true
}

func (c *Canonicalizer) nullField(fd *field, first *bool) {
	if !*first {
		c.out = append(c.out, ',')
	}
	*first = false
	c.out = append(c.out, '"')
	c.out = append(c.out, fd.name...)
	c.out = append(c.out, `":null`...)
}

// plainKey reads the key at j when it needs no decoding, returning it and
// the offset of what follows it (whitespace skipped).
func (c *Canonicalizer) plainKey(j int) ([]byte, int, bool) {
	d := c.data
	if j >= len(d) || d[j] != '"' {
		return nil, 0, false
	}
	k := bytes.IndexByte(d[j+1:], '"')
	if k < 0 {
		return nil, 0, false
	}
	key := d[j+1 : j+1+k]
	if bytes.IndexByte(key, '\\') >= 0 {
		return nil, 0, false
	}
	return key, skipSpace(d, j+k+2), true
}
