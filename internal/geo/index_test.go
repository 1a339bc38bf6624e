package geo_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/wangge/wangge/internal/geo"
)

// bruteForce is the reference the index must agree with: every item whose
// shape contains p, by MultiPolygon.Contains, sorted and without repeats.
type bruteForce struct {
	items []geo.Item
	boxes []geo.BBox
}

func newBruteForce(items []geo.Item) *bruteForce {
	bf := &bruteForce{items: items}
	for _, it := range items {
		bf.boxes = append(bf.boxes, it.Shape.Bounds())
	}
	return bf
}

func (bf *bruteForce) all(p geo.Point) []int64 {
	var ids []int64
	for i, it := range bf.items {
		// The closed box is a superset of where Contains can be true.
		if bf.boxes[i].Contains(p) && it.Shape.Contains(p) {
			ids = append(ids, it.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// dataset is a named set of items plus extra probe points of interest.
type dataset struct {
	name   string
	items  []geo.Item
	tiling bool // no two items overlap, so no point may be in two
}

func latticeWithIslands() dataset {
	l := lattice{nx: 24, ny: 20, lon0: 116.0, lat0: 26.4, d: 0.0007, seed: 7, holeEvery: 3}
	items := l.items()
	// Fill half of the holes with an island item sharing the hole's edges,
	// walked the other way round.
	for _, it := range slices.Clone(items) {
		if len(it.Shape[0]) == 2 && it.ID%2 == 0 {
			items = append(items, geo.Item{ID: 100000 + it.ID, Shape: geo.MultiPolygon{{geo.Ring(reversed(it.Shape[0][1]))}}})
		}
	}
	return dataset{name: "lattice with holes and islands", items: items, tiling: true}
}

// star returns a star-shaped (hence simple) ring around c.
func star(r *rng, c geo.Point, radius float64, n int, clockwise bool) geo.Ring {
	ring := make(geo.Ring, 0, n+1)
	phase := r.float() * 2 * math.Pi
	for k := range n {
		a := phase + 2*math.Pi*float64(k)/float64(n)
		if clockwise {
			a = phase - 2*math.Pi*float64(k)/float64(n)
		}
		rad := radius * (0.4 + 0.6*r.float())
		ring = append(ring, geo.Point{X: c.X + rad*math.Cos(a), Y: c.Y + rad*math.Sin(a)})
	}
	return append(ring, ring[0])
}

func overlappingStars() dataset {
	r := &rng{s: 2024}
	var items []geo.Item
	for k := range 80 {
		c := geo.Point{X: 116 + 0.1*r.float(), Y: 26 + 0.1*r.float()}
		rad := 0.002 + 0.03*r.float()
		pg := geo.Polygon{star(r, c, rad, 5+int(r.next()%40), r.next()%2 == 0)}
		if k%3 == 0 {
			pg = append(pg, star(r, c, rad*0.3, 3+int(r.next()%8), r.next()%2 == 0))
		}
		mp := geo.MultiPolygon{pg}
		if k%5 == 0 {
			c2 := geo.Point{X: c.X + 0.05, Y: c.Y - 0.02}
			mp = append(mp, geo.Polygon{star(r, c2, rad, 7, false)})
		}
		// Some negative and some repeated IDs, in no particular order.
		id := int64(r.next()%200) - 50
		items = append(items, geo.Item{ID: id, Shape: mp})
	}
	return dataset{name: "overlapping stars", items: items}
}

func axisSquares() dataset {
	var items []geo.Item
	for j := range 8 {
		for i := range 8 {
			x, y := 116+float64(i)*0.5, 26+float64(j)*0.5
			items = append(items, geo.Item{ID: int64(j*8 + i), Shape: geo.MultiPolygon{{square(x, y, x+0.5, y+0.5)}}})
		}
	}
	// Seventy copies of one square: more candidates than one mask word.
	for k := range 70 {
		items = append(items, geo.Item{ID: int64(1000 + k), Shape: geo.MultiPolygon{{square(116.5, 26.5, 117.5, 27.5)}}})
	}
	// A frame with a hole that is exactly one of the squares.
	items = append(items, geo.Item{ID: 2000, Shape: geo.MultiPolygon{{square(117, 27, 118.5, 28.5), square(117.5, 27.5, 118, 28)}}})
	return dataset{name: "axis-aligned squares", items: items}
}

func degenerateShapes() dataset {
	r := &rng{s: 9}
	circle := geo.Ring{}
	for k := range 5000 {
		a := 2 * math.Pi * float64(k) / 5000
		circle = append(circle, geo.Point{X: 116.05 + 0.01*math.Cos(a), Y: 26.05 + 0.01*math.Sin(a)})
	}
	circle = append(circle, circle[0])
	p := func(x, y float64) geo.Point { return geo.Point{X: 116 + x*0.01, Y: 26 + y*0.01} }
	items := []geo.Item{
		{ID: 1, Shape: geo.MultiPolygon{{geo.Ring{p(0, 0), p(2, 2), p(2, 0), p(0, 2), p(0, 0)}}}},                            // bow tie
		{ID: 2, Shape: geo.MultiPolygon{{geo.Ring{p(3, 0), p(5, 0), p(5, 2), p(3, 2)}}}},                                     // not closed
		{ID: 3, Shape: geo.MultiPolygon{{geo.Ring{p(6, 0), p(6, 0), p(8, 0), p(8, 2), p(8, 2), p(6, 0)}}}},                   // repeated points
		{ID: 4, Shape: geo.MultiPolygon{{geo.Ring{p(0, 3), p(2, 3), p(2, 5), p(1, 5), p(1, 4), p(1, 5), p(0, 5), p(0, 3)}}}}, // slit
		{ID: 5, Shape: geo.MultiPolygon{{geo.Ring{p(3, 3), p(5, 5), p(4, 4), p(3, 3)}}}},                                     // flat
		{ID: 6, Shape: geo.MultiPolygon{{circle}}},                                                                           // many edges
		{ID: 7, Shape: geo.MultiPolygon{{geo.Ring{p(0, 6), p(9, 6.001), p(9, 6.002), p(0, 6)}}}},                             // sliver
		{ID: 8, Shape: geo.MultiPolygon{{}, {geo.Ring{}}, {geo.Ring{p(1, 1)}}}},                                              // nothing
		{ID: 9, Shape: geo.MultiPolygon{{star(r, p(7, 4), 0.02, 300, false)}}},
		{ID: 10, Shape: geo.MultiPolygon{{square(116.06, 26.03, 116.07, 26.04)}, {square(116.06, 26.03, 116.07, 26.04)}}}, // a part drawn twice
	}
	return dataset{name: "degenerate shapes", items: items}
}

// probes returns the points to test: random ones over the bounds, every
// vertex and its neighbours in the last place, points on edges, and points
// on the index's own cell lines.
func probes(items []geo.Item, ix *geo.Index, n int, seed uint64) []geo.Point {
	r := &rng{s: seed}
	b := bounds(items)
	w, h := b.MaxX-b.MinX, b.MaxY-b.MinY
	var pts []geo.Point
	for range n {
		pts = append(pts, geo.Point{X: b.MinX - 0.05*w + 1.1*w*r.float(), Y: b.MinY - 0.05*h + 1.1*h*r.float()})
	}
	var verts []geo.Point
	for _, it := range items {
		for _, pg := range it.Shape {
			for _, ring := range pg {
				for k, v := range ring {
					verts = append(verts, v)
					if k+1 < len(ring) {
						t := r.float()
						w := ring[k+1]
						pts = append(pts, geo.Point{X: v.X + (w.X-v.X)*t, Y: v.Y + (w.Y-v.Y)*t})
					}
				}
			}
		}
	}
	if len(verts) > n {
		r2 := &rng{s: seed + 1}
		for i := range n {
			j := i + int(r2.next()%uint64(len(verts)-i))
			verts[i], verts[j] = verts[j], verts[i]
		}
		verts = verts[:n]
	}
	for _, v := range verts {
		pts = append(pts, v,
			geo.Point{X: math.Nextafter(v.X, math.Inf(1)), Y: v.Y},
			geo.Point{X: math.Nextafter(v.X, math.Inf(-1)), Y: v.Y},
			geo.Point{X: v.X, Y: math.Nextafter(v.Y, math.Inf(1))},
			geo.Point{X: v.X, Y: math.Nextafter(v.Y, math.Inf(-1))})
	}
	xs, ys := geo.CellLines(ix)
	for range n / 4 {
		if len(xs) == 0 {
			break
		}
		x, y := xs[r.next()%uint64(len(xs))], ys[r.next()%uint64(len(ys))]
		pts = append(pts, geo.Point{X: x, Y: y},
			geo.Point{X: x, Y: b.MinY + h*r.float()},
			geo.Point{X: b.MinX + w*r.float(), Y: y})
	}
	return pts
}

// checkIndex compares the index with brute force on every probe.
func checkIndex(t *testing.T, items []geo.Item, pts []geo.Point, tiling bool) {
	t.Helper()
	ix := geo.NewIndex(items)
	if ix.Len() != len(items) {
		t.Errorf("Len = %d, want %d", ix.Len(), len(items))
	}
	bf := newBruteForce(items)
	if pts == nil {
		pts = probes(items, ix, 4000, 1)
	}
	bad := 0
	var dst []int64
	for _, p := range pts {
		want := bf.all(p)
		dst = ix.LocateAll(p, dst[:0])
		id, ok := ix.Locate(p)
		wantID, wantOK := int64(0), len(want) > 0
		if wantOK {
			wantID = want[0]
		}
		if id != wantID || ok != wantOK || !slices.Equal(dst, want) {
			bad++
			if bad <= 5 {
				t.Errorf("at %v: Locate = %d, %v and LocateAll = %v; brute force says %v", p, id, ok, dst, want)
			}
		}
		if tiling && len(want) > 1 {
			t.Errorf("at %v: tiling items %v all contain the point", p, want)
		}
	}
	if bad > 5 {
		t.Errorf("%d of %d probes disagree", bad, len(pts))
	}
}

func TestIndexMatchesBruteForce(t *testing.T) {
	for _, ds := range []dataset{latticeWithIslands(), overlappingStars(), axisSquares(), degenerateShapes()} {
		t.Run(ds.name, func(t *testing.T) {
			checkIndex(t, ds.items, nil, ds.tiling)
		})
	}
}

// TestIndexExactGridPoints probes the axis-aligned data on a lattice of
// exact binary fractions, so most probes sit exactly on edges and vertices.
func TestIndexExactGridPoints(t *testing.T) {
	ds := axisSquares()
	var pts []geo.Point
	for y := 25.75; y <= 29; y += 0.125 {
		for x := 115.75; x <= 119; x += 0.125 {
			pts = append(pts, geo.Point{X: x, Y: y})
		}
	}
	checkIndex(t, ds.items, pts, false)
}

// TestIndexTilingHasNoGaps checks that inner lattice vertices, where three
// or four cells meet, belong to exactly one cell.
func TestIndexTilingHasNoGaps(t *testing.T) {
	l := lattice{nx: 12, ny: 10, lon0: 116.0, lat0: 26.4, d: 0.0007, seed: 7}
	ix := geo.NewIndex(l.items())
	var dst []int64
	for j := 1; j < l.ny; j++ {
		for i := 1; i < l.nx; i++ {
			p := l.corner(i, j)
			if dst = ix.LocateAll(p, dst[:0]); len(dst) != 1 {
				t.Errorf("inner corner %v is in %v, want exactly one cell", p, dst)
			}
		}
	}
}

func TestIndexEdgeCases(t *testing.T) {
	sq := geo.MultiPolygon{{square(116, 26, 116.1, 26.1)}}
	for _, tc := range []struct {
		name   string
		items  []geo.Item
		p      geo.Point
		wantID int64
		wantOK bool
	}{
		{"no items", nil, geo.Point{X: 116.05, Y: 26.05}, 0, false},
		{"empty shape", []geo.Item{{ID: 1}}, geo.Point{X: 116.05, Y: 26.05}, 0, false},
		{"flat shape", []geo.Item{{ID: 1, Shape: geo.MultiPolygon{{geo.Ring{{X: 1, Y: 1}, {X: 2, Y: 1}, {X: 1, Y: 1}}}}}}, geo.Point{X: 1.5, Y: 1}, 0, false},
		{"inside", []geo.Item{{ID: 7, Shape: sq}}, geo.Point{X: 116.05, Y: 26.05}, 7, true},
		{"left edge", []geo.Item{{ID: 7, Shape: sq}}, geo.Point{X: 116, Y: 26.05}, 7, true},
		{"right edge", []geo.Item{{ID: 7, Shape: sq}}, geo.Point{X: 116.1, Y: 26.05}, 0, false},
		{"NaN point", []geo.Item{{ID: 7, Shape: sq}}, geo.Point{X: math.NaN(), Y: 26.05}, 0, false},
		{"infinite point", []geo.Item{{ID: 7, Shape: sq}}, geo.Point{X: math.Inf(1), Y: 26.05}, 0, false},
		{"duplicate items keep the smallest ID", []geo.Item{{ID: 9, Shape: sq}, {ID: 3, Shape: sq}, {ID: 5, Shape: sq}}, geo.Point{X: 116.05, Y: 26.05}, 3, true},
		{"NaN polygon is left out", []geo.Item{{ID: 1, Shape: geo.MultiPolygon{{geo.Ring{{X: 116, Y: 26}, {X: math.NaN(), Y: 26}, {X: 116.1, Y: 26.1}, {X: 116, Y: 26}}}}}, {ID: 2, Shape: sq}}, geo.Point{X: 116.05, Y: 26.05}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := geo.NewIndex(tc.items)
			id, ok := ix.Locate(tc.p)
			if id != tc.wantID || ok != tc.wantOK {
				t.Errorf("Locate(%v) = %d, %v; want %d, %v", tc.p, id, ok, tc.wantID, tc.wantOK)
			}
			if ix.Len() != len(tc.items) {
				t.Errorf("Len = %d, want %d", ix.Len(), len(tc.items))
			}
			all := ix.LocateAll(tc.p, []int64{-1})
			if all[0] != -1 || (len(all) > 1) != tc.wantOK {
				t.Errorf("LocateAll(%v, [-1]) = %v: must append to dst", tc.p, all)
			}
		})
	}
}

// TestIndexRandomTilings repeats the comparison on several generated
// tilings with different seeds and cell sizes.
func TestIndexRandomTilings(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		l := lattice{nx: 5 + int(seed*7%23), ny: 3 + int(seed*5%19), lon0: 100 + float64(seed), lat0: 20, d: 0.0003 * float64(seed), seed: seed, holeEvery: 2 + int(seed%4)}
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			items := l.items()
			checkIndex(t, items, probes(items, geo.NewIndex(items), 2000, seed), true)
		})
	}
}

