package geo

import (
	"cmp"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// maxCoord bounds the coordinates NewIndex accepts; beyond it the grid
// arithmetic could overflow, and no map data comes near it.
const maxCoord = 1e9

// cellsPerEdge sets the grid resolution against the total number of polygon
// edges. A finer grid answers more queries from the cell alone but costs 32
// bytes a cell and more copies of edges in records. On the benchmark tiling
// of a million polygons, 0.125, 0.25 and 0.5 gave about 160, 130 and 100 ns
// a query for 410, 550 and 790 bytes an item; 0.25 is the middle ground.
const cellsPerEdge = 0.25

// marginCells widens each cell and sub-cell, for the purpose of choosing
// which edges matter to it, by this fraction of a cell. It absorbs the
// rounding of the cell computed for a query point and of the edge clipping,
// which are many orders of magnitude smaller because the cell size is kept
// well above the coordinates' precision (see minCellRel).
const marginCells = 1.0 / 1024

// minCellRel keeps cells larger than this fraction of the largest coordinate
// magnitude, so that a cell spans millions of units in the last place.
const minCellRel = 0x1p-30

// builder holds the transient state of NewIndex.
type builder struct {
	grid
	bounds BBox

	// Polygons ("entries") with their rings flattened into pts; each ring is
	// stored closed, and ringEnd marks its last point so that edges never
	// join two rings.
	pts        []Point
	ringEnd    []bool
	entryStart []int32 // entry e owns pts[entryStart[e]:entryStart[e+1]]
	entryItem  []uint32
	edges      int

	// Incidences of edges with rows, grouped by row: rowStart[r] to
	// rowStart[r+1] index incEdge and incEntry.
	rowStart []int
	incEdge  []uint32
	incEntry []uint32

	mx, my float64 // margins
}

func newBuilder(items []Item, order []int32) *builder {
	b := &builder{bounds: emptyBox()}
	// Size everything first: growing slices of a hundred million points by
	// doubling costs more than the rest of the flattening.
	npts, nent := 0, 0
	for _, it := range items {
		for _, pg := range it.Shape {
			if n, _ := polygonSize(pg); n > 0 {
				npts += n
				nent++
			}
		}
	}
	if npts >= math.MaxInt32 {
		panic("geo: NewIndex: too many vertices")
	}
	b.pts = make([]Point, 0, npts)
	b.ringEnd = make([]bool, 0, npts)
	b.entryStart = make([]int32, 0, nent+1)
	b.entryItem = make([]uint32, 0, nent)
	for k, i := range order {
		for _, pg := range items[i].Shape {
			b.addPolygon(pg, uint32(k))
		}
	}
	b.entryStart = append(b.entryStart, int32(len(b.pts)))
	return b
}

// polygonSize returns the number of points pg takes once flattened with
// every ring closed, and its number of edges of non-zero length; both are
// zero for a polygon that is left out.
func polygonSize(pg Polygon) (npts, edges int) {
	for _, r := range pg {
		for i, p := range r {
			if !(math.Abs(p.X) <= maxCoord && math.Abs(p.Y) <= maxCoord) {
				return 0, 0
			}
			if i > 0 && p != r[i-1] {
				edges++
			}
		}
		npts += len(r)
		if len(r) > 1 && r[0] != r[len(r)-1] {
			edges++
			npts++
		}
	}
	if edges == 0 {
		return 0, 0
	}
	return npts, edges
}

func (b *builder) addPolygon(pg Polygon, item uint32) {
	_, edges := polygonSize(pg)
	if edges == 0 {
		return
	}
	b.entryStart = append(b.entryStart, int32(len(b.pts)))
	b.entryItem = append(b.entryItem, item)
	b.edges += edges
	for _, r := range pg {
		if len(r) == 0 {
			continue
		}
		b.pts = append(b.pts, r...)
		if r[0] != r[len(r)-1] {
			b.pts = append(b.pts, r[0])
		}
		for range len(b.pts) - len(b.ringEnd) - 1 {
			b.ringEnd = append(b.ringEnd, false)
		}
		b.ringEnd = append(b.ringEnd, true)
		for _, p := range r {
			b.bounds.extend(p)
		}
	}
}

// sizeGrid chooses the cells; it reports false when the bounds have no area.
func (b *builder) sizeGrid() bool {
	bb := b.bounds
	w, h := bb.MaxX-bb.MinX, bb.MaxY-bb.MinY
	if !(w > 0 && h > 0) {
		return false
	}
	target := math.Max(16, cellsPerEdge*float64(b.edges))
	cw := math.Sqrt(w * h / target)
	ch := cw
	switch {
	case ch > h:
		ch, cw = h, w/target
	case cw > w:
		cw, ch = w, h/target
	}
	mag := math.Max(math.Max(math.Abs(bb.MinX), math.Abs(bb.MaxX)), math.Max(math.Abs(bb.MinY), math.Abs(bb.MaxY)))
	floor := math.Max(mag*minCellRel, 0x1p-900)
	cw, ch = math.Max(cw, floor), math.Max(ch, floor)
	g := grid{cw: cw, ch: ch, invW: 1 / cw, invH: 1 / ch}
	g.nx = int(w/cw) + 2
	g.ny = int(h/ch) + 2
	// The first column must start strictly left of every vertex: the sweep
	// takes its left edge as outside everything.
	g.x0 = bb.MinX - cw/2
	if g.x0 >= bb.MinX {
		g.x0 = math.Nextafter(bb.MinX, math.Inf(-1))
	}
	g.y0 = bb.MinY - ch/2
	for g.colX(g.nx) <= bb.MaxX {
		g.nx++
	}
	for g.rowY(g.ny) <= bb.MaxY {
		g.ny++
	}
	b.grid = g
	b.mx, b.my = cw*marginCells, ch*marginCells
	return true
}

func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// edgeRows returns the rows whose widened band an edge meets.
func (b *builder) edgeRows(p, q Point) (int, int) {
	return b.row(min(p.Y, q.Y) - b.my), b.row(max(p.Y, q.Y) + b.my)
}

// scatter lists, for every row, the edges that reach it, in entry order.
func (b *builder) scatter() {
	nw := workers()
	ne := len(b.entryItem)
	// Split entries so that workers get similar numbers of points.
	split := make([]int, nw+1)
	for w := 1; w < nw; w++ {
		target := int32(int64(len(b.pts)) * int64(w) / int64(nw))
		split[w], _ = slices.BinarySearch(b.entryStart[:ne], target)
	}
	split[nw] = ne
	counts := make([][]int, nw)
	parallel(nw, func(w int) {
		c := make([]int, b.ny)
		b.forEdges(split[w], split[w+1], func(i int, _ uint32, r0, r1 int) {
			for r := r0; r <= r1; r++ {
				c[r]++
			}
		})
		counts[w] = c
	})
	b.rowStart = make([]int, b.ny+1)
	total := 0
	for r := range b.ny {
		b.rowStart[r] = total
		for w := range nw {
			c := counts[w][r]
			counts[w][r] = total
			total += c
		}
	}
	b.rowStart[b.ny] = total
	b.incEdge = make([]uint32, total)
	b.incEntry = make([]uint32, total)
	parallel(nw, func(w int) {
		next := counts[w]
		b.forEdges(split[w], split[w+1], func(i int, e uint32, r0, r1 int) {
			for r := r0; r <= r1; r++ {
				b.incEdge[next[r]] = uint32(i)
				b.incEntry[next[r]] = e
				next[r]++
			}
		})
	})
}

// forEdges calls fn for every edge of entries [lo, hi) with its row range;
// edge i joins pts[i] and pts[i+1]. Zero-length edges never cross anything
// and are skipped.
func (b *builder) forEdges(lo, hi int, fn func(i int, e uint32, r0, r1 int)) {
	for e := lo; e < hi; e++ {
		for i := int(b.entryStart[e]); i < int(b.entryStart[e+1]); i++ {
			if b.ringEnd[i] || b.pts[i] == b.pts[i+1] {
				continue
			}
			r0, r1 := b.edgeRows(b.pts[i], b.pts[i+1])
			fn(i, uint32(e), r0, r1)
		}
	}
}

func parallel(n int, fn func(w int)) {
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w)
		}()
	}
	wg.Wait()
}

