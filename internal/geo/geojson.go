package geo

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wangge/wangge"
)

// Feature is one boundary read from GeoJSON: its properties as decoded by
// encoding/json (numbers are float64) and its shape.
type Feature struct {
	Properties map[string]any
	Geometry   MultiPolygon
}

// rootField names the document as a whole in errors that have no better
// path, such as malformed JSON.
const rootField = "geojson"

// maxDepth bounds the nesting the scanner follows while skipping members it
// does not interpret (properties, foreign members), so that hostile input
// cannot make it recurse without limit; real properties nest two or three
// levels.
const maxDepth = 64

// ParseFeatureCollection reads boundaries from a GeoJSON FeatureCollection
// whose features have Polygon or MultiPolygon geometry; a Polygon is lifted
// to a MultiPolygon of one polygon. A bare Feature or a bare geometry is
// accepted as a collection of one. Nothing is repaired: a ring must have at
// least four positions and end where it starts, coordinates must be finite
// with longitude in [-180, 180] and latitude in [-90, 90]. The first problem
// found is returned as an invalid-input error whose field is the JSON path,
// such as "features[3].geometry.coordinates[0][1]"; problems with the
// document as a whole name the field "geojson".
func ParseFeatureCollection(data []byte) ([]Feature, error) {
	s := scanner{data: data}
	m, err := s.document()
	if err != nil {
		return nil, err
	}
	switch m.typ {
	case "FeatureCollection":
		return s.featureArray(m)
	case "Feature":
		f, err := s.feature(m, "")
		if err != nil {
			return nil, err
		}
		return []Feature{f}, nil
	case "Polygon", "MultiPolygon":
		mp, err := s.geometry(m, "")
		if err != nil {
			return nil, err
		}
		return []Feature{{Geometry: mp}}, nil
	}
	return nil, m.typeError("", "FeatureCollection, Feature, Polygon or MultiPolygon")
}

// ParseGeometry reads a single GeoJSON Polygon or MultiPolygon geometry
// object, validated as ParseFeatureCollection validates each feature; error
// fields are paths such as "coordinates[0][1]".
func ParseGeometry(data []byte) (MultiPolygon, error) {
	s := scanner{data: data}
	m, err := s.document()
	if err != nil {
		return nil, err
	}
	if m.typ != "Polygon" && m.typ != "MultiPolygon" {
		return nil, m.typeError("", "Polygon or MultiPolygon")
	}
	return s.geometry(m, "")
}

// MarshalGeoJSON returns mp as a compact GeoJSON MultiPolygon geometry object
// with coordinates rounded to 7 decimals (about 1 cm), trailing zeros
// dropped. Coordinates are expected to be finite, as every parsed or
// transformed boundary is; a NaN or infinity is written as null so that the
// fault surfaces at the reader instead of moving a vertex silently.
func (mp MultiPolygon) MarshalGeoJSON() []byte {
	n := 0
	for _, pg := range mp {
		for _, r := range pg {
			n += len(r)
		}
	}
	// "[116.3913050,39.9055300]," is 25 bytes; sizing up front means a
	// single allocation for typical boundaries.
	buf := make([]byte, 0, 48+n*26+len(mp)*4)
	buf = append(buf, `{"type":"MultiPolygon","coordinates":[`...)
	for i, pg := range mp {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '[')
		for j, r := range pg {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			for k, p := range r {
				if k > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, '[')
				buf = appendCoord(buf, p.X)
				buf = append(buf, ',')
				buf = appendCoord(buf, p.Y)
				buf = append(buf, ']')
			}
			buf = append(buf, ']')
		}
		buf = append(buf, ']')
	}
	return append(buf, "]}"...)
}

func appendCoord(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', 7, 64)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if len(b)-start == 2 && b[start] == '-' && b[start+1] == '0' {
		// A tiny negative value rounds to "-0"; write the plain zero.
		b = append(b[:start], '0')
	}
	return b
}

// Transform returns a copy of mp with every vertex converted from one
// coordinate system to another by Convert; mp itself is not modified. Rings
// stay closed because equal points convert to equal points.
func (mp MultiPolygon) Transform(from, to CRS) MultiPolygon {
	n, nr := 0, 0
	for _, pg := range mp {
		nr += len(pg)
		for _, r := range pg {
			n += len(r)
		}
	}
	// Three allocations in all, whatever the number of rings.
	pts := make([]Point, n)
	rings := make([]Ring, nr)
	out := make(MultiPolygon, len(mp))
	for i, pg := range mp {
		out[i], rings = rings[:len(pg):len(pg)], rings[len(pg):]
		for j, r := range pg {
			dst := pts[:len(r):len(r)]
			pts = pts[len(r):]
			for k, p := range r {
				dst[k] = Convert(p, from, to)
			}
			out[i][j] = dst
		}
	}
	return out
}

