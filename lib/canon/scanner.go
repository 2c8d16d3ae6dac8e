package canon

import (
	"bytes"
	"fmt"
	"io"
	"math/bits"
)

// Limits bound what a Scanner accepts. A zero field means its default.
type Limits struct {
	// MaxDepth is the deepest nesting of arrays and objects (default
	// maxDepth, serde_json's recursion limit).
	MaxDepth int
	// MaxSize is the longest document in bytes (default defaultMaxSize).
	MaxSize int
}

// defaultMaxSize is the default size limit of one document.
const defaultMaxSize = 256 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = maxDepth
	}
	if l.MaxSize <= 0 {
		l.MaxSize = defaultMaxSize
	}
	return l
}

// Scanner reads one JSON document from a byte slice, value by value,
// without building it in memory. See the package documentation.
type Scanner struct {
	data    []byte
	pos     int
	err     error // sticky
	lim     Limits
	stack   []frame  // open containers, innermost last
	keys    []keyRef // keys of the open objects, for duplicate checks
	arena   []byte   // decoded keys that held escapes
	str     []byte   // decoded string returned by String
	pending bool     // NextMember or NextElement announced a value not yet read
	topDone bool     // the top-level value has been started
}

type frame struct {
	object  bool
	n       int    // members or elements announced so far
	keyBase int    // this object's keys are keys[keyBase:]
	filter  uint64 // keys seen, by length and last byte
}

// keyRef locates a decoded key in data or, when it held escapes, in
// arena; at is the offset of its token, for messages.
type keyRef struct {
	start, end, at int32
	inArena        bool
}

// NewScanner returns a scanner of data with the default limits.
func NewScanner(data []byte) *Scanner {
	s := &Scanner{}
	s.Reset(data)
	return s
}

// Reset makes s scan data from its start, keeping s's limits and buffers.
func (s *Scanner) Reset(data []byte) { s.ResetAt(data, 0) }

// ResetAt makes s scan the value that starts at data[offset:], as a fresh
// top-level value, with offsets in errors counted from the start of data.
// A scanner of an enclosing document can look ahead this way without
// losing its place.
func (s *Scanner) ResetAt(data []byte, offset int) {
	s.lim = s.lim.withDefaults()
	s.data, s.pos, s.err = data, offset, nil
	s.stack, s.keys, s.arena = s.stack[:0], s.keys[:0], s.arena[:0]
	s.pending, s.topDone = false, false
	if len(data) > s.lim.MaxSize {
		s.err = &SyntaxError{Msg: fmt.Sprintf("document larger than %d bytes", s.lim.MaxSize)}
	}
}

// SetLimits replaces s's limits; call Reset afterwards.
func (s *Scanner) SetLimits(l Limits) { s.lim = l.withDefaults() }

// Data is the document being scanned.
func (s *Scanner) Data() []byte { return s.data }

// Offset is the byte offset in data where scanning stands.
func (s *Scanner) Offset() int { return s.pos }

// depth is the number of open arrays and objects.
func (s *Scanner) depth() int { return len(s.stack) }

// Err is the first error the scanner met, if any.
func (s *Scanner) Err() error { return s.err }

// Errorf returns a *SyntaxError at the current offset (after any
// whitespace) and makes it the scanner's sticky error, so that callers
// report their own shape errors ("expected a hash") with offsets like
// the scanner's.
func (s *Scanner) Errorf(format string, args ...any) error {
	if s.err != nil {
		return s.err
	}
	s.skipSpace()
	return s.fail(s.pos, fmt.Sprintf(format, args...))
}

func (s *Scanner) fail(at int, msg string) error {
	s.pending = false // the fast paths test only this
	if s.err == nil {
		s.err = &SyntaxError{Offset: at, Msg: msg}
	}
	return s.err
}

// failEOF records input that ended too early: a prefix of JSON text.
func (s *Scanner) failEOF(msg string) error {
	s.pending = false
	if s.err == nil {
		s.err = &SyntaxError{Offset: len(s.data), Msg: msg, eof: true}
	}
	return s.err
}

func (s *Scanner) skipSpace() {
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return
		}
		s.pos++
	}
}

