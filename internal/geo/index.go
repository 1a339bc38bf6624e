package geo

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// Item is one unit to index: its identifier and its boundary.
type Item struct {
	ID    int64
	Shape MultiPolygon
}

// Index answers "which item contains this point" for a fixed set of items,
// such as all grids or all micro-grids of a county. It is immutable once
// built and safe for concurrent use.
//
// The index is a uniform grid of cells over the items' bounds, each cut
// into 8×8 sub-cells. A cell takes 32 bytes: three answers (item positions
// or "nothing"), a 2-bit code per sub-cell naming one of them or saying
// "look at the geometry", and the offset of a record holding the geometry
// when some sub-cell needs it. Most queries (five in six on a tiling of
// micro-grids) are answered from those 32 bytes alone, with one memory
// access; a dependent second access to a large array costs as much as
// everything else together, so the sub-cell codes are what buys the speed.
//
// A record holds the candidate polygons of its cell, which of them contain
// the cell's bottom-right corner, and the edges that pass through the cell,
// an edge shared by neighbours being stored once with a bit mask of the
// polygons it bounds. A query walks from the corner to the point, first up
// the cell's right side and then left along the point's row, and flips the
// polygons whose edges it crosses. Building sweeps each row of cells from
// left to right to find which polygons contain each corner.
//
// Every test is one of the exact predicates of Polygon.Contains, so the
// index returns exactly what a scan of every item with MultiPolygon.Contains
// would return, points on shared edges and vertices included.
//
// Everything lives in a few large pointer-free slices, so the garbage
// collector has nothing to trace.
type Index struct {
	n      int
	ids    []int64 // item IDs, ascending; cells and records refer to positions here
	bounds BBox    // queries outside [MinX, MaxX) × [MinY, MaxY) miss without a lookup
	grid
	cells     []uint64   // cellWords words a cell
	data      [][]uint64 // records, one slice per band of 1<<bandShift rows
	bandShift uint
}

// A cell is four words, half a cache line, so that answering from the cell
// touches a single line:
//
//	word 0     item position A (32 bits) | item position B (32)
//	word 1     item position C (32) | offset + 1 of the record in the
//	           records of the cell's band of rows, or 0 when the cell needs
//	           no record (32)
//	words 2-3  a 2-bit code for each of the 8×8 sub-cells, sub-cell
//	           sx + 8·sy at bit 2·(that mod 32) of word 2 + that/32: zero
//	           means "ask the record", k = 1..3 means "the answer is item k"
//	           (A, B or C), where an item position of noItem means nothing
//	           contains the sub-cell
const (
	cellWords = 4
	subCells  = 8 // sub-cells per cell side
	noItem    = math.MaxUint32
)

// Records of mixed cells live in data as 64-bit words. Most take the small
// form, for at most 16 candidates, 255 chains and 65535 points a chain:
//
//	word 0        nSlots (8 bits, never zero) | nChains (8) | corner mask
//	              (16): bit s set when slot s's polygon contains the cell's
//	              bottom-right corner | item position of slot 0 (32)
//	slot items    slots 1.. as uint32 item positions, two a word; slots are
//	              ordered by item position, so the lowest set bit of a mask
//	              is the smallest ID
//	chain heads   one uint32 a chain, two a word: npts (16) | mask (16)
//	points        every chain's points in turn as float64 bits, x then y;
//	              consecutive points of a chain are edges, and the chain's
//	              mask says whose boundary they are
//
// The large form starts with a zero word, then nSlots | nChains<<32, a
// corner mask of nw = ceil(nSlots/64) words, the slot items two a word, and
// for each chain npts, nw mask words and the points.

// grid holds the cell geometry. Cell (i, j) spans [colX(i), colX(i+1)) ×
// [rowY(j), rowY(j+1)); the builder and the queries derive those lines from
// the same expressions so that they agree to the bit.
type grid struct {
	x0, y0     float64
	cw, ch     float64
	invW, invH float64
	nx, ny     int
}

// The conversions stop the compiler from fusing the multiply and add,
// which could make the builder and a query disagree in the last bit.
func (g *grid) colX(i int) float64 { return g.x0 + float64(float64(i)*g.cw) }
func (g *grid) rowY(j int) float64 { return g.y0 + float64(float64(j)*g.ch) }

func (g *grid) col(x float64) int {
	return clampInt(int(math.Floor((x-g.x0)*g.invW)), 0, g.nx-1)
}

func (g *grid) row(y float64) int {
	return clampInt(int(math.Floor((y-g.y0)*g.invH)), 0, g.ny-1)
}