// scanner is a small validating JSON reader specialised for GeoJSON. It
// builds no generic tree (a million positions decoded into []any would be a
// million allocations), reads coordinates straight into Points, follows
// nesting only as deep as GeoJSON needs, and knows the path of every value
// for error messages. Each object is scanned once to find its members and
// the interesting ones are then read in place.
type scanner struct {
	data []byte
	pos  int
}

// span is the byte range of a member's value, recorded while scanning an
// object because GeoJSON does not fix the order of members: "coordinates"
// may come before "type".
type span struct {
	start, end int
	ok         bool
}

// members holds what we care about in a GeoJSON object.
type members struct {
	typ                                         string
	hasType                                     bool
	features, geometry, properties, coordinates span
}

func (m members) typeError(prefix, want string) error {
	if !m.hasType {
		return wangge.FieldError(prefix+"type", "missing")
	}
	return wangge.FieldError(prefix+"type", "unsupported type "+quoteShort(m.typ)+"; want "+want)
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// objectField names an object in errors from the path prefix of its members.
func objectField(prefix string) string {
	if prefix == "" {
		return rootField
	}
	return strings.TrimSuffix(prefix, ".")
}

// document scans the top-level object, which also validates the syntax of
// the whole input because every member value is either read or skipped.
func (s *scanner) document() (members, error) {
	s.ws()
	m, err := s.object("", 0)
	if err != nil {
		return m, err
	}
	s.ws()
	if s.pos != len(s.data) {
		return m, s.syntaxError("unexpected data after the top-level object")
	}
	return m, nil
}

func (s *scanner) syntaxError(what string) error {
	return wangge.FieldError(rootField, "malformed JSON at byte "+strconv.Itoa(s.pos)+": "+what)
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// next returns the next significant byte without consuming it, or 0 at the
// end of input (0 is never valid there, so callers need no extra check).
func (s *scanner) next() byte {
	s.ws()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) consume(c byte) bool {
	if s.next() == c {
		s.pos++
		return true
	}
	return false
}

// object scans the object at the cursor, recording the members GeoJSON
// gives meaning to and skipping the others. prefix is the path of the
// object, empty or ending in '.'.
func (s *scanner) object(prefix string, depth int) (members, error) {
	var m members
	if s.next() != '{' {
		if s.pos >= len(s.data) {
			return m, s.syntaxError("unexpected end of input")
		}
		return m, wangge.FieldError(objectField(prefix), "must be a JSON object")
	}
	s.pos++
	if s.consume('}') {
		return m, nil
	}
	for {
		if s.next() != '"' {
			return m, s.syntaxError("expected a member name")
		}
		key, err := s.key()
		if err != nil {
			return m, err
		}
		if !s.consume(':') {
			return m, s.syntaxError("expected ':'")
		}
		var sp *span
		switch key {
		case "type":
			if m.hasType {
				return m, wangge.FieldError(prefix+key, "duplicate member")
			}
			m.hasType = true
			if s.next() != '"' {
				if err := s.skip(depth + 1); err != nil {
					return m, err
				}
				return m, wangge.FieldError(prefix+key, "must be a string")
			}
			if m.typ, err = s.stringValue(); err != nil {
				return m, err
			}
		case "features":
			sp = &m.features
		case "geometry":
			sp = &m.geometry
		case "properties":
			sp = &m.properties
		case "coordinates":
			sp = &m.coordinates
		default:
			if err := s.skip(depth + 1); err != nil {
				return m, err
			}
		}
		if sp != nil {
			// Two values for one member would let two readers of the same
			// document see different boundaries; refuse instead of picking.
			if sp.ok {
				return m, wangge.FieldError(prefix+key, "duplicate member")
			}
			s.ws()
			sp.start = s.pos
			if err := s.skip(depth + 1); err != nil {
				return m, err
			}
			sp.end, sp.ok = s.pos, true
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return m, nil
		}
		if s.pos >= len(s.data) {
			return m, s.syntaxError("unexpected end of input")
		}
		return m, s.syntaxError("expected ',' or '}'")
	}
}

// key reads a member name and returns it if it is one we interpret, or ""
// otherwise; recognising names in place avoids an allocation per member.
func (s *scanner) key() (string, error) {
	start := s.pos + 1
	esc, err := s.skipString()
	if err != nil {
		return "", err
	}
	raw := s.data[start : s.pos-1]
	if esc {
		var k string
		if json.Unmarshal(s.data[start-1:s.pos], &k) != nil {
			return "", s.syntaxError("bad string")
		}
		raw = []byte(k)
	}
	switch string(raw) {
	case "type":
		return "type", nil
	case "features":
		return "features", nil
	case "geometry":
		return "geometry", nil
	case "properties":
		return "properties", nil
	case "coordinates":
		return "coordinates", nil
	}
	return "", nil
}

// stringValue reads a string at the cursor and returns its decoded value.
func (s *scanner) stringValue() (string, error) {
	start := s.pos
	esc, err := s.skipString()
	if err != nil {
		return "", err
	}
	if !esc {
		return string(s.data[start+1 : s.pos-1]), nil
	}
	var v string
	if json.Unmarshal(s.data[start:s.pos], &v) != nil {
		return "", s.syntaxError("bad string")
	}
	return v, nil
}

// skipString moves past the string at the cursor, validating escapes and
// rejecting raw control characters, and reports whether it had escapes.
func (s *scanner) skipString() (escaped bool, err error) {
	s.pos++ // opening quote
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, nil
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				s.pos = len(s.data)
				return escaped, s.syntaxError("unexpected end of input")
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) {
					s.pos = len(s.data)
					return escaped, s.syntaxError("unexpected end of input")
				}
				for _, h := range s.data[s.pos+2 : s.pos+6] {
					if !isHex(h) {
						return escaped, s.syntaxError("bad \\u escape")
					}
				}
				s.pos += 6
			default:
				return escaped, s.syntaxError("bad escape")
			}
		case c < 0x20:
			return escaped, s.syntaxError("control character in string")
		case c < utf8.RuneSelf:
			s.pos++
		default:
			// Invalid UTF-8 is let through, as encoding/json does (it
			// becomes U+FFFD when properties are decoded).
			s.pos++
		}
	}
	return escaped, s.syntaxError("unterminated string")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// skip moves past one JSON value of any kind, validating it.
