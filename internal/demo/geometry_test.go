package demo_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wangge/wangge/internal/demo"
	"github.com/wangge/wangge/internal/geo"
)

// The geometry helpers here are written independently of the generator so
// that the tests do not grade its homework with its own tools.

// kmPerDeg is one degree of latitude on the mean-radius sphere.
const kmPerDeg = 6371.0088 * math.Pi / 180

// ringKM2 is the signed area of a ring in km²: shoelace on longitudes
// shrunk by cos(latitude) at the ring's mean latitude. Positive means
// counter-clockwise.
func ringKM2(r geo.Ring) float64 {
	var lat float64
	for _, p := range r {
		lat += p.Y
	}
	k := math.Cos(lat / float64(len(r)) * math.Pi / 180)
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i].X*k*r[i+1].Y - r[i+1].X*k*r[i].Y
	}
	return a / 2 * kmPerDeg * kmPerDeg
}

// shapeKM2 is the area of a MultiPolygon: outer rings minus holes.
func shapeKM2(m geo.MultiPolygon) float64 {
	var a float64
	for _, poly := range m {
		for i, r := range poly {
			if i == 0 {
				a += math.Abs(ringKM2(r))
			} else {
				a -= math.Abs(ringKM2(r))
			}
		}
	}
	return a
}

// inMultiPolygon is the even-odd rule over every ring: a ray to the east
// crosses the boundary an odd number of times from inside.
func inMultiPolygon(p geo.Point, m geo.MultiPolygon) bool {
	in := false
	for _, poly := range m {
		for _, r := range poly {
			for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
				a, b := r[i], r[j]
				if (a.Y > p.Y) != (b.Y > p.Y) && p.X < a.X+(p.Y-a.Y)*(b.X-a.X)/(b.Y-a.Y) {
					in = !in
				}
			}
		}
	}
	return in
}

func bboxOf(m geo.MultiPolygon) geo.BBox {
	b := geo.BBox{MinX: math.Inf(1), MinY: math.Inf(1), MaxX: math.Inf(-1), MaxY: math.Inf(-1)}
	for _, poly := range m {
		for _, r := range poly {
			for _, p := range r {
				b.MinX, b.MinY = math.Min(b.MinX, p.X), math.Min(b.MinY, p.Y)
				b.MaxX, b.MaxY = math.Max(b.MaxX, p.X), math.Max(b.MaxY, p.Y)
			}
		}
	}
	return b
}

func TestArea(t *testing.T) {
	c := mustCounty(t)
	sum := func(units []demo.Unit) float64 {
		var a float64
		for _, u := range units {
			a += shapeKM2(u.Shape)
		}
		return a
	}
	for _, tc := range []struct {
		name string
		km2  float64
	}{
		{"outline", shapeKM2(c.Outline)},
		{"communities", sum(c.Communities)},
		{"grids", sum(c.Grids)},
		{"micro-grids", sum(c.MicroGrids)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.km2/areaKM2-1) > 0.05 {
				t.Errorf("area %.3f km², want %.1f ± 5%%", tc.km2, areaKM2)
			}
		})
	}
	// The tiling is exact, so the sums agree far more closely than 5 % (not
	// to the last digit: each ring is measured at its own mean latitude).
	if a, b := sum(c.Communities), sum(c.MicroGrids); math.Abs(a/b-1) > 1e-5 {
		t.Errorf("communities cover %.9f km², micro-grids %.9f", a, b)
	}
	cb := bboxOf(c.Outline)
	mid := geo.Point{X: (cb.MinX + cb.MaxX) / 2, Y: (cb.MinY + cb.MaxY) / 2}
	if math.Abs(mid.X-center.X) > 0.01 || math.Abs(mid.Y-center.Y) > 0.01 {
		t.Errorf("area centred on %v, want near %v", mid, center)
	}
}

func TestRings(t *testing.T) {
	c := mustCounty(t)
	for _, tc := range []struct {
		level string
		units []demo.Unit
	}{
		{"community", c.Communities},
		{"grid", c.Grids},
		{"micro-grid", c.MicroGrids},
		{"outline", []demo.Unit{{Shape: c.Outline}}},
	} {
		t.Run(tc.level, func(t *testing.T) {
			for _, u := range tc.units {
				if len(u.Shape) != 1 || len(u.Shape[0]) != 1 {
					t.Fatalf("%s: want one polygon without holes, got %d", u.Code, len(u.Shape))
				}
				if msg := checkRing(u.Shape[0][0]); msg != "" {
					t.Errorf("%s %s: %s", tc.level, u.Code, msg)
				}
				if u.BBox != nil {
					b := bboxOf(u.Shape)
					if *u.BBox != [4]float64{b.MinX, b.MinY, b.MaxX, b.MaxY} {
						t.Errorf("%s: bbox %v, shape spans %v", u.Code, *u.BBox, b)
					}
				}
			}
		})
	}
}

