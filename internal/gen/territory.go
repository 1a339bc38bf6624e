package gen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

// The territory: Zhejiang's bounding box (WGS84), province code 33. Real
// Zhejiang has 11 cities, 90 counties, about 1,360 streets and towns and
// 85,000 grids; a generated province keeps those proportions and scales the
// lower levels with the number of grids.
const (
	ProvinceCode = "33"
	MinLon       = 118.0
	MaxLon       = 122.9
	MinLat       = 27.0
	MaxLat       = 31.2

	maxCities         = 11
	maxCounties       = 90
	gridsPerCounty    = 950 // 85,000 / 90
	gridsPerStreet    = 62  // 85,000 / 1,360
	gridsPerCommunity = 6
	cellsPerGrid      = 6 // lattice cells per grid on average: rings of about 11 points
	jitter            = 0.2
	maxAttempts       = 8

	minHouseholds = 300 // per grid, as the national guidance has it
	maxHouseholds = 500
)

// The levels below the province, in tree order.
const (
	lvCity = iota
	lvCounty
	lvStreet
	lvCommunity
	lvGrid
	numLevels
)

var levelOf = [numLevels]wangge.Level{wangge.LevelCity, wangge.LevelCounty, wangge.LevelStreet, wangge.LevelCommunity, wangge.LevelGrid}

// codeDigits is how many digits each level adds to its parent's code.
var codeDigits = [numLevels]int{2, 2, 3, 3, 3}

// rect is a block of lattice cells: columns x0..x1-1, rows y0..y1-1.
type rect struct{ x0, y0, x1, y1 int32 }

func (r rect) w() int     { return int(r.x1 - r.x0) }
func (r rect) h() int     { return int(r.y1 - r.y0) }
func (r rect) cells() int { return r.w() * r.h() }

// level holds the units of one level. Children of unit k of the level above
// are units first[k] .. first[k+1]-1 of this level.
type level struct {
	parent []int32
	first  []int32 // len(units of the level above)+1; nil for cities
	rect   []rect
	house  []int32 // households
	people []int32 // population
}

func (l *level) n() int { return len(l.parent) }

// Province is a generated province. Units are numbered in code order (the
// province, then depth first: a city, its first county, that county's first
// street, ...), which is the order Unit gives them in and the order their
// database ids follow.
type Province struct {
	seed   uint64
	lat    lattice
	lv     [numLevels]level
	order  []uint32 // unit i in code order: level<<29 | index in level; order[0] is the province
	pos    [numLevels][]int32
	house  int64
	people int64
	// ValidFrom is when every unit version starts.
	ValidFrom time.Time
}

// NewProvince lays out a province of the given number of grids.
func NewProvince(seed uint64, grids int) (*Province, error) {
	if err := (Params{Grids: grids, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}).Validate(); err != nil {
		return nil, err
	}
	p := &Province{seed: seed, ValidFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, wangge.ChinaTime)}
	p.tree(grids)
	p.counts()
	var err error
	for a := 0; a < maxAttempts; a++ {
		if err = p.layout(grids, a); err == nil {
			p.number()
			return p, nil
		}
	}
	return nil, err
}

// tree decides how many units each level has and how many children each
// unit gets: counties ≈ grids/950 (at most 90), cities ≈ counties/8 (at
// most 11), streets ≈ grids/62, communities ≈ grids/6, each with at least
// one child and at most what its code digits allow.
func (p *Province) tree(grids int) {
	rng := rand.New(rand.NewPCG(p.seed, 1))
	counties := clamp(int(math.Round(float64(grids)/gridsPerCounty)), 1, maxCounties)
	cities := clamp(int(math.Round(float64(counties)/8.2)), 1, maxCities)
	streets := clamp(int(math.Round(float64(grids)/gridsPerStreet)), counties, grids)
	communities := clamp(int(math.Round(float64(grids)/gridsPerCommunity)), streets, grids)
	counts := [numLevels]int{cities, counties, streets, communities, grids}
	for l := lvCity; l < numLevels; l++ {
		p.lv[l].parent = make([]int32, counts[l])
	}
	for l := lvCounty; l < numLevels; l++ {
		per := divide(rng, counts[l], counts[l-1], 0.35, pow10(codeDigits[l])-1)
		first := make([]int32, counts[l-1]+1)
		k := 0
		for par, n := range per {
			first[par] = int32(k)
			for range n {
				p.lv[l].parent[k] = int32(par)
				k++
			}
		}
		first[counts[l-1]] = int32(k)
		p.lv[l].first = first
	}
}