// sweep builds the cells, in parallel over bands of rows. Each band keeps
// its records in a slice of its own: concatenating them would cost a copy
// of the largest part of the index for nothing.
func (b *builder) sweep() (cells []uint64, data [][]uint64, shift uint) {
	cells = make([]uint64, cellWords*b.nx*b.ny)
	nw := workers()
	// Bands small enough to balance the workers, and a power of two rows
	// high so that a query finds its band with a shift.
	for shift < 30 && 1<<(shift+1) <= b.ny/(nw*16) {
		shift++
	}
	rows := 1 << shift
	data = make([][]uint64, (b.ny+rows-1)/rows)
	var next atomic.Int64
	parallel(nw, func(int) {
		s := newSweeper(b, cells)
		for {
			band := int(next.Add(1) - 1)
			if band >= len(data) {
				return
			}
			// One growing buffer per worker, copied out at its final size,
			// keeps reallocation off the hot path.
			s.out = s.out[:0]
			for r := band * rows; r < min(b.ny, (band+1)*rows); r++ {
				s.row(r)
			}
			if len(s.out) >= math.MaxUint32 {
				panic("geo: NewIndex: too many records in a band")
			}
			data[band] = slices.Clone(s.out)
		}
	})
	return cells, data, shift
}

// sweeper is one worker's scratch space for building rows.
type sweeper struct {
	b     *builder
	cells []uint64
	out   []uint64

	c0, c1   []int32  // column range of each incidence of the row
	colStart []int32  // per column, start of its references in refs
	refs     []int32  // incidences of the row, grouped by column
	parity   []uint8  // per entry: contains the current corner
	open     []uint32 // entries with parity 1
	cand     []uint32 // candidate entries of the current cell
	uniq     []cellEdge
	masks    []uint64 // nw words per uniq edge
	chains   []chain
	pts      []uint64
	regions  []region
	lookup   map[[4]float64]int32
}

