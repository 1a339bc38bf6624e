package geo_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wangge/wangge/internal/geo"
)

// benchLattice returns the tiling used by the benchmarks: n cells of about
// 50 m (micro-grid size) around Ningdu, one in five with a hole.
func benchLattice(n int) lattice {
	side := int(math.Sqrt(float64(n)))
	return lattice{nx: side, ny: n / side, lon0: 115.8, lat0: 26.2, d: 0.0005, seed: 42, holeEvery: 5}
}

// benchData caches generated items across benchmarks and -count runs: the
// million-polygon tiling takes seconds to generate.
var benchData struct {
	sync.Mutex
	items map[int][]geo.Item
}

func benchItems(b *testing.B, n int) []geo.Item {
	b.Helper()
	benchData.Lock()
	defer benchData.Unlock()
	if benchData.items == nil {
		benchData.items = map[int][]geo.Item{}
	}
	if it, ok := benchData.items[n]; ok {
		return it
	}
	it := benchLattice(n).items()
	benchData.items[n] = it
	return it
}

// queryPoints returns uniformly random points over the items' bounds.
// Consecutive queries land far apart, as real requests from a whole county
// do, and there are enough of them (4M, read sequentially) that the cells
// and records they touch do not fit in the caches and flatter the result.
func queryPoints(items []geo.Item, n int) []geo.Point {
	b := bounds(items)
	r := &rng{s: 99}
	pts := make([]geo.Point, n)
	for i := range pts {
		pts[i] = geo.Point{X: b.MinX + (b.MaxX-b.MinX)*r.float(), Y: b.MinY + (b.MaxY-b.MinY)*r.float()}
	}
	return pts
}

var benchSizes = []int{10_000, 100_000, 1_000_000}

func BenchmarkLocate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			items := benchItems(b, n)
			t0 := time.Now()
			ix := geo.NewIndex(items)
			build := time.Since(t0)
			pts := queryPoints(items, 1<<22)
			// Finish any collection the setup started, so that it does not
			// run beside the measurement.
			runtime.GC()
			hits := 0
			i := 0
			for b.Loop() {
				if _, ok := ix.Locate(pts[i&(len(pts)-1)]); ok {
					hits++
				}
				i++
			}
			sink = hits
			b.ReportMetric(float64(ix.SizeBytes())/float64(ix.Len()), "bytes/item")
			b.ReportMetric(build.Seconds(), "build-s")
		})
	}
}

var sink int

func BenchmarkBuild(b *testing.B) {
	items := benchItems(b, 100_000)
	for b.Loop() {
		ix := geo.NewIndex(items)
		sink = ix.Len()
	}
}

// bboxGrid is the baseline: a uniform grid of item bounding boxes, then a
// full ray cast of every candidate whose box holds the point.
type bboxGrid struct {
	b          geo.BBox
	nx, ny     int
	invW, invH float64
	start      []int32
	list       []int32
	boxes      []geo.BBox
	items      []geo.Item
}

func newBBoxGrid(items []geo.Item) *bboxGrid {
	g := &bboxGrid{b: bounds(items), items: items}
	side := int(math.Sqrt(float64(len(items)))) + 1
	g.nx, g.ny = side, side
	g.invW = float64(side) / (g.b.MaxX - g.b.MinX)
	g.invH = float64(side) / (g.b.MaxY - g.b.MinY)
	g.boxes = make([]geo.BBox, len(items))
	cells := make([][]int32, side*side)
	for i, it := range items {
		bb := it.Shape.Bounds()
		g.boxes[i] = bb
		x0, y0 := g.cell(geo.Point{X: bb.MinX, Y: bb.MinY})
		x1, y1 := g.cell(geo.Point{X: bb.MaxX, Y: bb.MaxY})
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				cells[y*side+x] = append(cells[y*side+x], int32(i))
			}
		}
	}
	for _, c := range cells {
		g.start = append(g.start, int32(len(g.list)))
		g.list = append(g.list, c...)
	}
	g.start = append(g.start, int32(len(g.list)))
	return g
}

func (g *bboxGrid) cell(p geo.Point) (int, int) {
	x := min(max(int((p.X-g.b.MinX)*g.invW), 0), g.nx-1)
	y := min(max(int((p.Y-g.b.MinY)*g.invH), 0), g.ny-1)
	return x, y
}

func (g *bboxGrid) locate(p geo.Point) (int64, bool) {
	if !g.b.Contains(p) {
		return 0, false
	}
	x, y := g.cell(p)
	c := y*g.nx + x
	best, ok := int64(0), false
	for _, i := range g.list[g.start[c]:g.start[c+1]] {
		if g.boxes[i].Contains(p) && g.items[i].Shape.Contains(p) && (!ok || g.items[i].ID < best) {
			best, ok = g.items[i].ID, true
		}
	}
	return best, ok
}

func BenchmarkLocateBaseline(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			items := benchItems(b, n)
			g := newBBoxGrid(items)
			pts := queryPoints(items, 1<<22)
			runtime.GC()
			hits := 0
			i := 0
			for b.Loop() {
				if _, ok := g.locate(pts[i&(len(pts)-1)]); ok {
					hits++
				}
				i++
			}
			sink = hits
		})
	}
}

func BenchmarkParseFeatureCollection(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(dataDir, "fuzhou_urban_streets_bigemap.geojson"))
	if err != nil {
		b.Skipf("shared data not available: %v", err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := geo.ParseFeatureCollection(data); err != nil {
			b.Fatal(err)
		}
	}
}
