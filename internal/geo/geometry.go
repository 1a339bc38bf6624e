package geo

import (
	"math"
	"math/big"
)

// Empty reports whether b contains no point at all, as the bounds of an
// empty MultiPolygon do.
func (b BBox) Empty() bool { return !(b.MinX <= b.MaxX && b.MinY <= b.MaxY) }

// Contains reports whether p lies in the closed box b.
func (b BBox) Contains(p Point) bool {
	return p.X >= b.MinX && p.X <= b.MaxX && p.Y >= b.MinY && p.Y <= b.MaxY
}

// Intersects reports whether the closed boxes b and o share at least a point.
func (b BBox) Intersects(o BBox) bool {
	return b.MinX <= o.MaxX && o.MinX <= b.MaxX && b.MinY <= o.MaxY && o.MinY <= b.MaxY
}

// emptyBox is the identity for extending a box; Empty reports true for it.
func emptyBox() BBox {
	return BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

func (b *BBox) extend(p Point) {
	b.MinX = min(b.MinX, p.X)
	b.MinY = min(b.MinY, p.Y)
	b.MaxX = max(b.MaxX, p.X)
	b.MaxY = max(b.MaxY, p.Y)
}

// Bounds returns the smallest box holding every vertex of mp, holes
// included, so that it also bounds malformed holes that stick out. The
// bounds of an empty MultiPolygon are Empty.
func (mp MultiPolygon) Bounds() BBox {
	b := emptyBox()
	for _, pg := range mp {
		for _, r := range pg {
			for _, p := range r {
				b.extend(p)
			}
		}
	}
	return b
}

// Contains reports whether p lies inside pg under the package's half-open
// boundary rule: even-odd over the outer ring and every hole, so a point in a
// hole is outside.
func (pg Polygon) Contains(p Point) bool {
	in := false
	for _, r := range pg {
		n := len(r)
		for i := range n {
			// Walking the ring cyclically also closes a ring whose last
			// point is not its first; for a closed ring the extra edge has
			// zero length and never counts.
			j := i + 1
			if j == n {
				j = 0
			}
			if crossesRay(p.X, p.Y, r[i].X, r[i].Y, r[j].X, r[j].Y) {
				in = !in
			}
		}
	}
	return in
}

// Contains reports whether p lies inside one of the polygons of mp, each
// tested with Polygon.Contains. Polygons of a MultiPolygon must not overlap;
// where they do, the overlap still counts as inside.
func (mp MultiPolygon) Contains(p Point) bool {
	for _, pg := range mp {
		if pg.Contains(p) {
			return true
		}
	}
	return false
}

// crossesRay reports whether the ray from (px, py) towards +X crosses the
// edge a-b under the half-open rule. The answer does not depend on the
// direction of the edge.
func crossesRay(px, py, ax, ay, bx, by float64) bool {
	if (ay > py) == (by > py) {
		return false
	}
	if ay > by {
		ax, ay, bx, by = bx, by, ax, ay
	}
	// Cheap exact answers first: the edge spans py, so at that height it lies
	// between its end points' abscissas.
	if px >= ax && px >= bx {
		return false
	}
	if px < ax && px < bx {
		return true
	}
	return orient(ax, ay, bx, by, px, py) > 0
}

// aboveEdge reports whether (qx, qy), nudged right and up by the same
// infinitesimals as the crossing rule, lies above the edge a-b, which must
// straddle qx half-open: (ax > qx) != (bx > qx).
func aboveEdge(qx, qy, ax, ay, bx, by float64) bool {
	if ax > bx {
		ax, ay, bx, by = bx, by, ax, ay
	}
	if qy > ay && qy > by {
		return true
	}
	if qy < ay && qy < by {
		return false
	}
	s := orient(ax, ay, bx, by, qx, qy)
	// On the edge itself the nudge decides: moving right by ε along an edge
	// of slope m changes its height by mε, while the point only rises by ε²,
	// so the point ends up above exactly when the edge does not rise.
	return s > 0 || (s == 0 && by <= ay)
}

// orientBound is the relative error bound of the floating-point determinant
// below: (3 + 16ε)ε with ε = 2⁻⁵³, as derived by Shewchuk for this form.
const orientBound = (3.0 + 16.0*0x1p-53) * 0x1p-53

// orientTiny is a determinant size below which products may have lost bits
// to underflow, so the error bound no longer holds and we go exact.
const orientTiny = 0x1p-900

// orient returns +1 if c lies to the left of the directed line a→b, -1 if to
// the right and 0 if on it, exactly.
func orient(ax, ay, bx, by, cx, cy float64) int {
	acx, bcy := ax-cx, by-cy
	acy, bcx := ay-cy, bx-cx
	// The explicit conversions stop the compiler from fusing the products
	// into the subtraction; the error bound assumes separately rounded steps.
	detl := float64(acx * bcy)
	detr := float64(acy * bcx)
	det := detl - detr
	sum := math.Abs(detl) + math.Abs(detr)
	if sum >= orientTiny {
		if det > orientBound*sum {
			return 1
		}
		if -det > orientBound*sum {
			return -1
		}
	} else if (acx == 0 || bcy == 0) && (acy == 0 || bcx == 0) {
		// Both products are exactly zero (differences of doubles are zero
		// only for equal doubles), so the points are collinear.
		return 0
	}
	return orientExact(ax, ay, bx, by, cx, cy)
}

// orientExact evaluates the orientation with rational arithmetic. It runs
// only for points within rounding distance of the line, so its allocations
// do not matter; non-finite input counts as collinear so that garbage never
// panics and never crosses.
func orientExact(ax, ay, bx, by, cx, cy float64) int {
	for _, v := range [...]float64{ax, ay, bx, by, cx, cy} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
	}
	var r [6]big.Rat
	r[0].SetFloat64(ax)
	r[1].SetFloat64(ay)
	r[2].SetFloat64(bx)
	r[3].SetFloat64(by)
	r[4].SetFloat64(cx)
	r[5].SetFloat64(cy)
	r[0].Sub(&r[0], &r[4]) // ax - cx
	r[3].Sub(&r[3], &r[5]) // by - cy
	r[1].Sub(&r[1], &r[5]) // ay - cy
	r[2].Sub(&r[2], &r[4]) // bx - cx
	r[0].Mul(&r[0], &r[3])
	r[1].Mul(&r[1], &r[2])
	return r[0].Cmp(&r[1])
}