type cellEdge struct {
	a, b Point
}

func newSweeper(b *builder, cells []uint64) *sweeper {
	return &sweeper{
		b:        b,
		cells:    cells,
		colStart: make([]int32, b.nx+1),
		parity:   make([]uint8, len(b.entryItem)),
		lookup:   map[[4]float64]int32{},
	}
}

func (s *sweeper) row(r int) {
	b := s.b
	lo, hi := b.rowStart[r], b.rowStart[r+1]
	n := hi - lo
	s.c0, s.c1 = growInt32(s.c0, n), growInt32(s.c1, n)
	ylo, yhi := b.rowY(r)-b.my, b.rowY(r+1)+b.my
	clear(s.colStart)
	for k := range n {
		i := int(b.incEdge[lo+k])
		p, q := b.pts[i], b.pts[i+1]
		xlo, xhi := clipX(p, q, ylo, yhi)
		c0, c1 := b.col(xlo-b.mx), b.col(xhi+b.mx)
		s.c0[k], s.c1[k] = int32(c0), int32(c1)
		for c := c0; c <= c1; c++ {
			s.colStart[c+1]++
		}
	}
	for c := range b.nx {
		s.colStart[c+1] += s.colStart[c]
	}
	s.refs = growInt32(s.refs, int(s.colStart[b.nx]))
	for k := range n {
		for c := s.c0[k]; c <= s.c1[k]; c++ {
			s.refs[s.colStart[c]] = int32(lo + k)
			s.colStart[c]++
		}
	}
	// The fill advanced each start to the next column's; shift back.
	copy(s.colStart[1:], s.colStart[:b.nx])
	s.colStart[0] = 0

	y0 := b.rowY(r)
	for c := range b.nx {
		refs := s.refs[s.colStart[c]:s.colStart[c+1]]
		xl, xr := b.colX(c), b.colX(c+1)
		// Move the reference corner from the cell's bottom-left to its
		// bottom-right: the polygons whose edges cross the bottom side in
		// between change parity.
		for _, ref := range refs {
			i := b.incEdge[ref]
			p, q := b.pts[i], b.pts[i+1]
			if crossesRay(xl, y0, p.X, p.Y, q.X, q.Y) != crossesRay(xr, y0, p.X, p.Y, q.X, q.Y) {
				s.toggle(b.incEntry[ref])
			}
		}
		cell := s.cells[cellWords*(r*b.nx+c):][:cellWords]
		switch {
		case len(refs) == 0 && len(s.open) == 0:
			// Empty: every sub-cell answers A, which is nothing.
			cell[0], cell[1], cell[2], cell[3] = noItem|noItem<<32, noItem, allCodes(1), allCodes(1)
		case len(refs) == 0 && len(s.open) == 1:
			// Wholly inside one polygon: every sub-cell answers its item.
			cell[0], cell[1], cell[2], cell[3] = uint64(b.entryItem[s.open[0]])|noItem<<32, noItem, allCodes(1), allCodes(1)
		default:
			at := len(s.out)
			s.record(refs)
			if !s.classify(c, r, at, cell) {
				s.out = s.out[:at]
			}
		}
	}
	// The corner right of the last column is outside everything, so every
	// parity is back to zero; clearing is cheap insurance.
	for _, e := range s.open {
		s.parity[e] = 0
	}
	s.open = s.open[:0]
}