func clampInt(v, lo, hi int) int {
	return max(lo, min(v, hi))
}

// NewIndex builds an index over items. Items may come in any order and may
// share IDs; a polygon with a coordinate that is not finite or beyond ±1e9
// is left out (parsed boundaries never have one). Items are meant not to
// overlap, but overlapping items are handled exactly: Locate returns the
// smallest ID among them and LocateAll returns them all; memory grows with
// the number of polygons covering a point, though, so data where hundreds
// of items cover the same area costs far more than a tiling. NewIndex uses
// all available cores and keeps no reference to items.
func NewIndex(items []Item) *Index {
	order := make([]int32, len(items))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(items[a].ID, items[b].ID) })
	ids := make([]int64, len(items))
	for k, i := range order {
		ids[k] = items[i].ID
	}
	return newBuilder(items, order).build(ids)
}

// IndexBuilder builds an Index from items added one at a time, for callers
// that read boundaries from a database: NewIndex needs every parsed shape
// at once, which for a million grids is several hundred megabytes more at
// the peak than the flattened copy the builder keeps. The Index is the one
// NewIndex would build from the same items.
type IndexBuilder struct {
	b      *builder
	ids    []int64
	sorted bool
}

// NewIndexBuilder returns an empty builder; items and points, when known,
// size its buffers (zero is fine).
func NewIndexBuilder(items, points int) *IndexBuilder {
	b := &builder{bounds: emptyBox()}
	b.pts = make([]Point, 0, points)
	b.ringEnd = make([]bool, 0, points)
	b.entryStart = make([]int32, 0, items+1)
	b.entryItem = make([]uint32, 0, items)
	return &IndexBuilder{b: b, ids: make([]int64, 0, items), sorted: true}
}

// Add adds an item; the builder keeps no reference to shape.
func (ib *IndexBuilder) Add(id int64, shape MultiPolygon) {
	k := len(ib.ids)
	if k > 0 && id < ib.ids[k-1] {
		ib.sorted = false
	}
	ib.ids = append(ib.ids, id)
	for _, pg := range shape {
		ib.b.addPolygon(pg, uint32(k))
	}
	if len(ib.b.pts) >= math.MaxInt32 {
		panic("geo: IndexBuilder: too many vertices")
	}
}

// Build returns the index; the builder must not be used afterwards.
func (ib *IndexBuilder) Build() *Index {
	b := ib.b
	ib.b = nil
	b.entryStart = append(b.entryStart, int32(len(b.pts)))
	if !ib.sorted {
		b = b.inIDOrder(ib.ids)
	}
	// An exact copy: the index keeps ids for good, the appends left spare room.
	ids := make([]int64, len(ib.ids))
	copy(ids, ib.ids)
	return b.build(ids)
}

// inIDOrder sorts ids (stably) and returns a builder whose entries follow
// the new order, as newBuilder lays them out.
func (b *builder) inIDOrder(ids []int64) *builder {
	order := make([]int32, len(ids))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, c int32) int { return cmp.Compare(ids[a], ids[c]) })
	// The entries of one item were added together: first[k] is the first of
	// item k's entries, and they run to the next item's first.
	first := make([]int32, len(ids)+1)
	for k := range first {
		first[k] = -1
	}
	for e := len(b.entryItem) - 1; e >= 0; e-- {
		first[b.entryItem[e]] = int32(e)
	}
	first[len(ids)] = int32(len(b.entryItem))
	for k := len(ids) - 1; k >= 0; k-- {
		if first[k] < 0 {
			first[k] = first[k+1]
		}
	}
	nb := &builder{bounds: b.bounds, edges: b.edges}
	nb.pts = make([]Point, 0, len(b.pts))
	nb.ringEnd = make([]bool, 0, len(b.pts))
	nb.entryStart = make([]int32, 0, len(b.entryStart))
	nb.entryItem = make([]uint32, 0, len(b.entryItem))
	sorted := make([]int64, len(ids))
	for pos, k := range order {
		sorted[pos] = ids[k]
		for e := first[k]; e < first[k+1]; e++ {
			nb.entryStart = append(nb.entryStart, int32(len(nb.pts)))
			nb.entryItem = append(nb.entryItem, uint32(pos))
			lo, hi := b.entryStart[e], b.entryStart[e+1]
			nb.pts = append(nb.pts, b.pts[lo:hi]...)
			nb.ringEnd = append(nb.ringEnd, b.ringEnd[lo:hi]...)
		}
	}
	nb.entryStart = append(nb.entryStart, int32(len(nb.pts)))
	copy(ids, sorted)
	return nb
}

