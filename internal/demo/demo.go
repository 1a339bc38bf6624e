// Package demo generates the synthetic part of the demo county: the urban
// area of 宁都县 (Ningdu, 360730), town 梅江镇, cut into its 21 real
// communities, 181 grids and 1,623 micro-grids, with buildings, households,
// about 280,000 obviously fake residents, staff and the county departments.
// It is pure and deterministic: no I/O, the same seed gives the same county,
// and a loader elsewhere stores the result.
package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

// The published size of the Ningdu urban area, which the generator matches.
const (
	NumGrids         = 181    // grids (网格) in the urban area
	NumMicroGrids    = 1623   // micro-grids (微网格)
	TargetPopulation = 280000 // residents, give or take random variation (well under 1 %)
)

// Bounds on the generated tree, from the national guidance on grid sizes
// (网格 of 300-500 households, 微网格 of 30-150) and the brief of the demo.
const (
	MinGridsPerCommunity  = 6
	MaxGridsPerCommunity  = 12
	MinHouseholdsPerGrid  = 300
	MaxHouseholdsPerGrid  = 500
	MinHouseholdsPerMicro = 30
	MaxHouseholdsPerMicro = 150
	MinBuildingsPerMicro  = 2
	MaxBuildingsPerMicro  = 8
)

// Tighter bounds the generator draws within, so that the published ones
// hold with room to spare.
const (
	minMicroPerGrid    = 7 // "about 9 per grid": 1,623 / 181 = 8.97
	maxMicroPerGrid    = 11
	gridHouseholdsLow  = 330 // ≥ 30 × maxMicroPerGrid, so every micro-grid can get its 30
	gridHouseholdsHigh = 490

	gridsPerPolice    = 7 // a grid police officer covers 6-8 grids ("1+N")
	minGridsPerPolice = 6
	maxGridsPerPolice = 8

	maxLayoutAttempts       = 8
	exclusiveGridsPerCounty = 5
)

// validFrom is when every generated unit version starts: 2024-01-01 in China
// Standard Time. A fixed zone rather than time.LoadLocation keeps the
// generator free of the time zone database.
var validFrom = time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Community is a real community committee of 梅江镇 as listed in the
// statistical division codes: Code is its 12-digit code, Name its name with
// or without the 居委会 suffix (units are named without it).
type Community struct{ Code, Name string }

// Unit is a generated community, grid or micro-grid with its boundary as
// geometry: one polygon, no holes, counter-clockwise, in WGS84. The
// embedded Unit is version 1, valid from 2024-01-01 (China Standard Time),
// with BBox set but Boundary empty: the loader encodes Shape with the geo
// package, the one place that writes GeoJSON.
type Unit struct {
	wangge.Unit
	Shape geo.MultiPolygon
}

// Staff is a user account to create. Units lists the codes of the units the
// user is responsible for; Department is the code of the department a
// RoleDepartment user belongs to (empty for everyone else), which the loader
// resolves to a department ID.
type Staff struct {
	Username   string
	Name       string
	Role       wangge.Role
	Units      []string
	Department string
}

// County is the generated part of the demo county. Slices are in code order
// (units, buildings) or in the order of their parent (households by
// building, persons by household).
//
// Household.BuildingID is an index into Buildings and Person.HouseholdID an
// index into Households, both starting at 0: the loader maps them to the
// database IDs it gets on insert. All other ID fields are zero.
type County struct {
	Outline     geo.MultiPolygon // the whole urban area, the union of the communities
	Communities []Unit
	Grids       []Unit
	MicroGrids  []Unit
	Buildings   []wangge.Building
	Households  []wangge.Household
	Persons     []wangge.Person
	Staff       []Staff
	Departments []wangge.Department
}

// Generate builds the urban area around center (WGS84) covering areaKM2
// square kilometres, divided into the given communities (16 to 30 of them,
// all in one town; the demo passes the 21 of 梅江镇), with NumGrids grids and
// NumMicroGrids micro-grids. now dates the residents: ages are computed
// against it and every ID number is valid at now. The same arguments always
// give the same County.
func Generate(seed int64, center geo.Point, areaKM2 float64, communities []Community, now time.Time) (*County, error) {
	return generate(seed, center, areaKM2, communities, now, true)
}

// GenerateTerritory is Generate without the registry (buildings,
// households, residents): the units, the staff and the departments, the same
// as Generate gives, for benchmarks and tests that need the map but not the
// people. Household and population counts of the units stay zero.
func GenerateTerritory(seed int64, center geo.Point, areaKM2 float64, communities []Community, now time.Time) (*County, error) {
	return generate(seed, center, areaKM2, communities, now, false)
}