// start begins reading a value: it checks that one is due here and
// returns its first byte.
func (s *Scanner) start() (byte, bool) {
	if s.pending && s.pos < len(s.data) && s.data[s.pos] > ' ' {
		s.pending = false // the usual case: a member's value, no whitespace
		return s.data[s.pos], true
	}
	return s.startSlow()
}

func (s *Scanner) startSlow() (byte, bool) {
	if s.err != nil {
		return 0, false
	}
	if len(s.stack) > 0 {
		if !s.pending {
			s.fail(s.pos, "no value due here: call NextMember or NextElement first")
			return 0, false
		}
		s.pending = false
	} else {
		if s.topDone {
			s.skipSpace()
			s.fail(s.pos, "trailing characters after JSON value")
			return 0, false
		}
		s.topDone = true
	}
	s.skipSpace()
	if s.pos >= len(s.data) {
		s.failEOF("unexpected end of JSON input")
		return 0, false
	}
	return s.data[s.pos], true
}

// kinds maps the first byte of a value to its JSON type, 0xff for a byte
// no value starts with.
var kinds = func() (t [256]Kind) {
	for i := range t {
		t[i] = 0xff
	}
	t['"'], t['{'], t['['], t['t'], t['f'], t['n'], t['-'] = String, Object, Array, Bool, Bool, Null, Number
	for c := '0'; c <= '9'; c++ {
		t[c] = Number
	}
	return t
}()

// kindOf names the JSON type a value starting with c has.
func kindOf(c byte) (Kind, bool) {
	k := kinds[c]
	return k, k != 0xff
}

// Peek returns the JSON type of the value due next, without reading it
// (only whitespace before it is skipped, so Offset is then its start).
func (s *Scanner) Peek() (Kind, error) {
	if s.pending && s.pos < len(s.data) {
		if k := kinds[s.data[s.pos]]; k != 0xff { // the usual case: no whitespace before it
			return k, nil
		}
	}
	return s.peek()
}

func (s *Scanner) peek() (Kind, error) {
	if s.err != nil {
		return 0, s.err
	}
	if len(s.stack) > 0 && !s.pending {
		return 0, s.fail(s.pos, "no value due here: call NextMember or NextElement first")
	}
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0, s.failEOF("unexpected end of JSON input")
	}
	k, ok := kindOf(s.data[s.pos])
	if !ok {
		return 0, s.fail(s.pos, fmt.Sprintf("unexpected character %q", rune(s.data[s.pos])))
	}
	return k, nil
}

// describe names the value starting at s.pos for messages.
func (s *Scanner) describe() string {
	if s.pos >= len(s.data) {
		return "end of input"
	}
	k, ok := kindOf(s.data[s.pos])
	if !ok {
		return fmt.Sprintf("%q", rune(s.data[s.pos]))
	}
	if k == Number {
		if n, err := ScanNumber(s.data[s.pos:]); err == nil {
			return "number " + string(s.data[s.pos:s.pos+n])
		}
	}
	return k.String()
}

func (s *Scanner) typeError(want string) error {
	return s.fail(s.pos, fmt.Sprintf("expected %s, found %s", want, s.describe()))
}

// Object reads the '{' that opens an object. Its members follow through
// NextMember.
func (s *Scanner) Object() error {
	c, ok := s.start()
	if !ok {
		return s.err
	}
	if c != '{' {
		return s.typeError("an object")
	}
	return s.open(true)
}

// Array reads the '[' that opens an array. Its elements follow through
// NextElement.
func (s *Scanner) Array() error {
	c, ok := s.start()
	if !ok {
		return s.err
	}
	if c != '[' {
		return s.typeError("an array")
	}
	return s.open(false)
}

func (s *Scanner) open(object bool) error {
	if len(s.stack) >= s.lim.MaxDepth {
		return s.fail(s.pos, fmt.Sprintf("nesting deeper than %d", s.lim.MaxDepth))
	}
	s.stack = append(s.stack, frame{object: object, keyBase: len(s.keys)})
	s.pos++
	return nil
}