// counts draws households (300-500) and population (2.4-3.2 per household)
// of every grid and sums them up the tree.
func (p *Province) counts() {
	for l := range p.lv {
		p.lv[l].house = make([]int32, p.lv[l].n())
		p.lv[l].people = make([]int32, p.lv[l].n())
	}
	g := &p.lv[lvGrid]
	for i := range g.house {
		h := hash(p.seed, 2, uint64(i))
		hh := minHouseholds + int32(h%(maxHouseholds-minHouseholds+1))
		g.house[i] = hh
		g.people[i] = int32(float64(hh) * (2.4 + 0.8*unit01(mix(h))))
	}
	for l := lvGrid; l > lvCity; l-- {
		up := &p.lv[l-1]
		for i, par := range p.lv[l].parent {
			up.house[par] += p.lv[l].house[i]
			up.people[par] += p.lv[l].people[i]
		}
	}
	for i := range p.lv[lvCity].house {
		p.house += int64(p.lv[lvCity].house[i])
		p.people += int64(p.lv[lvCity].people[i])
	}
}

// divide splits total children among n parents, each getting 1..cap, in
// rough proportion to random weights of spread sigma (log-normal).
func divide(rng *rand.Rand, total, n int, sigma float64, cap int) []int {
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = math.Exp(sigma * rng.NormFloat64())
		sum += w[i]
	}
	out := make([]int, n)
	got := 0
	rest := total - n
	for i := range out {
		out[i] = min(1+int(float64(rest)*w[i]/sum), cap)
		got += out[i]
	}
	for i := rng.IntN(n); got < total; i = (i + 1) % n {
		if out[i] < cap {
			out[i]++
			got++
		}
	}
	return out
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func pow10(n int) int {
	out := 1
	for range n {
		out *= 10
	}
	return out
}

var errLayout = errors.New("gen: cannot fit the units into the lattice")

// layout sizes the lattice (about cellsPerGrid cells per grid, in the box's
// aspect ratio; each attempt adds a few per cent of cells) and cuts it down
// the tree. Counties and streets get random densities, so that a rural
// county's grids are several times larger than a city district's.
func (p *Province) layout(grids, attempt int) error {
	kmX := (MaxLon - MinLon) * math.Cos((MinLat+MaxLat)/2*math.Pi/180)
	kmY := MaxLat - MinLat
	cells := float64(grids*cellsPerGrid) * (1 + 0.05*float64(attempt))
	ny := max(1, int(math.Round(math.Sqrt(cells*kmY/kmX))))
	nx := max(1, int(math.Ceil(cells/float64(ny))))
	p.lat = lattice{seed: p.seed, nx: nx, ny: ny, dx: (MaxLon - MinLon) / float64(nx), dy: (MaxLat - MinLat) / float64(ny)}

	// Area weight of each grid: the inverse of its county's and street's
	// density.
	rng := rand.New(rand.NewPCG(p.seed, 3))
	county := make([]float64, p.lv[lvCounty].n())
	for i := range county {
		county[i] = math.Exp(0.45 * clampF(rng.NormFloat64(), -2, 2))
	}
	street := make([]float64, p.lv[lvStreet].n())
	for i := range street {
		street[i] = county[p.lv[lvStreet].parent[i]] * math.Exp(0.25*clampF(rng.NormFloat64(), -2, 2))
	}
	weight := [numLevels][]float64{}
	need := [numLevels][]int{}
	for l := range weight {
		weight[l] = make([]float64, p.lv[l].n())
		need[l] = make([]int, p.lv[l].n())
	}
	for i, par := range p.lv[lvGrid].parent {
		weight[lvGrid][i] = street[p.lv[lvCommunity].parent[par]]
		need[lvGrid][i] = 1
	}
	for l := lvGrid; l > lvCity; l-- {
		for i, par := range p.lv[l].parent {
			weight[l-1][par] += weight[l][i]
			need[l-1][par] += need[l][i]
		}
	}
	s := &splitter{}
	for l := lvCity; l < numLevels; l++ {
		p.lv[l].rect = make([]rect, p.lv[l].n())
		if l == lvCity {
			s.budget = 1000 + 20*p.lv[l].n()
			if err := s.split(rect{0, 0, int32(nx), int32(ny)}, weight[l], need[l], p.lv[l].rect); err != nil {
				return err
			}
			continue
		}
		first := p.lv[l].first
		for par := 0; par+1 < len(first); par++ {
			a, b := first[par], first[par+1]
			s.budget = 1000 + 20*int(b-a)
			if err := s.split(p.lv[l-1].rect[par], weight[l][a:b], need[l][a:b], p.lv[l].rect[a:b]); err != nil {
				return fmt.Errorf("%w (%s %d)", err, levelOf[l-1], par)
			}
		}
	}
	return nil
}

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(v, hi)) }

