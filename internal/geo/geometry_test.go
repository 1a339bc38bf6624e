package geo_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/wangge/wangge/internal/geo"
)

func square(x0, y0, x1, y1 float64) geo.Ring {
	return geo.Ring{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}}
}

func TestBBox(t *testing.T) {
	b := geo.BBox{MinX: 0, MinY: 0, MaxX: 2, MaxY: 1}
	for _, tc := range []struct {
		name string
		p    geo.Point
		want bool
	}{
		{"inside", geo.Point{X: 1, Y: 0.5}, true},
		{"on min corner", geo.Point{X: 0, Y: 0}, true},
		{"on max corner", geo.Point{X: 2, Y: 1}, true},
		{"left", geo.Point{X: -0.1, Y: 0.5}, false},
		{"above", geo.Point{X: 1, Y: 1.1}, false},
		{"nan", geo.Point{X: math.NaN(), Y: 0.5}, false},
	} {
		if got := b.Contains(tc.p); got != tc.want {
			t.Errorf("%s: Contains(%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		o    geo.BBox
		want bool
	}{
		{"overlapping", geo.BBox{MinX: 1, MinY: 0.5, MaxX: 3, MaxY: 3}, true},
		{"touching edge", geo.BBox{MinX: 2, MinY: 0, MaxX: 3, MaxY: 1}, true},
		{"touching corner", geo.BBox{MinX: 2, MinY: 1, MaxX: 3, MaxY: 2}, true},
		{"inside", geo.BBox{MinX: 0.5, MinY: 0.2, MaxX: 0.6, MaxY: 0.3}, true},
		{"apart in x", geo.BBox{MinX: 2.1, MinY: 0, MaxX: 3, MaxY: 1}, false},
		{"apart in y", geo.BBox{MinX: 0, MinY: -2, MaxX: 2, MaxY: -0.1}, false},
	} {
		if got := b.Intersects(tc.o); got != tc.want {
			t.Errorf("%s: Intersects(%v) = %v, want %v", tc.name, tc.o, got, tc.want)
		}
		if got := tc.o.Intersects(b); got != tc.want {
			t.Errorf("%s: reversed Intersects = %v, want %v", tc.name, got, tc.want)
		}
	}
	empty := geo.MultiPolygon{}.Bounds()
	if !empty.Empty() || empty.Contains(geo.Point{}) || empty.Intersects(b) {
		t.Errorf("bounds of an empty shape = %v, want an empty box", empty)
	}
	mp := geo.MultiPolygon{{square(0, 0, 1, 1)}, {square(3, -1, 4, 0.5), square(3.2, -0.8, 3.4, -0.6)}}
	if got, want := mp.Bounds(), (geo.BBox{MinX: 0, MinY: -1, MaxX: 4, MaxY: 1}); got != want || got.Empty() {
		t.Errorf("Bounds = %v, want %v", got, want)
	}
}

// donut is a 10×10 square with a 2×2 hole in its middle, plus a separate
// island polygon sitting inside the hole.
var donut = geo.MultiPolygon{
	{square(0, 0, 10, 10), square(4, 4, 6, 6)},
	{square(4.5, 4.5, 5.5, 5.5)},
}

func TestContains(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    geo.Point
		want bool
	}{
		{"solid part", geo.Point{X: 1, Y: 1}, true},
		{"in the hole", geo.Point{X: 4.2, Y: 5}, false},
		{"on the island", geo.Point{X: 5, Y: 5}, true},
		{"outside", geo.Point{X: 11, Y: 5}, false},
		{"left edge belongs", geo.Point{X: 0, Y: 5}, true},
		{"right edge does not", geo.Point{X: 10, Y: 5}, false},
		{"bottom edge belongs", geo.Point{X: 5, Y: 0}, true},
		{"top edge does not", geo.Point{X: 5, Y: 10}, false},
		{"bottom-left corner belongs", geo.Point{X: 0, Y: 0}, true},
		{"bottom-right corner does not", geo.Point{X: 10, Y: 0}, false},
		{"hole's left edge is outside the hole", geo.Point{X: 4, Y: 5.8}, false},
		{"hole's right edge is solid", geo.Point{X: 6, Y: 5}, true},
		{"hole's top edge is solid", geo.Point{X: 5, Y: 6}, true},
		{"hole's bottom edge is in the hole", geo.Point{X: 4.2, Y: 4}, false},
		{"NaN", geo.Point{X: math.NaN(), Y: 5}, false},
	} {
		if got := donut.Contains(tc.p); got != tc.want {
			t.Errorf("%s: Contains(%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
}

// TestSharedEdgeBelongsToOne checks the half-open rule on two squares side
// by side and two stacked, walked in opposite directions: every point on a
// shared edge belongs to exactly one of them.
func TestSharedEdgeBelongsToOne(t *testing.T) {
	// Irrational-looking coordinates, so that the edges are not axis-aligned
	// and the test exercises the exact orientation, not a shortcut.
	a := geo.Point{X: 116.30000001, Y: 26.1}
	b := geo.Point{X: 116.31234567, Y: 26.2000003}
	left := geo.MultiPolygon{{geo.Ring{a, b, {X: 116.2, Y: 26.21}, {X: 116.19, Y: 26.09}, a}}}
	right := geo.MultiPolygon{{geo.Ring{b, a, {X: 116.4, Y: 26.08}, {X: 116.41, Y: 26.22}, b}}}
	r := &rng{s: 3}
	both, none := 0, 0
	for i := range 2000 {
		t := r.float()
		if i == 0 {
			t = 0
		}
		p := geo.Point{X: a.X + (b.X-a.X)*t, Y: a.Y + (b.Y-a.Y)*t}
		l, rr := left.Contains(p), right.Contains(p)
		switch {
		case l && rr:
			both++
		case !l && !rr:
			none++
		}
	}
	if both > 0 || none > 0 {
		t.Errorf("points on the shared edge: %d in both polygons, %d in neither", both, none)
	}
	lower := geo.MultiPolygon{{square(0, 0, 1, 1)}}
	upper := geo.MultiPolygon{{geo.Ring{{X: 0, Y: 1}, {X: 0, Y: 2}, {X: 1, Y: 2}, {X: 1, Y: 1}, {X: 0, Y: 1}}}}
	for _, x := range []float64{0, 0.25, 0.5, 0.999} {
		p := geo.Point{X: x, Y: 1}
		if lower.Contains(p) || !upper.Contains(p) {
			t.Errorf("%v on a horizontal shared edge: lower=%v upper=%v, want it in the upper square only", p, lower.Contains(p), upper.Contains(p))
		}
	}
}

// TestContainsNearlyCollinear puts points within a rounding error of a
// long diagonal edge and checks the side against exact arithmetic.
func TestContainsNearlyCollinear(t *testing.T) {
	a := geo.Point{X: 0.1, Y: 0.1}
	b := geo.Point{X: 123.456789, Y: 45.678901}
	tri := geo.MultiPolygon{{geo.Ring{a, b, {X: 130, Y: 0}, a}}}
	r := &rng{s: 11}
	for range 3000 {
		tt := r.float()
		p := geo.Point{X: a.X + (b.X-a.X)*tt, Y: a.Y + (b.Y-a.Y)*tt}
		// Nudge by a few units in the last place either way.
		for k := range int(r.next() % 4) {
			if k%2 == 0 {
				p.X = math.Nextafter(p.X, math.Inf(1))
			} else {
				p.Y = math.Nextafter(p.Y, math.Inf(-1))
			}
		}
		want := exactRightOf(a, b, p) && p.Y >= a.Y && p.Y < b.Y
		if p.Y > 0 && p.Y < 45 {
			if got := tri.Contains(p); got != want {
				t.Fatalf("Contains(%v) = %v, exact arithmetic says %v", p, got, want)
			}
		}
	}
}

// exactRightOf reports whether p lies on or to the right of the line a→b,
// which for this triangle (interior to the right) means inside.
func exactRightOf(a, b, p geo.Point) bool {
	r := func(f float64) *big.Rat { return new(big.Rat).SetFloat64(f) }
	bx := new(big.Rat).Sub(r(b.X), r(a.X))
	by := new(big.Rat).Sub(r(b.Y), r(a.Y))
	px := new(big.Rat).Sub(r(p.X), r(a.X))
	py := new(big.Rat).Sub(r(p.Y), r(a.Y))
	cross := new(big.Rat).Sub(new(big.Rat).Mul(bx, py), new(big.Rat).Mul(by, px))
	return cross.Sign() <= 0
}

func TestArea(t *testing.T) {
	// A spherical zone band between two parallels has area
	// R²·Δλ·(sin φ2 − sin φ1); the equal-area projection reproduces it.
	zone := func(lon0, lat0, lon1, lat1 float64) float64 {
		const rad = math.Pi / 180
		return geo.EarthRadius * geo.EarthRadius * (lon1 - lon0) * rad * (math.Sin(lat1*rad) - math.Sin(lat0*rad))
	}
	for _, tc := range []struct {
		name string
		mp   geo.MultiPolygon
		want float64
	}{
		{"0.01° square at the equator", geo.MultiPolygon{{square(0, 0, 0.01, 0.01)}}, 1.2364e6},
		{"1° cell at 40°N", geo.MultiPolygon{{square(116, 40, 117, 41)}}, zone(116, 40, 117, 41)},
		{"clockwise ring", geo.MultiPolygon{{geo.Ring{{X: 116, Y: 40}, {X: 116, Y: 41}, {X: 117, Y: 41}, {X: 117, Y: 40}, {X: 116, Y: 40}}}}, zone(116, 40, 117, 41)},
		{"hole subtracted", geo.MultiPolygon{{square(116, 26, 116.1, 26.1), square(116.02, 26.02, 116.04, 26.04)}}, zone(116, 26, 116.1, 26.1) - zone(116.02, 26.02, 116.04, 26.04)},
		{"two polygons add up", geo.MultiPolygon{{square(116, 26, 116.1, 26.1)}, {square(117, 26, 117.1, 26.1)}}, zone(116, 26, 116.1, 26.1) + zone(117, 26, 117.1, 26.1)},
		{"empty", nil, 0},
	} {
		got := tc.mp.Area()
		if math.Abs(got-tc.want) > 1e-3*tc.want+1e-9 {
			t.Errorf("%s: Area = %.6g m², want %.6g", tc.name, got, tc.want)
		}
	}
}

func TestCentroid(t *testing.T) {
	for _, tc := range []struct {
		name string
		mp   geo.MultiPolygon
		want geo.Point
		tol  float64
	}{
		{"square", geo.MultiPolygon{{square(116, 26, 116.2, 26.2)}}, geo.Point{X: 116.1, Y: 26.1}, 1e-4},
		{"hole pushes it away", geo.MultiPolygon{{square(0, 0, 1, 1), square(0, 0.1, 0.5, 0.9)}}, geo.Point{X: 2.0 / 3, Y: 0.5}, 1e-4},
		{"two equal squares", geo.MultiPolygon{{square(0, 0, 1, 1)}, {square(3, 0, 4, 1)}}, geo.Point{X: 2, Y: 0.5}, 1e-4},
		{"flat shape falls back to vertex mean", geo.MultiPolygon{{geo.Ring{{X: 0, Y: 0}, {X: 2, Y: 0}, {X: 4, Y: 0}, {X: 0, Y: 0}}}}, geo.Point{X: 2, Y: 0}, 1e-12},
		{"empty", nil, geo.Point{}, 0},
	} {
		got := tc.mp.Centroid()
		if math.Abs(got.X-tc.want.X) > tc.tol || math.Abs(got.Y-tc.want.Y) > tc.tol {
			t.Errorf("%s: Centroid = %v, want %v", tc.name, got, tc.want)
		}
	}
}