// checkRing returns what is wrong with a ring: open, too short, repeated
// consecutive points, clockwise, or crossing itself.
func checkRing(r geo.Ring) string {
	switch {
	case len(r) < 4:
		return "fewer than 4 points"
	case r[0] != r[len(r)-1]:
		return "not closed"
	case ringKM2(r) <= 0:
		return "not counter-clockwise"
	}
	for i := 0; i+1 < len(r); i++ {
		if r[i] == r[i+1] {
			return "repeated point"
		}
	}
	n := len(r) - 1 // segments
	for i := 0; i < n; i++ {
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue // they share the closing point
			}
			if segmentsCross(r[i], r[i+1], r[j], r[j+1]) {
				return "crosses itself"
			}
		}
	}
	return ""
}

func segmentsCross(a, b, c, d geo.Point) bool {
	orient := func(p, q, r geo.Point) float64 { return (q.X-p.X)*(r.Y-p.Y) - (q.Y-p.Y)*(r.X-p.X) }
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	return (d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0) && d1 != 0 && d2 != 0 && d3 != 0 && d4 != 0
}

// index buckets units by bounding box so that the tiling test checks each
// sample point against a handful of polygons instead of all of them.
type index struct {
	box     geo.BBox
	n       int
	buckets [][]int
	units   []demo.Unit
}

func newIndex(units []demo.Unit, box geo.BBox, n int) *index {
	ix := &index{box: box, n: n, buckets: make([][]int, n*n), units: units}
	for k, u := range units {
		b := bboxOf(u.Shape)
		x0, y0 := ix.cell(b.MinX, b.MinY)
		x1, y1 := ix.cell(b.MaxX, b.MaxY)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				ix.buckets[y*n+x] = append(ix.buckets[y*n+x], k)
			}
		}
	}
	return ix
}

func (ix *index) cell(x, y float64) (int, int) {
	cx := int(float64(ix.n) * (x - ix.box.MinX) / (ix.box.MaxX - ix.box.MinX))
	cy := int(float64(ix.n) * (y - ix.box.MinY) / (ix.box.MaxY - ix.box.MinY))
	return min(max(cx, 0), ix.n-1), min(max(cy, 0), ix.n-1)
}

// containing returns the codes of the units containing p.
func (ix *index) containing(p geo.Point) []string {
	x, y := ix.cell(p.X, p.Y)
	var out []string
	for _, k := range ix.buckets[y*ix.n+x] {
		if inMultiPolygon(p, ix.units[k].Shape) {
			out = append(out, ix.units[k].Code)
		}
	}
	return out
}

func TestTiling(t *testing.T) {
	c := mustCounty(t)
	box := bboxOf(c.Outline)
	micro := newIndex(c.MicroGrids, box, 64)
	grids := newIndex(c.Grids, box, 32)
	comms := newIndex(c.Communities, box, 16)
	rng := rand.New(rand.NewPCG(1, 2))
	inside := 0
	for range 20000 {
		p := geo.Point{X: box.MinX + rng.Float64()*(box.MaxX-box.MinX), Y: box.MinY + rng.Float64()*(box.MaxY-box.MinY)}
		m, g, cm := micro.containing(p), grids.containing(p), comms.containing(p)
		if !inMultiPolygon(p, c.Outline) {
			if len(m)+len(g)+len(cm) > 0 {
				t.Errorf("%v outside the area lies in %v %v %v", p, m, g, cm)
			}
			continue
		}
		inside++
		if len(m) != 1 || len(g) != 1 || len(cm) != 1 {
			t.Errorf("%v lies in micro-grids %v, grids %v, communities %v; want one of each", p, m, g, cm)
			continue
		}
		if !strings.HasPrefix(m[0], g[0]) || !strings.HasPrefix(g[0], cm[0]) {
			t.Errorf("%v: micro-grid %s, grid %s, community %s do not nest", p, m[0], g[0], cm[0])
		}
	}
	if inside < 10000 {
		t.Errorf("only %d of 20000 samples inside the area", inside)
	}
}