func (s *Scanner) close() error {
	f := &s.stack[len(s.stack)-1]
	if f.object {
		if len(s.keys)-f.keyBase > manyKeys {
			if err := s.checkManyKeys(s.keys[f.keyBase:]); err != nil {
				return err
			}
		}
		s.keys = s.keys[:f.keyBase]
		if f.keyBase == 0 {
			s.arena = s.arena[:0]
		}
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.pos++
	return nil
}

// next moves past the separator before the next member or element of the
// innermost container, skipping a value that was announced but not read.
// It returns false at the container's end, which it consumes.
func (s *Scanner) next(object bool) (bool, error) {
	if s.err != nil {
		return false, s.err
	}
	if len(s.stack) == 0 || s.stack[len(s.stack)-1].object != object {
		what := "NextElement outside an array"
		if object {
			what = "NextMember outside an object"
		}
		return false, s.fail(s.pos, what)
	}
	if s.pending {
		if err := s.Skip(); err != nil {
			return false, err
		}
	}
	closer := byte(']')
	if object {
		closer = '}'
	}
	f := &s.stack[len(s.stack)-1]
	s.skipSpace()
	if s.pos >= len(s.data) {
		return false, s.endInside(object, f.n > 0)
	}
	c := s.data[s.pos]
	if c == closer {
		return false, s.close()
	}
	if f.n > 0 {
		if c != ',' {
			return false, s.fail(s.pos, fmt.Sprintf("expected ',' or '%c' in %s", closer, map[bool]string{true: "object", false: "array"}[object]))
		}
		s.pos++
		s.skipSpace()
		if s.pos >= len(s.data) {
			return false, s.endInside(object, false)
		}
		if s.data[s.pos] == closer {
			return false, s.fail(s.pos, fmt.Sprintf("unexpected character '%c'", closer))
		}
	}
	f.n++
	return true, nil
}

// endInside reports input that ended inside a container, after a member
// or element (afterValue) or where one was due.
func (s *Scanner) endInside(object, afterValue bool) error {
	switch {
	case object && afterValue:
		return s.failEOF("unexpected end of JSON input in object")
	case object:
		return s.failEOF("expected object key string")
	case afterValue:
		return s.failEOF("unexpected end of JSON input in array")
	}
	return s.failEOF("unexpected end of JSON input")
}

// NextElement announces the next element of the innermost array, or
// returns false at its end (consumed). An announced element must be read
// with one value method; if it is not, the next call skips it (after
// checking it like Skip).
func (s *Scanner) NextElement() (bool, error) {
	ok, err := s.next(false)
	if ok {
		s.pending = true
	}
	return ok, err
}

// NextMember returns the key of the next member of the innermost object
// and positions s at its value, or returns false at the object's end
// (consumed). The key is decoded and checked (UTF-8, escapes) and must
// differ from every earlier key of the object. It stays valid until the
// next Reset; it aliases data when the key holds no escapes. A value that
// is not read is skipped by the next call, after being checked like Skip.
func (s *Scanner) NextMember() ([]byte, bool, error) {
	// The usual case, as canonical input has it: a separator (or nothing,
	// after the '{'), then a key of plain printable ASCII, then ':'.
	if n := len(s.stack); s.err == nil && !s.pending && n > 0 && s.stack[n-1].object {
		f := &s.stack[n-1]
		d, p := s.data, s.pos
		if f.n > 0 && p < len(d) && d[p] == ',' {
			p++
		}
		if (f.n == 0 || p > s.pos) && p < len(d) && d[p] == '"' {
			if j := nextSpecial(d, p+1); j+1 < len(d) && d[j] == '"' && d[j+1] == ':' {
				key := d[p+1 : j]
				if err := s.addKey(f, keyRef{start: int32(p + 1), end: int32(j), at: int32(p)}, key); err != nil {
					return nil, false, err
				}
				f.n++
				s.pos, s.pending = j+2, true
				return key, true, nil
			}
		}
	}
	ok, err := s.next(true)
	if !ok {
		return nil, false, err
	}
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		if s.pos >= len(s.data) {
			return nil, false, s.failEOF("unexpected end of JSON input in object")
		}
		return nil, false, s.fail(s.pos, "expected object key string")
	}
	keyAt := s.pos
	ref, key, err := s.key()
	if err != nil {
		return nil, false, err
	}
	ref.at = int32(keyAt)
	if err := s.addKey(&s.stack[len(s.stack)-1], ref, key); err != nil {
		return nil, false, err
	}
	s.skipSpace()
	if s.pos >= len(s.data) {
		return nil, false, s.failEOF("unexpected end of JSON input in object")
	}
	if s.data[s.pos] != ':' {
		return nil, false, s.fail(s.pos, "expected ':' after object key")
	}
	s.pos++
	s.pending = true
	return key, true, nil
}