// TestIndexShapesOnCellLines puts polygon vertices exactly on the index's
// own cell and sub-cell lines. The grid depends only on the bounds and the
// number of edges, so moving the vertices of small placeholder triangles
// inside a fixed frame leaves it unchanged.
func TestIndexShapesOnCellLines(t *testing.T) {
	frame := geo.Item{ID: 1, Shape: geo.MultiPolygon{{square(116, 26, 116.1, 26.1)}}}
	tri := func(a, b, c geo.Point) geo.MultiPolygon { return geo.MultiPolygon{{geo.Ring{a, b, c, a}}} }
	const n = 60
	items := []geo.Item{frame}
	r := &rng{s: 31}
	for k := range n {
		x, y := 116.01+0.08*r.float(), 26.01+0.08*r.float()
		items = append(items, geo.Item{ID: int64(10 + k), Shape: tri(geo.Point{X: x, Y: y}, geo.Point{X: x + 0.003, Y: y + 0.0007}, geo.Point{X: x + 0.001, Y: y + 0.004})})
	}
	allX, allY := geo.CellLines(geo.NewIndex(items))
	// Keep to lines well inside the frame.
	inner := func(v []float64, lo, hi float64) []float64 {
		var out []float64
		for _, x := range v {
			if x > lo && x < hi {
				out = append(out, x)
			}
		}
		return out
	}
	xs, ys := inner(allX, 116.005, 116.095), inner(allY, 26.005, 26.095)
	if len(xs) < 8 || len(ys) < 8 {
		t.Fatalf("only %d×%d inner lines", len(xs), len(ys))
	}
	pick := func(v []float64) (float64, int) {
		i := int(r.next() % uint64(len(v)-3))
		return v[i], i
	}
	for k := range n {
		// Triangles and quadrilaterals with vertices on line crossings, on
		// one line only, and with axis-parallel edges along lines.
		x0, i := pick(xs)
		y0, j := pick(ys)
		x1, y1 := xs[i+1+k%3], ys[j+1+k%2]
		var shape geo.MultiPolygon
		switch k % 3 {
		case 0:
			shape = tri(geo.Point{X: x0, Y: y0}, geo.Point{X: x1, Y: y0}, geo.Point{X: x0, Y: y1})
		case 1:
			shape = tri(geo.Point{X: x0, Y: y0}, geo.Point{X: x1, Y: y1}, geo.Point{X: x0 + 0.3*(x1-x0), Y: y1})
		default:
			shape = tri(geo.Point{X: x0, Y: y0}, geo.Point{X: x1, Y: (y0 + y1) / 2}, geo.Point{X: x0, Y: y1})
		}
		items[1+k].Shape = shape
	}
	ix := geo.NewIndex(items)
	if x2, y2 := geo.CellLines(ix); !slices.Equal(allX, x2) || !slices.Equal(allY, y2) {
		t.Fatal("the grid changed; the test no longer probes its lines")
	}
	var pts []geo.Point
	for range 20000 {
		x, _ := pick(xs)
		y, _ := pick(ys)
		pts = append(pts, geo.Point{X: x, Y: y}, geo.Point{X: x, Y: 26 + 0.1*r.float()}, geo.Point{X: 116 + 0.1*r.float(), Y: y})
	}
	checkIndex(t, items, append(pts, probes(items, ix, 3000, 4)...), false)
}