// splitter cuts a block among items: a guillotine cut that halves the items
// by weight and cuts the block across its longer side at the matching
// fraction, so that consecutive items (consecutive codes) stay neighbours
// and blocks stay compact. Each item gets at least need cells (one per
// grid below it), twice that where there is room.
//
// When a half cannot be divided it backtracks to the next split point or
// orientation, within a budget of tries: a layout that needs more gets a
// larger lattice instead (the next attempt of NewProvince).
type splitter struct{ budget int }

func (s *splitter) split(r rect, weight []float64, need []int, out []rect) error {
	if s.budget--; s.budget < 0 {
		return errLayout
	}
	if len(weight) == 1 {
		if r.cells() < need[0] {
			return errLayout
		}
		out[0] = r
		return nil
	}
	var wsum float64
	nsum := 0
	for i := range weight {
		wsum += weight[i]
		nsum += need[i]
	}
	if r.cells() < nsum {
		return errLayout
	}
	// Split points, most balanced first.
	ks := make([]int, len(weight)-1)
	pre := make([]float64, len(weight))
	preN := make([]int, len(weight))
	acc, accN := 0.0, 0
	for i := range weight {
		acc += weight[i]
		accN += need[i]
		pre[i], preN[i] = acc, accN
	}
	for i := range ks {
		ks[i] = i + 1
	}
	sort.SliceStable(ks, func(a, b int) bool {
		return math.Abs(pre[ks[a]-1]-wsum/2) < math.Abs(pre[ks[b]-1]-wsum/2)
	})
	for _, k := range ks {
		wl, nl, nr := pre[k-1], preN[k-1], nsum-preN[k-1]
		for _, vertical := range []bool{r.w() >= r.h(), r.w() < r.h()} {
			L, D := r.h(), r.w()
			if vertical {
				L, D = r.w(), r.h()
			}
			lo, hi := ceilDiv(nl, D), L-ceilDiv(nr, D)
			if lo < 1 || hi > L-1 || lo > hi {
				continue
			}
			if lo2, hi2 := ceilDiv(2*nl, D), L-ceilDiv(2*nr, D); lo2 >= 1 && hi2 <= L-1 && lo2 <= hi2 {
				lo, hi = lo2, hi2
			}
			cut := clamp(int(math.Round(float64(L)*wl/wsum)), lo, hi)
			a, b := r, r
			if vertical {
				a.x1, b.x0 = r.x0+int32(cut), r.x0+int32(cut)
			} else {
				a.y1, b.y0 = r.y0+int32(cut), r.y0+int32(cut)
			}
			if s.split(a, weight[:k], need[:k], out[:k]) == nil && s.split(b, weight[k:], need[k:], out[k:]) == nil {
				return nil
			}
		}
	}
	return errLayout
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// number puts the units in code order and remembers each one's position.
func (p *Province) number() {
	total := 1
	for l := range p.lv {
		total += p.lv[l].n()
		p.pos[l] = make([]int32, p.lv[l].n())
	}
	p.order = make([]uint32, 0, total)
	p.order = append(p.order, 7<<29) // the province
	var walk func(l, i int)
	walk = func(l, i int) {
		p.pos[l][i] = int32(len(p.order))
		p.order = append(p.order, uint32(l)<<29|uint32(i))
		if l+1 < numLevels {
			first := p.lv[l+1].first
			for c := first[i]; c < first[i+1]; c++ {
				walk(l+1, int(c))
			}
		}
	}
	for i := range p.lv[lvCity].n() {
		walk(lvCity, i)
	}
}

// NumUnits is the number of units, the province included.
func (p *Province) NumUnits() int { return len(p.order) }

// NumGrids is the number of grids.
func (p *Province) NumGrids() int { return p.lv[lvGrid].n() }

// Count returns the number of units at a level.
func (p *Province) Count(l wangge.Level) int {
	if l == wangge.LevelProvince {
		return 1
	}
	for i, x := range levelOf {
		if x == l {
			return p.lv[i].n()
		}
	}
	return 0
}

// Households and Population are the province's totals.
func (p *Province) Households() int64 { return p.house }

// Population is the province's number of residents.
func (p *Province) Population() int64 { return p.people }

// GridPos is the position in code order (Unit's i) of grid g, 0-based
// among grids.
func (p *Province) GridPos(g int) int { return int(p.pos[lvGrid][g]) }

// Code returns the code of unit i of level l: its parent's code and its
// 1-based rank among its siblings. Streets are numbered 001..; real
// divisions put towns at 1xx and townships at 2xx, which a generated tree
// need not copy.
func (p *Province) code(l, i int) string {
	if l < 0 {
		return ProvinceCode
	}
	rank := i + 1
	parent := ProvinceCode
	if l > lvCity {
		par := int(p.lv[l].parent[i])
		rank = i - int(p.lv[l].first[par]) + 1
		parent = p.code(l-1, par)
	}
	s := strconv.Itoa(rank)
	for len(s) < codeDigits[l] {
		s = "0" + s
	}
	return parent + s
}

// Unit fills u with unit i in code order, its boundary included. It
// allocates only what u keeps.
func (p *Province) Unit(i int, u *wangge.Unit) {
	l, k := int(p.order[i]>>29), int(p.order[i]&(1<<29-1))
	*u = wangge.Unit{Type: wangge.UnitComprehensive, Version: 1, ValidFrom: p.ValidFrom}
	var r rect
	if l == 7 {
		u.Code, u.Level = ProvinceCode, wangge.LevelProvince
		u.NameZH, u.NameEN = "浙江省", "Zhejiang Province (synthetic)"
		u.Households, u.Population = int(p.house), int(p.people)
		r = rect{0, 0, int32(p.lat.nx), int32(p.lat.ny)}
	} else {
		u.Code, u.Level = p.code(l, k), levelOf[l]
		u.ParentCode = u.Code[:len(u.Code)-codeDigits[l]]
		u.NameZH, u.NameEN = p.name(l, k)
		u.Households, u.Population = int(p.lv[l].house[k]), int(p.lv[l].people[k])
		r = p.lv[l].rect[k]
		if l == lvGrid && p.exclusive(k) >= 0 {
			u.Type = wangge.UnitExclusive
		}
	}
	ring := p.lat.ring(r)
	b := ring.bounds()
	u.BBox = &b
	u.Boundary = string(geo.MultiPolygon{geo.Polygon{ring.geo()}}.MarshalGeoJSON())
}

// Shape returns the boundary of unit i (code order) as geometry.
func (p *Province) Shape(i int) geo.MultiPolygon {
	l, k := int(p.order[i]>>29), int(p.order[i]&(1<<29-1))
	r := rect{0, 0, int32(p.lat.nx), int32(p.lat.ny)}
	if l != 7 {
		r = p.lv[l].rect[k]
	}
	return geo.MultiPolygon{geo.Polygon{p.lat.ring(r).geo()}}
}

// GridPoint returns a point strictly inside grid g, from the fractions
// a, b, c in [0, 1): a picks a cell of the grid, b and c the position in it.
func (p *Province) GridPoint(g int, a, b, c float64) geo.Point {
	r := p.lv[lvGrid].rect[g]
	cell := min(int(a*float64(r.cells())), r.cells()-1)
	i, j := int(r.x0)+cell%r.w(), int(r.y0)+cell/r.w()
	return p.lat.cellPoint(i, j, 0.02+0.96*b, 0.02+0.96*c)
}

// County returns the index of the county grid g lies in, and the county's
// code.
func (p *Province) countyOfGrid(g int) int {
	return int(p.lv[lvStreet].parent[p.lv[lvCommunity].parent[p.lv[lvGrid].parent[g]]])
}

// Counties returns the county codes in code order.
func (p *Province) Counties() []string {
	out := make([]string, p.lv[lvCounty].n())
	for i := range out {
		out[i] = p.code(lvCounty, i)
	}
	return out
}

// Centre returns a point inside the grid nearest the middle of the
// territory, for benchmarks that draw points around it.
func (p *Province) Centre() geo.Point {
	return p.lat.cellPoint(p.lat.nx/2, p.lat.ny/2, 0.5, 0.5)
}
