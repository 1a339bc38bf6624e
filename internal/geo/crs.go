package geo

import (
	"math"
	"strconv"
	"strings"

	"github.com/wangge/wangge"
)

// The GCJ-02 obfuscation is defined on the Krasovsky 1940 ellipsoid; these
// are its semi-major axis and first eccentricity squared as published.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
)

// bdPi is the scaled π of the BD-09 formulas, kept exactly as Baidu's SDKs
// use it so that converted points match what Baidu maps display.
const bdPi = math.Pi * 3000.0 / 180.0

// EarthRadius is the mean radius of the Earth in metres (IUGG), used for
// distances and areas; the ellipsoid matters less than 0.5 % at our scale.
const EarthRadius = 6371008.8

// ParseCRS parses the name of a coordinate system as clients send it. It is
// case-insensitive; the empty string means WGS84, "cgcs2000" is accepted as
// WGS84 (they differ by centimetres), as are "epsg:4326" and "epsg:4490",
// and the Baidu API spellings "wgs84ll", "gcj02ll" and "bd09ll" work too. Anything else, including Baidu's
// projected "bd09mc", is an invalid-input error naming the field "crs".
func ParseCRS(s string) (CRS, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "wgs84", "wgs-84", "wgs84ll", "cgcs2000", "epsg:4326", "epsg:4490":
		return WGS84, nil
	case "gcj02", "gcj-02", "gcj02ll":
		return GCJ02, nil
	case "bd09", "bd-09", "bd09ll":
		return BD09, nil
	}
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return "", wangge.FieldError("crs", "unknown coordinate system "+strconv.Quote(s)+"; use wgs84, gcj02 or bd09")
}

// Convert returns p, given in the coordinate system from, expressed in the
// coordinate system to. A CRS other than GCJ02 and BD09 is taken as WGS84, so
// validate user input with ParseCRS first. GCJ-02 leaves points outside
// China's rough bounding box unchanged, as the providers do.
func Convert(p Point, from, to CRS) Point {
	from, to = canonicalCRS(from), canonicalCRS(to)
	if from == to {
		return p
	}
	// GCJ-02 is the hub: BD-09 is defined on top of it, and going through
	// WGS84 would add the iteration error of the inverse for nothing.
	switch from {
	case WGS84:
		p = wgsToGCJ(p)
	case BD09:
		p = bdToGCJ(p)
	}
	switch to {
	case WGS84:
		p = gcjToWGS(p)
	case BD09:
		p = gcjToBD(p)
	}
	return p
}

func canonicalCRS(c CRS) CRS {
	switch c {
	case GCJ02, BD09:
		return c
	}
	return WGS84
}

// outOfChina is the box the providers use to decide whether to obfuscate; it
// is deliberately rough (it includes parts of neighbouring countries).
func outOfChina(p Point) bool {
	return p.X < 72.004 || p.X > 137.8347 || p.Y < 0.8293 || p.Y > 55.8271
}