// NextMemberKind is NextMember that also returns the JSON type of the
// member's value, as Peek would (one call instead of two).
func (s *Scanner) NextMemberKind() ([]byte, Kind, bool, error) {
	key, more, err := s.NextMember()
	if !more {
		return nil, 0, false, err
	}
	if s.pos < len(s.data) {
		if k := kinds[s.data[s.pos]]; k != 0xff {
			return key, k, true, nil
		}
	}
	k, err := s.peek()
	return key, k, err == nil, err
}

// key reads the key string at s.pos.
func (s *Scanner) key() (keyRef, []byte, error) {
	d := s.data
	if j := nextSpecial(d, s.pos+1); j < len(d) && d[j] == '"' {
		ref := keyRef{start: int32(s.pos + 1), end: int32(j)}
		s.pos = j + 1
		return ref, d[ref.start:ref.end], nil
	}
	mark := len(s.arena)
	out, n, _, err := scanString(s.arena, d[s.pos:], modeDecode)
	if err != nil {
		return keyRef{}, nil, s.stringError(err)
	}
	if len(out)-mark == n-2 { // no escapes: the key is its own bytes
		s.arena = out[:mark]
		ref := keyRef{start: int32(s.pos + 1), end: int32(s.pos + n - 1)}
		s.pos += n
		return ref, d[ref.start:ref.end], nil
	}
	s.arena = out
	s.pos += n
	return keyRef{start: int32(mark), end: int32(len(out)), inArena: true}, out[mark:], nil
}

func (s *Scanner) keyBytes(r keyRef) []byte {
	if r.inArena {
		return s.arena[r.start:r.end]
	}
	return s.data[r.start:r.end]
}

// addKey records a key of the object f, failing if an earlier key of it
// is equal. Keys of one object rarely share both length and last byte, so
// a 64-bit filter over those two spares nearly every comparison. An object with more than
// manyKeys keys (a snapshot manifest's files) is checked with a map when
// it closes instead, which keeps it linear.
func (s *Scanner) addKey(f *frame, ref keyRef, key []byte) error {
	s.keys = append(s.keys, ref)
	n := len(s.keys) - f.keyBase
	if n > manyKeys {
		return nil
	}
	h := uint(len(key)) * 5
	if len(key) > 0 {
		h += uint(key[len(key)-1])
	}
	bit := uint64(1) << (h & 63)
	if f.filter&bit != 0 {
		for _, r := range s.keys[f.keyBase : len(s.keys)-1] {
			if int(r.end-r.start) == len(key) && string(s.keyBytes(r)) == string(key) {
				return s.fail(int(ref.at), fmt.Sprintf("duplicate key %s", AppendStringBytes(nil, key)))
			}
		}
	}
	f.filter |= bit
	return nil
}

// checkManyKeys checks the keys of a large object for duplicates.
func (s *Scanner) checkManyKeys(keys []keyRef) error {
	seen := make(map[string]struct{}, len(keys))
	for _, r := range keys {
		k := s.keyBytes(r)
		if _, dup := seen[string(k)]; dup {
			return s.fail(int(r.at), fmt.Sprintf("duplicate key %s", AppendStringBytes(nil, k)))
		}
		seen[string(k)] = struct{}{}
	}
	return nil
}

// manyKeys is where an object's duplicate check moves to a map.
const manyKeys = 32

func (s *Scanner) stringError(err error) error {
	if se, ok := err.(*SyntaxError); ok {
		if se.Msg == "unterminated string" {
			return s.failEOF("unterminated string")
		}
		return s.fail(s.pos+se.Offset, se.Msg)
	}
	return s.fail(s.pos, err.Error())
}

