package demo

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/wangge/wangge/internal/geo"
)

// kmPerDegree is the length of one degree of latitude on a sphere of the
// mean Earth radius; one degree of longitude is that times cos(latitude).
// At the scale of a town the spherical approximation is far inside the
// tolerance anybody checks areas with.
const kmPerDegree = 6371.0088 * math.Pi / 180

// cellsPerMicroGrid is the average number of lattice cells in a micro-grid.
// Seven leaves room for irregular blocks while keeping the lattice (and the
// vertex count of every ring) small.
const cellsPerMicroGrid = 7

// minCells is the fewest cells a micro-grid may get, so that none collapses
// into a sliver.
const minCells = 3

// rect is a block of lattice cells: columns x0..x1-1 and rows y0..y1-1, so
// its corners are the lattice vertices (x0,y0) and (x1,y1).
type rect struct{ x0, y0, x1, y1 int }

func (r rect) cells() int { return (r.x1 - r.x0) * (r.y1 - r.y0) }

// lattice is a jittered, gently warped and rotated grid of vertices covering
// the urban area. Every unit is a block of its cells, and every ring is
// walked along its vertices, so neighbouring units share exactly the same
// boundary points: the tiling has no gaps or overlaps by construction.
type lattice struct {
	nx, ny     int
	colX, rowY []float64   // nominal line positions in cell units, used to size cuts
	pts        []geo.Point // (nx+1)*(ny+1) vertices in WGS84 degrees, row-major from the south-west
}

// newLattice builds a lattice of about cells cells whose outline encloses
// areaKM2 square kilometres around center.
func newLattice(rng *rand.Rand, center geo.Point, areaKM2 float64, cells int) *lattice {
	aspect := 1.1 + 0.25*rng.Float64()
	ny := int(math.Round(math.Sqrt(float64(cells) / aspect)))
	nx := int(math.Round(float64(cells) / float64(ny)))
	l := &lattice{nx: nx, ny: ny, colX: spacing(rng, nx), rowY: spacing(rng, ny)}

	// Street spacing varies (spacing), streets bend over a few kilometres
	// (the sine warp, whose slope stays below 0.3 so no cell folds), corners
	// are not surveyed to the metre (jitter) and the town is not aligned
	// with the meridian (rotation).
	ox, oy := l.colX[nx]/2, l.rowY[ny]/2
	sin, cos := math.Sincos((2*rng.Float64() - 1) * 0.2)
	ax, ay := 1.2+0.8*rng.Float64(), 1.2+0.8*rng.Float64()
	kx := 2 * math.Pi / (float64(ny) * (0.45 + 0.3*rng.Float64()))
	ky := 2 * math.Pi / (float64(nx) * (0.45 + 0.3*rng.Float64()))
	px, py := 2*math.Pi*rng.Float64(), 2*math.Pi*rng.Float64()
	const jitter = 0.12
	local := make([]geo.Point, (nx+1)*(ny+1))
	for j := 0; j <= ny; j++ {
		for i := 0; i <= nx; i++ {
			x0, y0 := l.colX[i]-ox, l.rowY[j]-oy
			x := x0 + ax*math.Sin(kx*y0+px) + jitter*(2*rng.Float64()-1)
			y := y0 + ay*math.Sin(ky*x0+py) + jitter*(2*rng.Float64()-1)
			local[j*(nx+1)+i] = geo.Point{X: x*cos - y*sin, Y: x*sin + y*cos}
		}
	}

	// Scale so that the outline encloses exactly the requested area.
	outline := l.ringOf(local, rect{0, 0, nx, ny})
	s := math.Sqrt(areaKM2 / ringArea(outline))
	degLat := s / kmPerDegree
	degLon := degLat / math.Cos(center.Y*math.Pi/180)
	l.pts = local // reuse the storage: each point is read once, then replaced
	for k, p := range local {
		l.pts[k] = geo.Point{X: center.X + p.X*degLon, Y: center.Y + p.Y*degLat}
	}
	return l
}

// spacing returns n+1 increasing line positions starting at 0 whose gaps
// vary between 0.7 and 1.3.
func spacing(rng *rand.Rand, n int) []float64 {
	pos := make([]float64, n+1)
	for i := 1; i <= n; i++ {
		pos[i] = pos[i-1] + 0.7 + 0.6*rng.Float64()
	}
	return pos
}