func (s *sweeper) toggle(e uint32) {
	s.parity[e] ^= 1
	if s.parity[e] == 1 {
		s.open = append(s.open, e)
		return
	}
	i := slices.Index(s.open, e)
	s.open[i] = s.open[len(s.open)-1]
	s.open = s.open[:len(s.open)-1]
}

// record appends the record of a mixed cell to s.out.
func (s *sweeper) record(refs []int32) {
	b := s.b
	s.cand = append(s.cand[:0], s.open...)
	for _, ref := range refs {
		s.cand = append(s.cand, b.incEntry[ref])
	}
	slices.Sort(s.cand)
	s.cand = slices.Compact(s.cand)
	nSlots := len(s.cand)
	nw := (nSlots + 63) >> 6

	// Merge edges that several polygons share: each occurrence flips its
	// polygon's bit, so an edge drawn twice by the same polygon cancels, as
	// it does in the even-odd count.
	s.uniq = s.uniq[:0]
	s.masks = s.masks[:0]
	useMap := len(refs) > 32
	if useMap {
		clear(s.lookup)
	}
	for _, ref := range refs {
		i := b.incEdge[ref]
		p, q := b.pts[i], b.pts[i+1]
		slot, _ := slices.BinarySearch(s.cand, b.incEntry[ref])
		key := edgeKey(p, q)
		u := int32(-1)
		if useMap {
			if j, ok := s.lookup[key]; ok {
				u = j
			}
		} else {
			for j := range s.uniq {
				if edgeKey(s.uniq[j].a, s.uniq[j].b) == key {
					u = int32(j)
					break
				}
			}
		}
		if u < 0 {
			u = int32(len(s.uniq))
			s.uniq = append(s.uniq, cellEdge{p, q})
			for range nw {
				s.masks = append(s.masks, 0)
			}
			if useMap {
				s.lookup[key] = u
			}
		}
		s.masks[int(u)*nw+slot>>6] ^= 1 << (slot & 63)
	}

	// Link consecutive edges with the same mask into chains, which stores
	// each shared vertex once.
	s.chains = s.chains[:0]
	s.pts = s.pts[:0]
	var last Point
	for j, e := range s.uniq {
		m := s.masks[j*nw : (j+1)*nw]
		if allZero(m) {
			continue
		}
		if k := len(s.chains) - 1; k >= 0 && e.a == last && slices.Equal(m, s.masks[s.chains[k].mask*nw:][:nw]) {
			s.pts = append(s.pts, math.Float64bits(e.b.X), math.Float64bits(e.b.Y))
			s.chains[k].npts++
			last = e.b
			continue
		}
		s.chains = append(s.chains, chain{npts: 2, mask: j})
		s.pts = append(s.pts, math.Float64bits(e.a.X), math.Float64bits(e.a.Y), math.Float64bits(e.b.X), math.Float64bits(e.b.Y))
		last = e.b
	}
	small := nSlots <= 16 && len(s.chains) <= 255
	for _, c := range s.chains {
		small = small && c.npts <= 0xffff
	}
	item := func(k int) uint64 { return uint64(b.entryItem[s.cand[k]]) }
	if small {
		var corner uint64
		for k := range nSlots {
			corner |= uint64(s.parity[s.cand[k]]) << k
		}
		s.out = append(s.out, uint64(nSlots)|uint64(len(s.chains))<<8|corner<<16|item(0)<<32)
		for k := 1; k < nSlots; k += 2 {
			v := item(k)
			if k+1 < nSlots {
				v |= item(k+1) << 32
			}
			s.out = append(s.out, v)
		}
		for k := 0; k < len(s.chains); k += 2 {
			v := s.chains[k].head(s.masks[s.chains[k].mask])
			if k+1 < len(s.chains) {
				v |= s.chains[k+1].head(s.masks[s.chains[k+1].mask]) << 32
			}
			s.out = append(s.out, v)
		}
		s.out = append(s.out, s.pts...)
		return
	}
	s.out = append(s.out, 0, uint64(nSlots)|uint64(len(s.chains))<<32)
	for w := range nw {
		var m uint64
		for k := w << 6; k < min(nSlots, (w+1)<<6); k++ {
			m |= uint64(s.parity[s.cand[k]]) << (k & 63)
		}
		s.out = append(s.out, m)
	}
	for k := 0; k < nSlots; k += 2 {
		v := item(k)
		if k+1 < nSlots {
			v |= item(k+1) << 32
		}
		s.out = append(s.out, v)
	}
	o := 0
	for _, c := range s.chains {
		s.out = append(s.out, uint64(c.npts))
		s.out = append(s.out, s.masks[c.mask*nw:][:nw]...)
		s.out = append(s.out, s.pts[o:o+2*c.npts]...)
		o += 2 * c.npts
	}
}