func (s *scanner) skip(depth int) error {
	switch c := s.next(); {
	case c == '{':
		if depth >= maxDepth {
			return s.syntaxError("nesting too deep")
		}
		s.pos++
		if s.consume('}') {
			return nil
		}
		for {
			if s.next() != '"' {
				return s.syntaxError("expected a member name")
			}
			if _, err := s.skipString(); err != nil {
				return err
			}
			if !s.consume(':') {
				return s.syntaxError("expected ':'")
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				return nil
			}
			return s.syntaxError("expected ',' or '}'")
		}
	case c == '[':
		if depth >= maxDepth {
			return s.syntaxError("nesting too deep")
		}
		s.pos++
		if s.consume(']') {
			return nil
		}
		for {
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			if s.consume(',') {
				continue
			}
			if s.consume(']') {
				return nil
			}
			return s.syntaxError("expected ',' or ']'")
		}
	case c == '"':
		_, err := s.skipString()
		return err
	case c == '-' || c >= '0' && c <= '9':
		_, err := s.number()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == 0 && s.pos >= len(s.data):
		return s.syntaxError("unexpected end of input")
	}
	return s.syntaxError("unexpected character " + strconv.QuoteRune(rune(s.data[s.pos])))
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return s.syntaxError("bad literal")
	}
	s.pos += len(word)
	return nil
}

// number moves past a number in strict JSON grammar and returns its text.
func (s *scanner) number() ([]byte, error) {
	start := s.pos
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		return nil, s.syntaxError("bad number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return nil, s.syntaxError("bad number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return nil, s.syntaxError("bad number")
		}
	}
	s.pos = i
	return d[start:i], nil
}

// at returns a scanner positioned on a value recorded by object; the value
// has been validated already, so errors from here on are about its shape.
func (s *scanner) at(sp span) *scanner {
	return &scanner{data: s.data[:sp.end], pos: sp.start}
}

func (s *scanner) isNull(sp span) bool {
	return sp.end-sp.start == 4 && string(s.data[sp.start:sp.end]) == "null"
}

func (s *scanner) featureArray(m members) ([]Feature, error) {
	if !m.features.ok {
		return nil, wangge.FieldError("features", "missing")
	}
	a := s.at(m.features)
	if !a.consume('[') {
		return nil, wangge.FieldError("features", "must be an array")
	}
	if a.consume(']') {
		return nil, wangge.FieldError("features", "no features")
	}
	var out []Feature
	for i := 0; ; i++ {
		prefix := "features[" + strconv.Itoa(i) + "]."
		fm, err := a.object(prefix, 2)
		if err != nil {
			return nil, err
		}
		if fm.typ != "Feature" {
			return nil, fm.typeError(prefix, `"Feature"`)
		}
		f, err := a.feature(fm, prefix)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if a.consume(',') {
			continue
		}
		if a.consume(']') {
			return out, nil
		}
		return nil, a.syntaxError("expected ',' or ']'")
	}
}