// gcjOffset returns the GCJ-02 displacement in degrees of a WGS84 point.
func gcjOffset(p Point) (dx, dy float64) {
	x, y := p.X-105.0, p.Y-35.0
	// The two polynomials plus sinusoids are the published obfuscation; only
	// their sum matters, the split into terms follows the original.
	common := (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dlat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dlat += common
	dlat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	dlat += (160.0*math.Sin(y/12.0*math.Pi) + 320.0*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	dlon := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dlon += common
	dlon += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	dlon += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0

	// The sums above are metres on the Krasovsky ellipsoid; scale them to
	// degrees by the meridian and parallel radii of curvature.
	rad := p.Y / 180.0 * math.Pi
	s := math.Sin(rad)
	magic := 1 - krasovskyEE*s*s
	sq := math.Sqrt(magic)
	dy = dlat * 180.0 / ((krasovskyA * (1 - krasovskyEE)) / (magic * sq) * math.Pi)
	dx = dlon * 180.0 / (krasovskyA / sq * math.Cos(rad) * math.Pi)
	return dx, dy
}

func wgsToGCJ(p Point) Point {
	if outOfChina(p) {
		return p
	}
	dx, dy := gcjOffset(p)
	return Point{p.X + dx, p.Y + dy}
}

// gcjMaxIter bounds the inverse iterations; the offset field is so smooth
// (its derivative is about 1e-5) that three steps normally reach 1e-9°.
const gcjMaxIter = 10

// gcjToWGS inverts wgsToGCJ by fixed-point iteration: the obfuscation has no
// closed-form inverse, and the one-step approximation many libraries use is
// off by up to a couple of metres.
func gcjToWGS(g Point) Point {
	if outOfChina(g) {
		return g
	}
	w := g
	for range gcjMaxIter {
		c := wgsToGCJ(w)
		dx, dy := c.X-g.X, c.Y-g.Y
		w.X -= dx
		w.Y -= dy
		if math.Abs(dx) < 1e-9 && math.Abs(dy) < 1e-9 {
			break
		}
	}
	return w
}

func gcjToBD(g Point) Point {
	x, y := g.X, g.Y
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*bdPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdPi)
	return Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// bdToGCJ starts from the published closed-form inverse, which is only good
// to about a decimetre, and polishes it by iterating on gcjToBD so that a
// GCJ-02 → BD-09 → GCJ-02 round trip is exact to well under a millimetre.
func bdToGCJ(b Point) Point {
	x, y := b.X-0.0065, b.Y-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdPi)
	g := Point{z * math.Cos(theta), z * math.Sin(theta)}
	for range gcjMaxIter {
		c := gcjToBD(g)
		dx, dy := c.X-b.X, c.Y-b.Y
		g.X -= dx
		g.Y -= dy
		if math.Abs(dx) < 1e-10 && math.Abs(dy) < 1e-10 {
			break
		}
	}
	return g
}

// Distance returns the great-circle distance between a and b in metres by
// the haversine formula on a sphere of radius EarthRadius, which is accurate
// to about 0.5 % anywhere and far better over the short distances of a county.
func Distance(a, b Point) float64 {
	const rad = math.Pi / 180
	la1, la2 := a.Y*rad, b.Y*rad
	sdLat := math.Sin((la2 - la1) / 2)
	sdLon := math.Sin((b.X - a.X) * rad / 2)
	h := sdLat*sdLat + math.Cos(la1)*math.Cos(la2)*sdLon*sdLon
	return 2 * EarthRadius * math.Asin(math.Sqrt(math.Min(1, h)))
}

// ParseLatLon parses a latitude and a longitude written as plain decimal
// numbers (an exponent is allowed; hexadecimal, "Inf" and "NaN" are not) and
// returns the point. Problems are reported as an invalid-input error naming
// the field "lat" or "lon", or both.
func ParseLatLon(lat, lon string) (Point, error) {
	var v wangge.Validation
	y, ok := parseDegrees(&v, "lat", lat, 90)
	x, ok2 := parseDegrees(&v, "lon", lon, 180)
	if !ok || !ok2 {
		return Point{}, v.Err()
	}
	return Point{x, y}, nil
}

// maxDecimalLen bounds the input so that a hostile request cannot make us
// parse a megabyte of digits; 64 characters is far beyond any real precision.
const maxDecimalLen = 64

func parseDegrees(v *wangge.Validation, field, s string, limit float64) (float64, bool) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		v.Add(field, "required")
		return 0, false
	case len(s) > maxDecimalLen:
		v.Add(field, "too long")
		return 0, false
	case !isDecimal(s):
		v.Add(field, "not a decimal number")
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		v.Add(field, "not a finite number")
		return 0, false
	}
	if f < -limit || f > limit {
		v.Add(field, "out of range [-"+strconv.FormatFloat(limit, 'f', -1, 64)+", "+strconv.FormatFloat(limit, 'f', -1, 64)+"]")
		return 0, false
	}
	return f, true
}

// isDecimal accepts [+-]digits[.digits][(e|E)[+-]digits] with at least one
// digit in the mantissa; strconv alone would also take "inf", "0x1p3" and
// digit separators, none of which a map client sends.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