// chain is a run of edges with one mask while a record is being built;
// mask is the index of an edge in uniq carrying that mask.
type chain struct{ npts, mask int }

func (c chain) head(mask uint64) uint64 { return uint64(c.npts) | mask<<16 }

// region is a set of sub-cells, as a bitmap, sharing one answer.
type region struct {
	answer uint32
	mask   uint64
}

// colMask returns the bits of sub-cell column x in an 8×8 bitmap.
func colMask(x int) uint64 { return 0x0101_0101_0101_0101 << x }

// allCodes returns a word of sub-cell codes all set to code.
func allCodes(code uint64) uint64 {
	return code * 0x5555_5555_5555_5555
}

// classify fills cell, whose record starts at s.out[at], and reports
// whether the record is needed. A sub-cell that no stored edge comes near
// has one answer for all its points, found by asking the record at the
// sub-cell's centre; the three most frequent answers ("nothing" included)
// get codes, and only the other sub-cells need the record.
func (s *sweeper) classify(c, r, at int, cell []uint64) (keep bool) {
	b := s.b
	rec := s.out[at:]
	xl, xr := b.colX(c), b.colX(c+1)
	yb, yt := b.rowY(r), b.rowY(r+1)
	sw, sh := (xr-xl)/subCells, (yt-yb)/subCells
	var touched uint64 // sub-cells that an edge comes near
	forEachEdge(rec, func(p, q Point) {
		lo, hi := min(p.Y, q.Y), max(p.Y, q.Y)
		sy0 := max(0, int(max(-1, math.Floor((lo-b.my-yb)/sh))))
		sy1 := min(subCells-1, int(min(subCells, math.Floor((hi+b.my-yb)/sh))))
		for sy := sy0; sy <= sy1; sy++ {
			ylo, yhi := yb+float64(sy)*sh-b.my, yb+float64(sy+1)*sh+b.my
			if hi < ylo || lo > yhi {
				continue
			}
			xa, xb := clipX(p, q, ylo, yhi)
			sx0 := math.Floor((xa - b.mx - xl) / sw)
			sx1 := math.Floor((xb + b.mx - xl) / sw)
			for sx := max(0, int(max(sx0, -1))); sx <= min(subCells-1, int(min(sx1, subCells))); sx++ {
				touched |= 1 << (sy*subCells + sx)
			}
		}
	})
	// Untouched sub-cells that share a side form an edge-free region with
	// one answer, so one exact evaluation serves the whole region. Regions
	// are grown on the 8×8 bitmap of sub-cells, a row a byte.
	regions := s.regions[:0]
	for free := ^touched; free != 0; {
		k := bits.TrailingZeros64(free)
		m := uint64(1) << k
		for {
			g := m | m<<subCells | m>>subCells | (m<<1)&^colMask(0) | (m>>1)&^colMask(subCells-1)
			g &= free
			if g == m {
				break
			}
			m = g
		}
		free &^= m
		centre := Point{xl + (float64(k%subCells)+0.5)*sw, yb + (float64(k/subCells)+0.5)*sh}
		a, several := uint32(noItem), false
		recordItems(rec, centre, xr, yb, func(item uint32) {
			if a != noItem && a != item {
				several = true
			}
			a = item
		})
		if several {
			continue
		}
		merged := false
		for i := range regions {
			if regions[i].answer == a {
				regions[i].mask |= m
				merged = true
			}
		}
		if !merged {
			regions = append(regions, region{a, m})
		}
	}
	s.regions = regions
	// The three answers settling the most sub-cells get codes; ties go to
	// the smaller value, only to keep builds reproducible.
	slices.SortFunc(regions, func(x, y region) int {
		if c := cmp.Compare(bits.OnesCount64(y.mask), bits.OnesCount64(x.mask)); c != 0 {
			return c
		}
		return cmp.Compare(x.answer, y.answer)
	})
	top := [3]uint32{noItem, noItem, noItem}
	var codes [2]uint64
	settled := uint64(0)
	for i, reg := range regions[:min(3, len(regions))] {
		top[i] = reg.answer
		settled |= reg.mask
		for m := reg.mask; m != 0; m &= m - 1 {
			k := bits.TrailingZeros64(m)
			codes[k>>5] |= uint64(i+1) << (2 * (k & 31))
		}
	}
	keep = settled != math.MaxUint64
	cell[0] = uint64(top[0]) | uint64(top[1])<<32
	cell[1] = uint64(top[2])
	if keep {
		cell[1] |= (uint64(at) + 1) << 32
	}
	cell[2], cell[3] = codes[0], codes[1]
	return keep
}