// String reads a string value and returns its decoded content. The slice
// aliases data when the string holds no escapes or non-ASCII text, and
// is otherwise valid until the next call of String.
func (s *Scanner) String() ([]byte, error) {
	c, ok := s.start()
	if !ok {
		return nil, s.err
	}
	if c != '"' {
		return nil, s.typeError("a string")
	}
	d := s.data
	if j := nextSpecial(d, s.pos+1); j < len(d) && d[j] == '"' {
		out := d[s.pos+1 : j]
		s.pos = j + 1
		return out, nil
	}
	out, n, _, err := scanString(s.str[:0], d[s.pos:], modeDecode)
	if err != nil {
		return nil, s.stringError(err)
	}
	s.str = out
	s.pos += n
	return out, nil
}

// AppendString reads a string value and appends its decoded content.
func (s *Scanner) AppendString(dst []byte) ([]byte, error) {
	out, _, err := s.appendString(dst, modeDecode)
	return out, err
}

// appendCanonicalString reads a string value and appends it re-encoded
// canonically, quotes included.
func (s *Scanner) AppendCanonicalString(dst []byte) ([]byte, error) {
	out, _, err := s.appendString(dst, modeCanonical)
	return out, err
}

// RawString reads a string value and returns its token as it stands in
// data, quotes and escapes included, after checking it.
func (s *Scanner) RawString() ([]byte, error) {
	if _, err := s.Peek(); err != nil {
		return nil, err
	}
	at := s.pos
	if _, _, err := s.appendString(nil, modeSkip); err != nil {
		return nil, err
	}
	return s.data[at:s.pos], nil
}

// AppendStringCanonical reads a string value, appends its decoded
// content, and reports whether the string was written in canonical form
// (so that its token is exactly AppendStringBytes of the content).
func (s *Scanner) AppendStringCanonical(dst []byte) ([]byte, bool, error) {
	return s.appendString(dst, modeDecode)
}

func (s *Scanner) appendString(dst []byte, mode int) ([]byte, bool, error) {
	var c byte
	if s.pending && s.pos < len(s.data) && s.data[s.pos] == '"' {
		s.pending, c = false, '"' // start's usual case, without the call
	} else if c, _ = s.start(); s.err != nil {
		return dst, false, s.err
	}
	if c != '"' {
		return dst, false, s.typeError("a string")
	}
	out, n, canonical, err := scanString(dst, s.data[s.pos:], mode)
	if err != nil {
		return dst, false, s.stringError(err)
	}
	s.pos += n
	return out, canonical, nil
}

// number reads a number value and returns its literal, checked against
// JSON's grammar.
func (s *Scanner) number() ([]byte, error) {
	c, ok := s.start()
	if !ok {
		return nil, s.err
	}
	if c != '-' && (c < '0' || c > '9') {
		return nil, s.typeError("a number")
	}
	return s.numberLiteral()
}

// numberLiteral reads the number that starts at s.pos.
func (s *Scanner) numberLiteral() ([]byte, error) {
	n, err := ScanNumber(s.data[s.pos:])
	if err != nil {
		if s.pos+n >= len(s.data) {
			return nil, s.failEOF(err.Error())
		}
		return nil, s.fail(s.pos+n, err.Error())
	}
	lit := s.data[s.pos : s.pos+n]
	s.pos += n
	return lit, nil
}

// Uint reads a non-negative integer that fits in bits bits (8 to 64).
// Like serde, a literal with a fraction or an exponent is a float, never
// an integer, and so is -0.
func (s *Scanner) Uint(bits int) (uint64, error) {
	lit, at, err := s.integer("u", bits)
	if err != nil {
		return 0, err
	}
	v, neg, fits := parseInteger(lit)
	if neg || !fits || (bits < 64 && v>>bits != 0) {
		return 0, s.fail(at, fmt.Sprintf("%s out of range for u%d", lit, bits))
	}
	return v, nil
}

// Int reads an integer that fits in a signed integer of bits bits.
func (s *Scanner) Int(bits int) (int64, error) {
	lit, at, err := s.integer("i", bits)
	if err != nil {
		return 0, err
	}
	v, neg, fits := parseInteger(lit)
	limit := uint64(1) << (bits - 1) // the magnitude of the minimum
	if !fits || (!neg && v >= limit) || (neg && v > limit) {
		return 0, s.fail(at, fmt.Sprintf("%s out of range for i%d", lit, bits))
	}
	if neg {
		return -int64(v-1) - 1, nil
	}
	return int64(v), nil
}