func (s *scanner) feature(m members, prefix string) (Feature, error) {
	var f Feature
	if !m.geometry.ok || s.isNull(m.geometry) {
		return f, wangge.FieldError(prefix+"geometry", "missing")
	}
	gprefix := prefix + "geometry."
	gm, err := s.at(m.geometry).object(gprefix, 3)
	if err != nil {
		return f, err
	}
	if gm.typ != "Polygon" && gm.typ != "MultiPolygon" {
		return f, gm.typeError(gprefix, "Polygon or MultiPolygon")
	}
	if f.Geometry, err = s.geometry(gm, gprefix); err != nil {
		return f, err
	}
	if m.properties.ok && !s.isNull(m.properties) {
		raw := s.data[m.properties.start:m.properties.end]
		if raw[0] != '{' {
			return f, wangge.FieldError(prefix+"properties", "must be an object or null")
		}
		if err := json.Unmarshal(raw, &f.Properties); err != nil {
			return f, wangge.FieldError(prefix+"properties", "malformed")
		}
	}
	return f, nil
}

// coordPath is the path of a value inside "coordinates"; it is formatted
// only when an error is reported.
type coordPath struct {
	prefix string
	idx    [3]int
	n      int
}

func (c coordPath) push(i int) coordPath {
	c.idx[c.n] = i
	c.n++
	return c
}

func (c coordPath) String() string {
	var b strings.Builder
	b.WriteString(c.prefix)
	b.WriteString("coordinates")
	for _, i := range c.idx[:c.n] {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(']')
	}
	return b.String()
}

func (c coordPath) err(problem string) error {
	return wangge.FieldError(c.String(), problem)
}

func (s *scanner) geometry(m members, prefix string) (MultiPolygon, error) {
	path := coordPath{prefix: prefix}
	if !m.coordinates.ok {
		return nil, path.err("missing")
	}
	c := s.at(m.coordinates)
	if m.typ == "Polygon" {
		pg, err := c.polygon(path)
		if err != nil {
			return nil, err
		}
		return MultiPolygon{pg}, nil
	}
	if !c.consume('[') {
		return nil, path.err("must be an array of polygons")
	}
	if c.consume(']') {
		return nil, path.err("no polygons")
	}
	return elements(c, path, c.polygon)
}

func (s *scanner) polygon(path coordPath) (Polygon, error) {
	if !s.consume('[') {
		return nil, path.err("must be an array of rings")
	}
	if s.consume(']') {
		return nil, path.err("polygon has no rings")
	}
	return elements(s, path, s.ring)
}

// elements reads the elements of an array whose '[' is consumed and which is
// not empty, each with elem at its own path, up to the closing ']'.
func elements[T any](s *scanner, path coordPath, elem func(coordPath) (T, error)) ([]T, error) {
	var out []T
	for i := 0; ; i++ {
		e, err := elem(path.push(i))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			return out, nil
		}
		return nil, s.syntaxError("expected ',' or ']'")
	}
}

func (s *scanner) ring(path coordPath) (Ring, error) {
	if !s.consume('[') {
		return nil, path.err("must be an array of positions")
	}
	var r Ring
	if !s.consume(']') {
		for {
			p, err := s.position(path, len(r))
			if err != nil {
				return nil, err
			}
			r = append(r, p)
			if s.consume(',') {
				continue
			}
			if s.consume(']') {
				break
			}
			return nil, s.syntaxError("expected ',' or ']'")
		}
	}
	switch {
	case len(r) < 4:
		return nil, path.err("ring has fewer than 4 positions")
	case r[0] != r[len(r)-1]:
		return nil, path.err("ring not closed")
	}
	return r[:len(r):len(r)], nil
}

// position reads [lon, lat] or [lon, lat, altitude]; the altitude is
// checked for syntax and dropped.
func (s *scanner) position(ring coordPath, i int) (Point, error) {
	path := ring.push(i)
	if !s.consume('[') {
		return Point{}, path.err("must be a position [lon, lat]")
	}
	var v [3]float64
	n := 0
	for {
		if c := s.next(); c != '-' && (c < '0' || c > '9') {
			return Point{}, path.err("must be a position [lon, lat]")
		}
		if n == len(v) {
			return Point{}, path.err("position has more than 3 numbers")
		}
		text, err := s.number()
		if err != nil {
			return Point{}, err
		}
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil || math.IsInf(f, 0) {
			return Point{}, path.err("coordinate is not a finite number")
		}
		v[n] = f
		n++
		if s.consume(',') {
			continue
		}
		if s.consume(']') {
			break
		}
		return Point{}, s.syntaxError("expected ',' or ']'")
	}
	switch {
	case n < 2:
		return Point{}, path.err("must be a position [lon, lat]")
	case v[0] < -180 || v[0] > 180:
		return Point{}, path.err("longitude out of range [-180, 180]")
	case v[1] < -90 || v[1] > 90:
		return Point{}, path.err("latitude out of range [-90, 90]")
	}
	return Point{v[0], v[1]}, nil
}
