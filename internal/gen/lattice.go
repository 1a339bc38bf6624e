package gen

import (
	"math"

	"github.com/wangge/wangge/internal/geo"
)

// lattice is a jittered grid of nx × ny cells over the box. A vertex is a
// function of the seed and its indices alone, so the lattice costs no
// memory however many cells it has. Every unit is a block of cells and its
// ring walks every lattice vertex on the block's edge, so neighbours share
// exactly the same boundary points: the tiling has no gaps or overlaps by
// construction. Vertices on the box's edge move only along it, so the union
// of the units is the box itself.
type lattice struct {
	seed   uint64
	nx, ny int
	dx, dy float64 // degrees per cell
}

// vertex returns lattice vertex (i, j), 0 <= i <= nx, 0 <= j <= ny. A
// jitter of at most 0.2 cells in each direction keeps every cell convex (a
// corner would have to move 0.35 cells towards the opposite diagonal while
// the diagonal moved 0.35 towards it), which GridPoint relies on.
func (l *lattice) vertex(i, j int) point {
	fx, fy := float64(i), float64(j)
	h := hash(l.seed, 4, uint64(j)*uint64(l.nx+1)+uint64(i))
	if i > 0 && i < l.nx {
		fx += jitter * (2*unit01(h) - 1)
	}
	if j > 0 && j < l.ny {
		fy += jitter * (2*unit01(mix(h)) - 1)
	}
	return point{MinLon + fx*l.dx, MinLat + fy*l.dy}
}

// point is a vertex, lon and lat.
type point struct{ x, y float64 }

// ring is a closed ring of vertices.
type ring []point

// ring walks the boundary of r counter-clockwise (east along the bottom,
// north, west along the top, south), the GeoJSON outer-ring orientation,
// and closes it.
func (l *lattice) ring(r rect) ring {
	out := make(ring, 0, 2*(r.w()+r.h())+1)
	for i := r.x0; i < r.x1; i++ {
		out = append(out, l.vertex(int(i), int(r.y0)))
	}
	for j := r.y0; j < r.y1; j++ {
		out = append(out, l.vertex(int(r.x1), int(j)))
	}
	for i := r.x1; i > r.x0; i-- {
		out = append(out, l.vertex(int(i), int(r.y1)))
	}
	for j := r.y1; j > r.y0; j-- {
		out = append(out, l.vertex(int(r.x0), int(j)))
	}
	return append(out, out[0])
}

func (r ring) geo() geo.Ring {
	out := make(geo.Ring, len(r))
	for i, p := range r {
		out[i] = geo.Point{X: p.x, Y: p.y}
	}
	return out
}

func (r ring) bounds() [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range r {
		b[0], b[1] = math.Min(b[0], p.x), math.Min(b[1], p.y)
		b[2], b[3] = math.Max(b[2], p.x), math.Max(b[3], p.y)
	}
	return b
}

// cellPoint returns the point at fractions (u, v) across cell (i, j) by
// bilinear interpolation of its corners: inside the cell for u and v
// strictly between 0 and 1, as the cell is convex.
func (l *lattice) cellPoint(i, j int, u, v float64) geo.Point {
	a, b := l.vertex(i, j), l.vertex(i+1, j)
	c, d := l.vertex(i+1, j+1), l.vertex(i, j+1)
	return geo.Point{
		X: (1-v)*((1-u)*a.x+u*b.x) + v*((1-u)*d.x+u*c.x),
		Y: (1-v)*((1-u)*a.y+u*b.y) + v*((1-u)*d.y+u*c.y),
	}
}