// build finishes an index over the flattened entries; ids are the item
// IDs in ascending order, one per item position.
func (b *builder) build(ids []int64) *Index {
	ix := &Index{n: len(ids), ids: ids, bounds: emptyBox()}
	if len(b.entryItem) == 0 || !b.sizeGrid() {
		// Nothing to index, or every polygon is flat: nothing can be inside.
		return ix
	}
	ix.bounds = b.bounds
	ix.grid = b.grid
	b.scatter()
	ix.cells, ix.data, ix.bandShift = b.sweep()
	return ix
}

// Len returns the number of items the index was built from.
func (ix *Index) Len() int { return ix.n }

// SizeBytes returns the memory held by the index, for capacity planning.
func (ix *Index) SizeBytes() int {
	n := 8*cap(ix.cells) + 8*cap(ix.ids) + 24*cap(ix.data) + 160
	for _, d := range ix.data {
		n += 8 * cap(d)
	}
	return n
}

// locate finds the cell and sub-cell of p; ok is false when p is outside
// the indexed area (NaN included), where no item can contain it.
func (ix *Index) locate(p Point) (cell, sub, cx, cy int, ok bool) {
	b := &ix.bounds
	if !(p.X >= b.MinX && p.X < b.MaxX && p.Y >= b.MinY && p.Y < b.MaxY) {
		return 0, 0, 0, 0, false
	}
	// p.X ≥ MinX > x0, so the products are positive and int() floors. A
	// rounding slip to a neighbouring cell or sub-cell is harmless: the
	// builder treats each one as wider by a margin far above rounding.
	fx, fy := (p.X-ix.x0)*ix.invW, (p.Y-ix.y0)*ix.invH
	cx, cy = min(int(fx), ix.nx-1), min(int(fy), ix.ny-1)
	sx := min(int((fx-float64(cx))*subCells), subCells-1)
	sy := min(int((fy-float64(cy))*subCells), subCells-1)
	return cy*ix.nx + cx, sy*subCells + sx, cx, cy, true
}

// Locate returns the ID of the item whose shape contains p under the
// package's boundary rule; if several do, the smallest of their IDs.
func (ix *Index) Locate(p Point) (id int64, ok bool) {
	c, sub, cx, cy, ok := ix.locate(p)
	if !ok {
		return 0, false
	}
	cell := ix.cells[cellWords*c : cellWords*c+cellWords]
	if code := cell[2+sub>>5] >> (2 * (sub & 31)) & 3; code != 0 {
		item := uint32(cell[(code-1)>>1] >> (32 * ((code - 1) & 1)))
		if item == noItem {
			return 0, false
		}
		return ix.ids[item], true
	}
	rec := ix.data[cy>>ix.bandShift][cell[1]>>32-1:]
	if rec[0]&0xff == 0 {
		var buf [8]int64
		all := ix.LocateAll(p, buf[:0])
		if len(all) == 0 {
			return 0, false
		}
		return all[0], true
	}
	mask := smallMask(rec, p, ix.colX(cx+1), ix.rowY(cy))
	if mask == 0 {
		return 0, false
	}
	return ix.ids[smallItem(rec, bits.TrailingZeros32(mask))], true
}

// LocateAll appends to dst the IDs of all items whose shapes contain p, in
// ascending order without repeats, and returns the extended slice. With
// non-overlapping items it appends at most one ID.
func (ix *Index) LocateAll(p Point, dst []int64) []int64 {
	c, sub, cx, cy, ok := ix.locate(p)
	if !ok {
		return dst
	}
	cell := ix.cells[cellWords*c : cellWords*c+cellWords]
	if code := cell[2+sub>>5] >> (2 * (sub & 31)) & 3; code != 0 {
		item := uint32(cell[(code-1)>>1] >> (32 * ((code - 1) & 1)))
		if item == noItem {
			return dst
		}
		return append(dst, ix.ids[item])
	}
	start := len(dst)
	recordItems(ix.data[cy>>ix.bandShift][cell[1]>>32-1:], p, ix.colX(cx+1), ix.rowY(cy), func(item uint32) {
		// Slots are ordered by item position, hence by ID; two polygons of
		// one item, or two items sharing an ID, come out next to each other.
		id := ix.ids[item]
		if len(dst) == start || dst[len(dst)-1] != id {
			dst = append(dst, id)
		}
	})
	return dst
}