// Area returns the area of mp in square metres, holes subtracted. Each ring
// is measured in the Lambert cylindrical equal-area projection on a sphere
// of radius EarthRadius, which keeps areas exact up to the straight-edge
// approximation, far better than 0.5 % for county-sized shapes.
func (mp MultiPolygon) Area() float64 {
	total := 0.0
	for _, pg := range mp {
		a := 0.0
		for i, r := range pg {
			ra, _, _ := ringMoments(r, 0)
			if i == 0 {
				a += math.Abs(ra)
			} else {
				a -= math.Abs(ra)
			}
		}
		total += math.Max(0, a)
	}
	return total * EarthRadius * EarthRadius
}

// ringMoments returns the signed area and first moments of r in the
// projection x = λ − λ0, y = sin φ (radians), computed relative to the first
// vertex so that small rings far from the origin keep their precision.
func ringMoments(r Ring, lon0 float64) (area, mx, my float64) {
	n := len(r)
	if n < 3 {
		return 0, 0, 0
	}
	const rad = math.Pi / 180
	ox, oy := (r[0].X-lon0)*rad, math.Sin(r[0].Y*rad)
	prevX, prevY := 0.0, 0.0
	for i := 1; i <= n; i++ {
		p := r[i%n]
		x, y := (p.X-lon0)*rad-ox, math.Sin(p.Y*rad)-oy
		c := prevX*y - x*prevY
		area += c
		mx += (prevX + x) * c
		my += (prevY + y) * c
		prevX, prevY = x, y
	}
	area /= 2
	// Moments are relative to the first vertex; shift them back.
	mx = mx/6 + ox*area
	my = my/6 + oy*area
	return area, mx, my
}

// Centroid returns the area-weighted centre of mp, holes subtracted,
// computed in the same equal-area projection as Area. For a shape of zero
// area it returns the mean of the vertices, and for an empty MultiPolygon
// the zero Point. The centroid of a concave shape may lie outside it.
func (mp MultiPolygon) Centroid() Point {
	if len(mp) == 0 || len(mp[0]) == 0 || len(mp[0][0]) == 0 {
		return mp.vertexMean()
	}
	lon0 := mp[0][0][0].X
	var a, mx, my float64
	for _, pg := range mp {
		for i, r := range pg {
			ra, rx, ry := ringMoments(r, lon0)
			// Orient every outer ring positively and every hole negatively,
			// whatever winding the data used.
			s := 1.0
			if (ra < 0) == (i == 0) {
				s = -1
			}
			a += s * ra
			mx += s * rx
			my += s * ry
		}
	}
	if !(math.Abs(a) > 0) {
		return mp.vertexMean()
	}
	const deg = 180 / math.Pi
	return Point{X: lon0 + mx/a*deg, Y: math.Asin(math.Max(-1, math.Min(1, my/a))) * deg}
}

func (mp MultiPolygon) vertexMean() Point {
	var sx, sy float64
	n := 0
	for _, pg := range mp {
		for _, r := range pg {
			for i, p := range r {
				if i == len(r)-1 && i > 0 && p == r[0] {
					continue
				}
				sx += p.X
				sy += p.Y
				n++
			}
		}
	}
	if n == 0 {
		return Point{}
	}
	return Point{sx / float64(n), sy / float64(n)}
}