// integer reads a number literal that must be an integer.
func (s *Scanner) integer(sign string, bits int) ([]byte, int, error) {
	var c byte
	if s.pending && s.pos < len(s.data) && s.data[s.pos] > ' ' {
		s.pending, c = false, s.data[s.pos] // start's usual case, without the call
	} else if c, _ = s.start(); s.err != nil {
		return nil, s.pos, s.err
	}
	at := s.pos
	d := s.data
	if c >= '1' && c <= '9' { // the usual case: plain digits
		j := at + 1
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			j++
		}
		if j == len(d) || (d[j] != '.' && d[j] != 'e' && d[j] != 'E') {
			s.pos = j
			return d[at:j], at, nil
		}
	}
	if c != '-' && (c < '0' || c > '9') {
		return nil, at, s.typeError("a number")
	}
	lit, err := s.numberLiteral()
	if err != nil {
		return nil, at, err
	}
	if bytes.ContainsAny(lit, ".eE") || string(lit) == "-0" {
		return nil, at, s.fail(at, fmt.Sprintf("expected %s%d, found floating point %s", sign, bits, lit))
	}
	return lit, at, nil
}

// parseInteger reads an integer literal (digits, optionally after a
// minus sign): its magnitude, its sign, and whether the magnitude fits in
// 64 bits.
func parseInteger(lit []byte) (v uint64, neg, fits bool) {
	if len(lit) > 0 && lit[0] == '-' {
		neg, lit = true, lit[1:]
	}
	for _, c := range lit {
		hi, lo := bits.Mul64(v, 10)
		lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if hi != 0 || carry != 0 {
			return 0, neg, false
		}
		v = lo
	}
	return v, neg, true
}