func generate(seed int64, center geo.Point, areaKM2 float64, communities []Community, now time.Time, people bool) (*County, error) {
	if err := checkInput(center, areaKM2, communities); err != nil {
		return nil, err
	}
	g := newGenerator(seed, communities, now)
	gridsPer, microPer, ly, _, err := g.geometry(center, areaKM2)
	if err != nil {
		return nil, err
	}

	c := &County{}
	c.Outline, _ = ly.lat.shape(rect{0, 0, ly.lat.nx, ly.lat.ny})
	g.units(c, ly, gridsPer, microPer)
	if people {
		g.registry(c, ly, microPer)
	}
	g.staff(c)
	return c, nil
}

// geometry decides how many grids each community and how many micro-grids
// each grid has, and lays them out; attempts is the number of lattice draws
// it took.
func (g *generator) geometry(center geo.Point, areaKM2 float64) (gridsPer, microPer []int, ly *layout, attempts int, err error) {
	gridsPer = spread(g.stream(1), len(g.communities), NumGrids, MinGridsPerCommunity, MaxGridsPerCommunity, 2)
	microPer = spread(g.stream(2), NumGrids, NumMicroGrids, minMicroPerGrid, maxMicroPerGrid, 2)
	// A guillotine cut can in principle paint itself into a corner; another
	// draw of the lattice has always fitted in practice (the tests try many
	// seeds), and retrying from the same stream keeps the result
	// deterministic.
	rng := g.stream(3)
	for attempts = 1; attempts <= maxLayoutAttempts; attempts++ {
		if ly, err = newLayout(rng, center, areaKM2, gridsPer, microPer); err == nil {
			return gridsPer, microPer, ly, attempts, nil
		}
	}
	return nil, nil, nil, 0, err
}

// checkInput rejects arguments the generator cannot honour, with an invalid
// error naming the problem.
func checkInput(center geo.Point, areaKM2 float64, communities []Community) error {
	if math.IsNaN(center.X) || math.IsNaN(center.Y) || center.X < -180 || center.X > 180 || center.Y < -80 || center.Y > 80 {
		return wangge.Errorf(wangge.EINVALID, "demo: center %v is not a WGS84 position away from the poles", center)
	}
	if !(areaKM2 >= 1 && areaKM2 <= 10000) {
		return wangge.Errorf(wangge.EINVALID, "demo: area %v km² is out of range 1..10000", areaKM2)
	}
	n := len(communities)
	if n*MinGridsPerCommunity > NumGrids || n*MaxGridsPerCommunity < NumGrids {
		return wangge.Errorf(wangge.EINVALID, "demo: %d communities cannot hold %d grids of %d-%d each", n, NumGrids, MinGridsPerCommunity, MaxGridsPerCommunity)
	}
	seen := make(map[string]bool, n)
	for _, cm := range communities {
		if len(cm.Code) != wangge.CodeLength(wangge.LevelCommunity) || !isDigits(cm.Code) {
			return wangge.Errorf(wangge.EINVALID, "demo: community code %q is not 12 digits", cm.Code)
		}
		if cm.Code[:9] != communities[0].Code[:9] {
			return wangge.Errorf(wangge.EINVALID, "demo: community %s is not in town %s", cm.Code, communities[0].Code[:9])
		}
		if seen[cm.Code] {
			return wangge.Errorf(wangge.EINVALID, "demo: community %s appears twice", cm.Code)
		}
		seen[cm.Code] = true
		if shortName(cm.Name) == "" {
			return wangge.Errorf(wangge.EINVALID, "demo: community %s has no name", cm.Code)
		}
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// generator holds what one Generate call shares between its stages.
type generator struct {
	seed        int64
	now         time.Time
	county      string // 6-digit county code, the region of every ID number
	communities []Community
	short       []string // community names without the committee suffix
	english     []string
	names       []string // fake names, surname-major: names[s*len(givenChars)+k]
	exclusive   []int    // per grid: 1 + index into institutions, 0 if comprehensive
}

func newGenerator(seed int64, communities []Community, now time.Time) *generator {
	g := &generator{seed: seed, now: now, county: communities[0].Code[:6], communities: communities}
	for i, cm := range communities {
		s := shortName(cm.Name)
		en, ok := communityEN[s]
		if !ok {
			en = "Community " + strconv.Itoa(i+1)
		}
		g.short = append(g.short, s)
		g.english = append(g.english, en)
	}
	g.names = make([]string, 0, len(surnames)*len(givenChars))
	for _, s := range surnames {
		for _, k := range givenChars {
			g.names = append(g.names, s+"演示"+k)
		}
	}
	return g
}

// stream returns an independent random stream for one stage, so that a
// change in how one stage draws does not reshuffle every other stage.
func (g *generator) stream(n uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.seed), n*0x9e3779b97f4a7c15))
}