// smallMask returns the slots of a small record whose polygons contain p;
// (x, y0) is the cell's bottom-right corner.
func smallMask(rec []uint64, p Point, x, y0 float64) uint32 {
	w0 := rec[0]
	n, nc := int(w0&0xff), int(w0>>8&0xff)
	mask := uint32(w0 >> 16 & 0xffff)
	heads := 1 + n>>1
	o := heads + (nc+1)>>1
	for c := range nc {
		h := uint32(rec[heads+c>>1] >> (32 * (c & 1)))
		end := o + 2*int(h&0xffff)
		if chainFlips(p, x, y0, rec[o:end]) {
			mask ^= h >> 16
		}
		o = end
	}
	return mask
}

// smallItem returns the item position of slot s of a small record.
func smallItem(rec []uint64, s int) uint32 {
	if s == 0 {
		return uint32(rec[0] >> 32)
	}
	s--
	return uint32(rec[1+s>>1] >> (32 * (s & 1)))
}

// recordItems calls fn with the item position of every slot of a record,
// small or large, whose polygon contains p, in slot order.
func recordItems(rec []uint64, p Point, x, y0 float64, fn func(item uint32)) {
	if rec[0]&0xff != 0 {
		for m := smallMask(rec, p, x, y0); m != 0; m &= m - 1 {
			fn(smallItem(rec, bits.TrailingZeros32(m)))
		}
		return
	}
	rec = rec[1:]
	hdr := rec[0]
	nSlots := int(uint32(hdr))
	nw := (nSlots + 63) >> 6
	mask := make([]uint64, nw)
	copy(mask, rec[1:1+nw])
	slotBase := 1 + nw
	o := slotBase + (nSlots+1)>>1
	for range int(hdr >> 32) {
		npts := int(rec[o])
		m := rec[o+1 : o+1+nw]
		pts := rec[o+1+nw : o+1+nw+2*npts]
		o += 1 + nw + 2*npts
		if chainFlips(p, x, y0, pts) {
			for w := range mask {
				mask[w] ^= m[w]
			}
		}
	}
	for w, m := range mask {
		for ; m != 0; m &= m - 1 {
			s := w<<6 + bits.TrailingZeros64(m)
			fn(uint32(rec[slotBase+s>>1] >> (32 * (s & 1))))
		}
	}
}

// chainFlips reports whether walking from the corner (x, y0) up to (x, p.Y)
// and then left to p crosses the chain's edges an odd number of times. The
// tests are the exact ones of the containment rule applied to the nudged
// points, so the parity is exact.
func chainFlips(p Point, x, y0 float64, pts []uint64) bool {
	flip := false
	ax, ay := math.Float64frombits(pts[0]), math.Float64frombits(pts[1])
	for k := 2; k+1 < len(pts); k += 2 {
		bx, by := math.Float64frombits(pts[k]), math.Float64frombits(pts[k+1])
		if (ay > p.Y) != (by > p.Y) {
			if crossesRay(p.X, p.Y, ax, ay, bx, by) != crossesRay(x, p.Y, ax, ay, bx, by) {
				flip = !flip
			}
		}
		if (ax > x) != (bx > x) {
			if aboveEdge(x, p.Y, ax, ay, bx, by) != aboveEdge(x, y0, ax, ay, bx, by) {
				flip = !flip
			}
		}
		ax, ay = bx, by
	}
	return flip
}

// forEachEdge calls fn with every edge of a record, small or large.
func forEachEdge(rec []uint64, fn func(a, b Point)) {
	visit := func(pts []uint64) {
		for k := 2; k+1 < len(pts); k += 2 {
			fn(Point{math.Float64frombits(pts[k-2]), math.Float64frombits(pts[k-1])},
				Point{math.Float64frombits(pts[k]), math.Float64frombits(pts[k+1])})
		}
	}
	if w0 := rec[0]; w0&0xff != 0 {
		n, nc := int(w0&0xff), int(w0>>8&0xff)
		heads := 1 + n>>1
		o := heads + (nc+1)>>1
		for c := range nc {
			h := uint32(rec[heads+c>>1] >> (32 * (c & 1)))
			end := o + 2*int(h&0xffff)
			visit(rec[o:end])
			o = end
		}
		return
	}
	rec = rec[1:]
	nSlots := int(uint32(rec[0]))
	nw := (nSlots + 63) >> 6
	o := 1 + nw + (nSlots+1)>>1
	for range int(rec[0] >> 32) {
		npts := int(rec[o])
		visit(rec[o+1+nw : o+1+nw+2*npts])
		o += 1 + nw + 2*npts
	}
}