// Bool reads true or false.
func (s *Scanner) Bool() (bool, error) {
	c, ok := s.start()
	if !ok {
		return false, s.err
	}
	switch c {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	return false, s.typeError("a boolean")
}

// Null reads null.
func (s *Scanner) Null() error {
	c, ok := s.start()
	if !ok {
		return s.err
	}
	if c != 'n' {
		return s.typeError("null")
	}
	return s.literal("null")
}

func (s *Scanner) literal(word string) error {
	rest := s.data[s.pos:]
	if len(rest) < len(word) && bytes.HasPrefix([]byte(word), rest) {
		return s.failEOF("unexpected end of JSON input")
	}
	if !bytes.HasPrefix(rest, []byte(word)) {
		return s.fail(s.pos, "invalid literal, expected "+word)
	}
	s.pos += len(word)
	return nil
}

// Skip reads one value of any type and checks it as Parse would:
// duplicate keys, UTF-8, escapes, numbers, depth.
func (s *Scanner) Skip() error {
	_, err := s.copyValue(nil, false)
	return err
}

// Raw reads one value like Skip and returns its bytes as they stand in
// data (without surrounding whitespace).
func (s *Scanner) Raw() ([]byte, error) {
	if _, err := s.Peek(); err != nil {
		return nil, err
	}
	at := s.pos
	if err := s.Skip(); err != nil {
		return nil, err
	}
	return s.data[at:s.pos], nil
}

// AppendCompact reads one value and appends its canonical compact
// encoding: objects keep their key order, strings and numbers are
// re-encoded as serde_json writes them (see canonicalNumber).
func (s *Scanner) AppendCompact(dst []byte) ([]byte, error) { return s.copyValue(dst, true) }

func (s *Scanner) copyValue(dst []byte, emit bool) ([]byte, error) {
	k, err := s.Peek()
	if err != nil {
		return dst, err
	}
	switch k {
	case String:
		mode := modeSkip
		if emit {
			mode = modeCanonical
		}
		out, _, err := s.appendString(dst, mode)
		return out, err
	case Number:
		lit, err := s.number()
		if err != nil || !emit {
			return dst, err
		}
		if plainInteger(lit) {
			return append(dst, lit...), nil
		}
		text, err := canonicalNumber(string(lit))
		if err != nil {
			return dst, s.fail(s.pos-len(lit), err.Error())
		}
		return append(dst, text...), nil
	case Bool:
		b, err := s.Bool()
		if emit && err == nil {
			if b {
				dst = append(dst, "true"...)
			} else {
				dst = append(dst, "false"...)
			}
		}
		return dst, err
	case Null:
		err := s.Null()
		if emit && err == nil {
			dst = append(dst, "null"...)
		}
		return dst, err
	case Array:
		if err := s.Array(); err != nil {
			return dst, err
		}
		if emit {
			dst = append(dst, '[')
		}
		for n := 0; ; n++ {
			more, err := s.NextElement()
			if err != nil {
				return dst, err
			}
			if !more {
				break
			}
			if emit && n > 0 {
				dst = append(dst, ',')
			}
			if dst, err = s.copyValue(dst, emit); err != nil {
				return dst, err
			}
		}
		if emit {
			dst = append(dst, ']')
		}
		return dst, nil
	}
	if err := s.Object(); err != nil {
		return dst, err
	}
	if emit {
		dst = append(dst, '{')
	}
	for n := 0; ; n++ {
		key, more, err := s.NextMember()
		if err != nil {
			return dst, err
		}
		if !more {
			break
		}
		if emit {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = AppendStringBytes(dst, key)
			dst = append(dst, ':')
		}
		if dst, err = s.copyValue(dst, emit); err != nil {
			return dst, err
		}
	}
	if emit {
		dst = append(dst, '}')
	}
	return dst, nil
}

// plainInteger reports whether lit is an integer literal that serde_json
// writes back unchanged: no fraction or exponent, not -0, and few enough
// digits to fit in an i64 whatever they are.
func plainInteger(lit []byte) bool {
	if len(lit) == 0 || len(lit) > 18 {
		return false
	}
	for _, b := range lit[1:] {
		if b < '0' || b > '9' {
			return false
		}
	}
	return (lit[0] >= '0' && lit[0] <= '9') || (lit[0] == '-' && len(lit) > 1 && string(lit) != "-0")
}

// Value reads one value into a tree (see Parse).
func (s *Scanner) Value() (Value, error) {
	k, err := s.Peek()
	if err != nil {
		return Value{}, err
	}
	switch k {
	case String:
		b, err := s.String()
		return Value{Kind: String, Str: string(b)}, err
	case Number:
		at := s.pos
		lit, err := s.number()
		if err != nil {
			return Value{}, err
		}
		text, err := canonicalNumber(string(lit))
		if err != nil {
			return Value{}, s.fail(at, err.Error())
		}
		return Value{Kind: Number, Num: text}, nil
	case Bool:
		b, err := s.Bool()
		return Value{Kind: Bool, Bool: b}, err
	case Null:
		return Value{Kind: Null}, s.Null()
	case Array:
		v := Value{Kind: Array, Elems: []Value{}}
		if err := s.Array(); err != nil {
			return Value{}, err
		}
		for {
			more, err := s.NextElement()
			if err != nil {
				return Value{}, err
			}
			if !more {
				return v, nil
			}
			e, err := s.Value()
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
	}
	v := Value{Kind: Object, Members: []Member{}}
	if err := s.Object(); err != nil {
		return Value{}, err
	}
	for {
		key, more, err := s.NextMember()
		if err != nil {
			return Value{}, err
		}
		if !more {
			return v, nil
		}
		m := Member{Key: string(key)}
		if m.Value, err = s.Value(); err != nil {
			return Value{}, err
		}
		v.Members = append(v.Members, m)
	}
}

// End checks that nothing but whitespace follows the value read.
func (s *Scanner) End() error {
	if s.err != nil {
		return s.err
	}
	if len(s.stack) > 0 {
		return s.failEOF("unexpected end of JSON input")
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return s.fail(s.pos, "trailing characters after JSON value")
	}
	return nil
}

// ReadAll reads r to its end, refusing more than max bytes (defaultMaxSize
// when max <= 0), for a document that is then scanned. name is used in
// messages.
func ReadAll(r io.Reader, max int, name string) ([]byte, error) {
	if max <= 0 {
		max = defaultMaxSize
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, max)
	}
	return data, nil
}

// LineCol returns the 1-based line and column (in bytes) of offset in
// data, for messages about multi-line documents.
func LineCol(data []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(data))
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = offset - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