// at returns the vertex at column line i and row line j.
func (l *lattice) at(i, j int) geo.Point { return l.pts[j*(l.nx+1)+i] }

// ring returns the outline of r in WGS84.
func (l *lattice) ring(r rect) geo.Ring { return l.ringOf(l.pts, r) }

// ringOf walks the boundary of r along every lattice vertex on it: east
// along the bottom, north, west along the top, south. With longitude east
// and latitude north that is counter-clockwise, the GeoJSON outer-ring
// orientation. Including the intermediate vertices is what makes a grid's
// outline coincide with the union of its micro-grids.
func (l *lattice) ringOf(pts []geo.Point, r rect) geo.Ring {
	stride := l.nx + 1
	ring := make(geo.Ring, 0, 2*(r.x1-r.x0+r.y1-r.y0)+1)
	for i := r.x0; i < r.x1; i++ {
		ring = append(ring, pts[r.y0*stride+i])
	}
	for j := r.y0; j < r.y1; j++ {
		ring = append(ring, pts[j*stride+r.x1])
	}
	for i := r.x1; i > r.x0; i-- {
		ring = append(ring, pts[r.y1*stride+i])
	}
	for j := r.y1; j > r.y0; j-- {
		ring = append(ring, pts[j*stride+r.x0])
	}
	return append(ring, ring[0])
}

// ringArea is the shoelace area of a closed ring, positive when
// counter-clockwise.
func ringArea(r geo.Ring) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i].X*r[i+1].Y - r[i+1].X*r[i].Y
	}
	return a / 2
}

// cellPoint returns the point at fractions (u, v) across the cell at column
// i, row j, by bilinear interpolation of its corners. For u and v strictly
// between 0 and 1 it lies inside the cell, which stays convex under the mild
// jitter and warp of the lattice.
func (l *lattice) cellPoint(i, j int, u, v float64) geo.Point {
	a, b := l.at(i, j), l.at(i+1, j)
	c, d := l.at(i+1, j+1), l.at(i, j+1)
	return geo.Point{
		X: (1-v)*((1-u)*a.X+u*b.X) + v*((1-u)*d.X+u*c.X),
		Y: (1-v)*((1-u)*a.Y+u*b.Y) + v*((1-u)*d.Y+u*c.Y),
	}
}

var errLayout = errors.New("demo: cannot fit the units into the lattice")

// split cuts r into len(leaves) blocks, out[i] for item i, with areas
// roughly proportional to leaves[i], the number of micro-grids item i will
// hold. It is a guillotine cut: the items are halved by weight, the block is
// cut across its longer side at the matching fraction (give or take jitter,
// so blocks vary in size) and both halves recurse. Consecutive items stay
// next to each other, so neighbouring codes are neighbours on the map, and
// cutting across the longer side keeps blocks compact. When a half cannot be
// divided further it backtracks to the next split point or orientation; it
// fails only if none fits.
func (l *lattice) split(rng *rand.Rand, r rect, leaves []int, jitter float64, out []rect) error {
	if len(leaves) == 1 {
		out[0] = r
		return nil
	}
	total := 0
	for _, n := range leaves {
		total += n
	}
	target := float64(total) * (0.4 + 0.2*rng.Float64())
	spanX := l.colX[r.x1] - l.colX[r.x0]
	spanY := l.rowY[r.y1] - l.rowY[r.y0]
	vertical := spanX > spanY
	if spanX < 1.2*spanY && spanY < 1.2*spanX {
		vertical = rng.IntN(2) == 0 // near-square: either way looks natural
	}
	jit := 1 + jitter*(2*rng.Float64()-1)
	// Try the split points nearest the target first: a tight block (five
	// micro-grids in 4×4 cells) may only fit when split 1+4, not 2+3.
	prefix := make([]int, len(leaves))
	for i := 1; i < len(leaves); i++ {
		prefix[i] = prefix[i-1] + leaves[i-1]
	}
	cand := make([]int, 0, len(leaves)-1)
	for m := 1; m < len(leaves); m++ {
		cand = append(cand, m)
	}
	slices.SortStableFunc(cand, func(a, b int) int {
		return cmp.Compare(math.Abs(float64(prefix[a])-target), math.Abs(float64(prefix[b])-target))
	})
	for _, m := range cand {
		nA := prefix[m]
		frac := float64(nA) / float64(total) * jit
		for _, v := range [2]bool{vertical, !vertical} {
			a, b, ok := l.cut(r, v, frac, nA, total-nA)
			if !ok {
				continue
			}
			if l.split(rng, a, leaves[:m], jitter, out[:m]) == nil && l.split(rng, b, leaves[m:], jitter, out[m:]) == nil {
				return nil
			}
		}
	}
	return errLayout
}