func allZero(m []uint64) bool {
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

// edgeKey identifies an edge regardless of its direction.
func edgeKey(p, q Point) [4]float64 {
	if q.X < p.X || q.X == p.X && q.Y < p.Y {
		p, q = q, p
	}
	return [4]float64{p.X, p.Y, q.X, q.Y}
}

// clipX returns the range of X over the part of edge p-q with Y in
// [ylo, yhi], or over the whole edge when it is horizontal.
func clipX(p, q Point, ylo, yhi float64) (float64, float64) {
	// Builtin min and max: math.Min's care for NaN and -0 is not needed on
	// validated coordinates, and it is not inlined.
	xmin, xmax := min(p.X, q.X), max(p.X, q.X)
	if p.Y == q.Y {
		return xmin, xmax
	}
	if p.Y > q.Y {
		p, q = q, p
	}
	y1, y2 := max(p.Y, ylo), min(q.Y, yhi)
	if y1 > y2 {
		return xmin, xmax
	}
	t := (q.X - p.X) / (q.Y - p.Y)
	x1, x2 := p.X+(y1-p.Y)*t, p.X+(y2-p.Y)*t
	// Interpolation can overshoot the edge only by rounding; clamping keeps
	// long flat edges from spilling into far columns.
	return max(xmin, min(x1, x2)), min(xmax, max(x1, x2))
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n, n+n/4)
	}
	return s[:n]
}