// TestIndexConcurrentAndIndependent queries from several goroutines (the
// race detector checks that queries only read) and checks that the index
// keeps no reference to the caller's shapes.
func TestIndexConcurrentAndIndependent(t *testing.T) {
	l := lattice{nx: 10, ny: 10, lon0: 116, lat0: 26, d: 0.001, seed: 3, holeEvery: 3}
	items := l.items()
	ix := geo.NewIndex(items)
	pts := probes(items, ix, 500, 8)
	want := make([]int64, len(pts))
	for i, p := range pts {
		want[i], _ = ix.Locate(p)
	}
	for _, it := range items {
		for _, pg := range it.Shape {
			for _, r := range pg {
				for k := range r {
					r[k] = geo.Point{}
				}
			}
		}
	}
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			for i, p := range pts {
				if got, _ := ix.Locate(p); got != want[i] {
					errs <- fmt.Sprintf("Locate(%v) = %d, want %d", p, got, want[i])
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestBaselineAgrees keeps the benchmark's baseline honest: it must give
// the index's answers, or the speed ratio would mean nothing.
func TestBaselineAgrees(t *testing.T) {
	items := benchLattice(2500).items()
	ix, g := geo.NewIndex(items), newBBoxGrid(items)
	for _, p := range queryPoints(items, 5000) {
		id, ok := ix.Locate(p)
		bid, bok := g.locate(p)
		if id != bid || ok != bok {
			t.Fatalf("at %v: index %d %v, baseline %d %v", p, id, ok, bid, bok)
		}
	}
}

// TestLatticeIsATiling checks the generator behind the benchmarks: 8 to 20
// vertices a cell, and every edge inside the tiling drawn by exactly two
// cells in opposite directions, so that neighbours share edges bit for bit.
func TestLatticeIsATiling(t *testing.T) {
	l := lattice{nx: 15, ny: 12, lon0: 116, lat0: 26, d: 0.0005, seed: 42}
	type edge struct{ a, b geo.Point }
	seen := map[edge]int{}
	for _, it := range l.items() {
		ring := it.Shape[0][0]
		if n := len(ring) - 1; n < 8 || n > 20 {
			t.Errorf("cell %d has %d vertices", it.ID, n)
		}
		for k := 0; k+1 < len(ring); k++ {
			seen[edge{ring[k], ring[k+1]}]++
		}
	}
	outer := 0
	for e, n := range seen {
		switch back := seen[edge{e.b, e.a}]; {
		case n != 1 || back > 1:
			t.Fatalf("edge %v drawn %d times forwards and %d backwards", e, n, back)
		case back == 0:
			outer++
		}
	}
	if outer == 0 || outer > 2*(l.nx+l.ny)*5 {
		t.Errorf("%d edges on the outer boundary", outer)
	}
}

// TestIndexBuilderMatchesNewIndex adds the items one at a time, in their
// order, reversed and shuffled (overlapping items and repeated IDs
// included), and checks that the index answers every probe as NewIndex's
// does.
func TestIndexBuilderMatchesNewIndex(t *testing.T) {
	for _, ds := range []dataset{latticeWithIslands(), overlappingStars(), axisSquares(), degenerateShapes()} {
		want := geo.NewIndex(ds.items)
		pts := probes(ds.items, want, 3000, 7)
		reversed := slices.Clone(ds.items)
		slices.Reverse(reversed)
		shuffled := slices.Clone(ds.items)
		r := &rng{s: 11}
		for i := len(shuffled) - 1; i > 0; i-- {
			j := int(r.next() % uint64(i+1))
			shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
		}
		repeated := append(slices.Clone(ds.items), ds.items[:len(ds.items)/3]...)
		for name, items := range map[string][]geo.Item{"in order": ds.items, "reversed": reversed, "shuffled": shuffled, "repeated IDs": repeated} {
			t.Run(ds.name+"/"+name, func(t *testing.T) {
				ib := geo.NewIndexBuilder(0, 0)
				for _, it := range items {
					ib.Add(it.ID, it.Shape)
				}
				got := ib.Build()
				ref := want
				if name == "repeated IDs" {
					ref = geo.NewIndex(items)
				}
				if got.Len() != ref.Len() || got.SizeBytes() != ref.SizeBytes() {
					t.Errorf("Len, SizeBytes = %d, %d; NewIndex gives %d, %d", got.Len(), got.SizeBytes(), ref.Len(), ref.SizeBytes())
				}
				var a, b []int64
				bad := 0
				for _, p := range pts {
					id1, ok1 := got.Locate(p)
					id2, ok2 := ref.Locate(p)
					a, b = got.LocateAll(p, a[:0]), ref.LocateAll(p, b[:0])
					if id1 != id2 || ok1 != ok2 || !slices.Equal(a, b) {
						if bad++; bad <= 5 {
							t.Errorf("at %v: builder says %d %v %v, NewIndex %d %v %v", p, id1, ok1, a, id2, ok2, b)
						}
					}
				}
			})
		}
	}
}
