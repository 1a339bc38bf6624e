package geo_test

import (
	"math"

	"github.com/wangge/wangge/internal/geo"
)

// rng is a small deterministic generator (SplitMix64) so that data sets
// and benchmarks are identical from run to run and machine to machine.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// hashFloat returns a number in [-1, 1) determined by its arguments alone,
// which is how neighbouring cells agree on the shared parts of their
// boundaries without coordinating.
func hashFloat(seed uint64, k ...int) float64 {
	h := seed
	for _, v := range k {
		h = mix(h ^ uint64(v)*0x9e3779b97f4a7c15)
	}
	return float64(h>>11)/(1<<52) - 1
}

// lattice is a jittered tiling of nx×ny cells of size d degrees starting
// at (lon0, lat0): every cell is a polygon of 8 to 20 vertices whose sides
// are shared bit for bit with its neighbours, and one cell in holeEvery
// (none if 0) has a hexagonal hole. Item IDs are 1..nx*ny, row by row.
type lattice struct {
	nx, ny     int
	lon0, lat0 float64
	d          float64
	seed       uint64
	holeEvery  int
}

func (l lattice) corner(i, j int) geo.Point {
	return geo.Point{
		X: l.lon0 + (float64(i)+0.15*hashFloat(l.seed, 1, i, j))*l.d,
		Y: l.lat0 + (float64(j)+0.15*hashFloat(l.seed, 2, i, j))*l.d,
	}
}

// side returns the points strictly between corner (i, j) and the next
// corner to the east (vertical=false) or north (vertical=true).
func (l lattice) side(i, j int, vertical bool) []geo.Point {
	kind := 3
	a, b := l.corner(i, j), l.corner(i+1, j)
	if vertical {
		kind = 4
		b = l.corner(i, j+1)
	}
	k := 1 + int(mix(l.seed^uint64(kind)<<40^uint64(i)<<20^uint64(j))%4)
	pts := make([]geo.Point, k)
	for m := range k {
		t := (float64(m) + 1 + 0.3*hashFloat(l.seed, kind, i, j, m)) / float64(k+1)
		off := 0.1 * hashFloat(l.seed, kind+10, i, j, m) * l.d
		p := geo.Point{X: a.X + (b.X-a.X)*t, Y: a.Y + (b.Y-a.Y)*t}
		if vertical {
			p.X += off
		} else {
			p.Y += off
		}
		pts[m] = p
	}
	return pts
}

func reversed(p []geo.Point) []geo.Point {
	out := make([]geo.Point, len(p))
	for i, v := range p {
		out[len(p)-1-i] = v
	}
	return out
}

// hole returns the hexagonal hole of cell (i, j), clockwise, or nil.
func (l lattice) hole(i, j int) geo.Ring {
	if l.holeEvery == 0 || mix(l.seed^uint64(i)<<32^uint64(j)^0x5555)%uint64(l.holeEvery) != 0 {
		return nil
	}
	cx, cy := l.lon0+(float64(i)+0.5)*l.d, l.lat0+(float64(j)+0.5)*l.d
	r := geo.Ring{}
	for m := range 6 {
		a := -float64(m) * math.Pi / 3
		rad := (0.1 + 0.03*hashFloat(l.seed, 7, i, j, m)) * l.d
		r = append(r, geo.Point{X: cx + rad*math.Cos(a), Y: cy + rad*math.Sin(a)})
	}
	return append(r, r[0])
}

func (l lattice) cell(i, j int) geo.MultiPolygon {
	ring := geo.Ring{l.corner(i, j)}
	ring = append(ring, l.side(i, j, false)...)
	ring = append(ring, l.corner(i+1, j))
	ring = append(ring, l.side(i+1, j, true)...)
	ring = append(ring, l.corner(i+1, j+1))
	ring = append(ring, reversed(l.side(i, j+1, false))...)
	ring = append(ring, l.corner(i, j+1))
	ring = append(ring, reversed(l.side(i, j, true))...)
	ring = append(ring, ring[0])
	pg := geo.Polygon{ring}
	if h := l.hole(i, j); h != nil {
		pg = append(pg, h)
	}
	return geo.MultiPolygon{pg}
}

func (l lattice) items() []geo.Item {
	items := make([]geo.Item, 0, l.nx*l.ny)
	for j := range l.ny {
		for i := range l.nx {
			items = append(items, geo.Item{ID: int64(j*l.nx + i + 1), Shape: l.cell(i, j)})
		}
	}
	return items
}

// bounds returns the box of all items.
func bounds(items []geo.Item) geo.BBox {
	b := geo.BBox{MinX: math.Inf(1), MinY: math.Inf(1), MaxX: math.Inf(-1), MaxY: math.Inf(-1)}
	for _, it := range items {
		ib := it.Shape.Bounds()
		if ib.Empty() {
			continue
		}
		b.MinX, b.MinY = math.Min(b.MinX, ib.MinX), math.Min(b.MinY, ib.MinY)
		b.MaxX, b.MaxY = math.Max(b.MaxX, ib.MaxX), math.Max(b.MaxY, ib.MaxY)
	}
	return b
}