// cut divides r by the lattice line nearest to fraction frac of its width
// (vertical) or height, among the lines that leave each side at least
// minCells cells per micro-grid.
func (l *lattice) cut(r rect, vertical bool, frac float64, nA, nB int) (a, b rect, ok bool) {
	lines, lo, hi, across := l.colX, r.x0, r.x1, r.y1-r.y0
	if !vertical {
		lines, lo, hi, across = l.rowY, r.y0, r.y1, r.x1-r.x0
	}
	target := lines[lo] + (lines[hi]-lines[lo])*frac
	best, bestD := -1, math.Inf(1)
	for c := lo + 1; c < hi; c++ {
		if (c-lo)*across < minCells*nA || (hi-c)*across < minCells*nB {
			continue
		}
		if d := math.Abs(lines[c] - target); d < bestD {
			best, bestD = c, d
		}
	}
	if best < 0 {
		return rect{}, rect{}, false
	}
	a, b = r, r
	if vertical {
		a.x1, b.x0 = best, best
	} else {
		a.y1, b.y0 = best, best
	}
	return a, b, true
}

// layout is the geometry of the whole area: one block per community, grid
// and micro-grid, in code order.
type layout struct {
	lat         *lattice
	communities []rect
	grids       []rect
	micro       []rect
}

// newLayout cuts the lattice into communities, each community into its
// grids and each grid into its micro-grids. gridsPer[c] is the number of
// grids of community c and microPer[g] the number of micro-grids of grid g.
func newLayout(rng *rand.Rand, center geo.Point, areaKM2 float64, gridsPer, microPer []int) (*layout, error) {
	nMicro := 0
	for _, n := range microPer {
		nMicro += n
	}
	lat := newLattice(rng, center, areaKM2, nMicro*cellsPerMicroGrid)
	ly := &layout{
		lat:         lat,
		communities: make([]rect, len(gridsPer)),
		grids:       make([]rect, len(microPer)),
		micro:       make([]rect, nMicro),
	}
	// A community weighs as many micro-grids as it will hold, so that
	// micro-grids come out about the same size everywhere.
	commLeaves := make([]int, len(gridsPer))
	for c, g := 0, 0; c < len(gridsPer); c++ {
		for range gridsPer[c] {
			commLeaves[c] += microPer[g]
			g++
		}
	}
	if err := lat.split(rng, rect{0, 0, lat.nx, lat.ny}, commLeaves, 0.1, ly.communities); err != nil {
		return nil, err
	}
	ones := make([]int, 0, 16)
	g, m := 0, 0
	for c, cr := range ly.communities {
		n := gridsPer[c]
		if err := lat.split(rng, cr, microPer[g:g+n], 0.1, ly.grids[g:g+n]); err != nil {
			return nil, err
		}
		for k := g; k < g+n; k++ {
			ones = ones[:0]
			for range microPer[k] {
				ones = append(ones, 1)
			}
			if err := lat.split(rng, ly.grids[k], ones, 0.15, ly.micro[m:m+microPer[k]]); err != nil {
				return nil, err
			}
			m += microPer[k]
		}
		g += n
	}
	return ly, nil
}

// shape turns a block into a one-polygon MultiPolygon and its bounding box.
func (l *lattice) shape(r rect) (geo.MultiPolygon, *[4]float64) {
	ring := l.ring(r)
	bb := [4]float64{ring[0].X, ring[0].Y, ring[0].X, ring[0].Y}
	for _, p := range ring[1:] {
		bb[0], bb[1] = math.Min(bb[0], p.X), math.Min(bb[1], p.Y)
		bb[2], bb[3] = math.Max(bb[2], p.X), math.Max(bb[3], p.Y)
	}
	return geo.MultiPolygon{geo.Polygon{ring}}, &bb
}