// spread returns n counts in [lo, hi] that sum to total: each starts at the
// mean give or take swing, then random counts move by one until the sum is
// right. total must lie in [n*lo, n*hi].
func spread(rng *rand.Rand, n, total, lo, hi, swing int) []int {
	out := make([]int, n)
	mean := float64(total) / float64(n)
	sum := 0
	for i := range out {
		v := int(math.Round(mean)) + rng.IntN(2*swing+1) - swing
		out[i] = min(max(v, lo), hi)
		sum += out[i]
	}
	for sum != total {
		i := rng.IntN(n)
		if sum < total && out[i] < hi {
			out[i]++
			sum++
		} else if sum > total && out[i] > lo {
			out[i]--
			sum--
		}
	}
	return out
}

// apportion fills out with counts in [lo, hi] that sum to total, roughly in
// proportion to the weights. total must lie in [n*lo, n*hi].
func apportion(rng *rand.Rand, total int, w []float64, lo, hi int, out []int) {
	var wsum float64
	for _, x := range w {
		wsum += x
	}
	rest := total - lo*len(w)
	sum := 0
	for i, x := range w {
		out[i] = min(lo+int(float64(rest)*x/wsum), hi)
		sum += out[i]
	}
	// Flooring leaves a few units over; hand them out from a random start
	// so that the first items are not always favoured.
	for i := rng.IntN(len(w)); sum < total; i = (i + 1) % len(w) {
		if out[i] < hi {
			out[i]++
			sum++
		}
	}
}

// units fills in the communities, grids and micro-grids (without household
// and population counts, which the registry adds) and picks the exclusive
// grids, which the registry reads.
func (g *generator) units(c *County, ly *layout, gridsPer, microPer []int) {
	rng := g.stream(4)
	lat := ly.lat
	c.Communities = make([]Unit, len(g.communities))
	c.Grids = make([]Unit, 0, NumGrids)
	c.MicroGrids = make([]Unit, 0, NumMicroGrids)

	// A handful of grids are exclusive (专属网格), each in a different
	// community, drawn around a school, a market or a hospital.
	g.exclusive = make([]int, NumGrids)
	exclusive := g.exclusive
	perm := rng.Perm(len(g.communities))
	for k := 0; k < exclusiveGridsPerCounty; k++ {
		cm := perm[k]
		first := 0
		for _, n := range gridsPer[:cm] {
			first += n
		}
		exclusive[first+rng.IntN(gridsPer[cm])] = k + 1
	}

	gi, mi := 0, 0
	for ci, cm := range g.communities {
		shape, bb := lat.shape(ly.communities[ci])
		c.Communities[ci] = Unit{Shape: shape, Unit: wangge.Unit{
			Code: cm.Code, ParentCode: cm.Code[:9], Level: wangge.LevelCommunity,
			NameZH: g.short[ci], NameEN: g.english[ci], Type: wangge.UnitComprehensive,
			BBox: bb, Version: 1, ValidFrom: validFrom,
		}}
		for gs := 1; gs <= gridsPer[ci]; gs++ {
			code := cm.Code + seq3(gs)
			nameZH := g.short[ci] + "第" + strconv.Itoa(gs) + "网格"
			nameEN := g.english[ci] + " Grid " + strconv.Itoa(gs)
			typ := wangge.UnitComprehensive
			if k := exclusive[gi]; k > 0 {
				inst := institutions[k-1]
				typ = wangge.UnitExclusive
				nameZH += "（" + inst.zh + "专属网格）"
				nameEN += " (" + inst.en + ", exclusive)"
			}
			shape, bb := lat.shape(ly.grids[gi])
			c.Grids = append(c.Grids, Unit{Shape: shape, Unit: wangge.Unit{
				Code: code, ParentCode: cm.Code, Level: wangge.LevelGrid,
				NameZH: nameZH, NameEN: nameEN, Type: typ,
				BBox: bb, Version: 1, ValidFrom: validFrom,
			}})
			for ms := 1; ms <= microPer[gi]; ms++ {
				shape, bb := lat.shape(ly.micro[mi])
				c.MicroGrids = append(c.MicroGrids, Unit{Shape: shape, Unit: wangge.Unit{
					Code: code + seq3(ms), ParentCode: code, Level: wangge.LevelMicroGrid,
					NameZH: g.short[ci] + "第" + strconv.Itoa(gs) + "网格第" + strconv.Itoa(ms) + "微网格",
					NameEN: g.english[ci] + " Grid " + strconv.Itoa(gs) + " Micro-grid " + strconv.Itoa(ms),
					// Micro-grids of an exclusive grid are parts of the same
					// school, market or hospital.
					Type: typ, BBox: bb, Version: 1, ValidFrom: validFrom,
				}})
				mi++
			}
			gi++
		}
	}
}

// seq3 formats a 1-based sequence number as the 3 digits of a grid or
// micro-grid code.
func seq3(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}
