package demo

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

// addressPrefix starts every standard address: province, city, county and
// town of the demo area.
const addressPrefix = "江西省赣州市宁都县梅江镇"

// roadsPerCommunity is how many streets the compounds of one community are
// numbered on.
const roadsPerCommunity = 4

// registry fills in buildings, households and persons, and the household
// and population counts of every unit. It decides all counts first so that
// every slice is allocated once at its final size.
func (g *generator) registry(c *County, ly *layout, microPer []int) {
	rng := g.stream(5)

	// Households: per grid within [330, 490], per micro-grid within [30, 150],
	// larger micro-grids holding more.
	hhTotal := int(math.Round(TargetPopulation / meanHouseholdSize))
	gridHH := make([]int, len(c.Grids))
	w := make([]float64, len(c.Grids))
	for i := range w {
		w[i] = 0.1 + 1.8*rng.Float64()
	}
	apportion(rng, hhTotal, w, gridHouseholdsLow, gridHouseholdsHigh, gridHH)
	microHH := make([]int, len(c.MicroGrids))
	for gi, m := 0, 0; gi < len(c.Grids); gi++ {
		n := microPer[gi]
		w = w[:0]
		for k := m; k < m+n; k++ {
			w = append(w, float64(ly.micro[k].cells())*(0.6+0.8*rng.Float64()))
		}
		apportion(rng, gridHH[gi], w, MinHouseholdsPerMicro, MaxHouseholdsPerMicro, microHH[m:m+n])
		m += n
	}

	// Buildings: one per 10-22 households, 2-8 per micro-grid; the first
	// micro-grid of an exclusive grid also holds the institution itself,
	// a building without households.
	instOf := make([]int, len(c.MicroGrids)) // 1 + institution index on the micro-grid holding it
	for gi, m := 0, 0; gi < len(c.Grids); gi++ {
		instOf[m] = g.exclusive[gi]
		m += microPer[gi]
	}
	microB := make([]int, len(c.MicroGrids)) // residential buildings per micro-grid
	nBuildings := 0
	for mi, hh := range microHH {
		hi := MaxBuildingsPerMicro
		if instOf[mi] > 0 {
			hi--
		}
		microB[mi] = min(max(int(math.Round(float64(hh)/(10+12*rng.Float64()))), MinBuildingsPerMicro), hi)
		nBuildings += microB[mi]
		if instOf[mi] > 0 {
			nBuildings++
		}
	}
	buildingHH := make([]int, 0, nBuildings)
	for mi, hh := range microHH {
		n := microB[mi]
		w = w[:0]
		for range n {
			w = append(w, 0.5+rng.Float64())
		}
		start := len(buildingHH)
		buildingHH = buildingHH[:start+n]
		apportion(rng, hh, w, 1, hh, buildingHH[start:])
	}

	// Household sizes decide the number of persons.
	sizes := make([]uint8, hhTotal)
	nPersons := 0
	for i := range sizes {
		s := drawSize(rng)
		sizes[i] = uint8(s)
		nPersons += s
	}

	c.Buildings = make([]wangge.Building, 0, nBuildings)
	c.Households = make([]wangge.Household, hhTotal)
	c.Persons = make([]wangge.Person, nPersons)
	f := filler{
		g: g, c: c, ly: ly, rng: g.stream(6),
		comp:    &composer{rng: g.stream(7), ms: make([]member, 0, 8)},
		ids:     newIDMaker(g.stream(8), g.county, g.now),
		idBuf:   make([]byte, 18*nPersons),
		telBuf:  make([]byte, 11*nPersons),
		hasTel:  make([]bool, nPersons),
		sizes:   sizes,
		next:    make([]int, len(roads)),
		roadsOf: -1,
	}
	for i := range f.next {
		f.next[i] = 1 + 2*f.rng.IntN(5)
	}
	f.telOff = f.rng.IntN(1e8)

	bi := 0
	for gi, m := 0, 0; gi < len(c.Grids); gi++ {
		ci := communityIndex(c, c.Grids[gi].ParentCode)
		if f.roadsOf != ci {
			f.pickRoads(ci)
		}
		for k := m; k < m+microPer[gi]; k++ {
			n := microB[k]
			f.microGrid(k, ci, instOf[k], buildingHH[bi:bi+n])
			bi += n
		}
		m += microPer[gi]
	}
	f.finish()

	// Counts bottom-up, so every level is the sum of the one below.
	for gi, m := 0, 0; gi < len(c.Grids); gi++ {
		gr := &c.Grids[gi]
		for k := m; k < m+microPer[gi]; k++ {
			gr.Households += c.MicroGrids[k].Households
			gr.Population += c.MicroGrids[k].Population
		}
		m += microPer[gi]
		cm := &c.Communities[communityIndex(c, gr.ParentCode)]
		cm.Households += gr.Households
		cm.Population += gr.Population
	}
}

// communityIndex finds a community by code; there are only a few dozen.
func communityIndex(c *County, code string) int {
	for i := range c.Communities {
		if c.Communities[i].Code == code {
			return i
		}
	}
	return -1
}

// filler writes buildings, households and persons in order.
type filler struct {
	g    *generator
	c    *County
	ly   *layout
	rng  *rand.Rand
	comp *composer
	ids  *idMaker

	sizes []uint8 // size of every household, drawn in advance
	hh    int     // next household
	pi    int     // next person

	// ID numbers and phone numbers go into two buffers that become two
	// strings at the end, every person's value a substring: two
	// allocations instead of half a million.
	idBuf, telBuf []byte
	hasTel        []bool
	tels          int // phone numbers issued
	telOff        int

	buf []byte // scratch for building address strings

	roadsOf int   // community whose roads are in roads
	roads   []int // indexes into roads
	next    []int // next house number on each road
}

// pickRoads chooses the streets of community ci.
func (f *filler) pickRoads(ci int) {
	f.roadsOf = ci
	f.roads = f.rng.Perm(len(roads))[:roadsPerCommunity]
}

// number returns the next house number on road r. Numbers step by 2, 4 or
// 6: compounds stand on one side of the street and not every number is a
// compound.
func (f *filler) number(r int) int {
	n := f.next[r]
	f.next[r] += 2 * (1 + f.rng.IntN(3))
	return n
}

// microGrid writes the buildings of micro-grid k (one compound, 院落, with
// one house number on one of the community's roads), their households and
// residents. inst is 1 + the index of an institution standing there, or 0.
func (f *filler) microGrid(k, ci, inst int, perBuilding []int) {
	c, lat := f.c, f.ly.lat
	mg := &c.MicroGrids[k]
	code := mg.Code
	r := f.ly.micro[k]
	wCells, nCells := r.x1-r.x0, r.cells()
	road := f.roads[f.rng.IntN(len(f.roads))]
	street := addressPrefix + f.g.short[ci]
	no := strconv.Itoa(f.number(road))
	nb := len(perBuilding)
	if inst > 0 {
		nb++
	}
	// Spread the buildings over the cells of the block, one cell apart
	// where there is room, each near its cell's centre.
	place := func(b int) geo.Point {
		idx := b * nCells / nb
		return lat.cellPoint(r.x0+idx%wCells, r.y0+idx/wCells, 0.3+0.4*f.rng.Float64(), 0.3+0.4*f.rng.Float64())
	}
	seq := 0
	if inst > 0 {
		in := institutions[inst-1]
		p := place(seq)
		seq++
		c.Buildings = append(c.Buildings, wangge.Building{
			Code: code + seq4(seq), UnitCode: code,
			Address: street + roads[road] + strconv.Itoa(f.number(road)) + "号", Name: in.zh, Use: in.use,
			Floors: 3 + f.rng.IntN(4), Lon: p.X, Lat: p.Y, CRS: string(geo.WGS84),
		})
	}
	startHH, startPI := f.hh, f.pi
	for b, h := range perBuilding {
		p := place(seq)
		seq++
		name := roads[road] + no + "号" + strconv.Itoa(b+1) + "栋"
		use := "residential"
		shops := 0
		if f.rng.Float64() < 0.15 {
			use, shops = "mixed", 1 // shops on the ground floor, flats above
		}
		// Two flats per floor and stairwell (单元); a stairwell serves at
		// most 16 floors of flats, so buildings stay within 18 floors.
		units := (h + 31) / 32
		perUnit := (h + units - 1) / units
		floors := max((perUnit+1)/2, 2-shops) + shops
		bAddr := street + name
		c.Buildings = append(c.Buildings, wangge.Building{
			Code: code + seq4(seq), UnitCode: code, Address: bAddr, Name: name,
			Use: use, Floors: floors, Lon: p.X, Lat: p.Y, CRS: string(geo.WGS84),
		})
		bIndex := int64(len(c.Buildings) - 1)
		for i := 0; i < h; i++ {
			// One allocation per household: the room is the tail of the
			// address string.
			f.buf = appendRoom(append(f.buf[:0], bAddr...), i/perUnit+1, i%perUnit/2+1+shops, i%2+1)
			addr := string(f.buf)
			f.household(bIndex, code, addr[len(bAddr):], addr)
		}
	}
	mg.Households = f.hh - startHH
	mg.Population = f.pi - startPI
}

// appendRoom appends a flat as stairwell (单元), floor and door: "2单元301".
func appendRoom(b []byte, unit, floor, door int) []byte {
	b = strconv.AppendInt(b, int64(unit), 10)
	b = append(b, "单元"...)
	b = strconv.AppendInt(b, int64(floor), 10)
	return append(b, byte('0'+door/10), byte('0'+door%10))
}

// seq4 formats a building's 4-digit sequence.
func seq4(n int) string {
	b := make([]byte, 4)
	put(b, n)
	return string(b)
}

// household writes one household and its members.
func (f *filler) household(building int64, unitCode, room, address string) {
	rng := f.rng
	size := int(f.sizes[f.hh])
	ms := f.comp.compose(size)
	rented := rng.Float64() < rentedShare
	floating := rng.Float64() < floatingIfOwned
	if rented {
		floating = rng.Float64() < floatingIfRented
	}
	var hhBits uint8
	if rng.Float64() < lowIncomeShare {
		hhBits = bitLowIncome
	}
	residence := wangge.ResidenceRegistered
	if floating {
		residence = wangge.ResidenceFloating
	}
	headEth := ethnicity(rng.IntN(1000))
	first := f.pi
	for _, m := range ms {
		p := &f.c.Persons[f.pi]
		bits := m.tags | hhBits
		if m.age < 60 && rng.Float64() < disabledShareYoung || m.age >= 60 && rng.Float64() < disabledShareOld {
			bits |= bitDisabled
		}
		if m.age >= specialFrom && m.age <= specialTo && rng.Float64() < specialShare {
			bits |= bitSpecial
		}
		eth := headEth
		if !m.inherit && m.rel != "head" {
			eth = ethnicity(rng.IntN(1000))
		}
		sex := wangge.SexFemale
		if m.male {
			sex = wangge.SexMale
		}
		tags := tagStrings(bits)
		birth := f.ids.issue(rng, m.age, m.male, f.idBuf[18*f.pi:18*f.pi+18])
		if m.age >= 18 && (m.age < 75 && rng.Float64() < phoneShareAdults || m.age >= 75 && rng.Float64() < phoneShareOld) {
			f.phone(f.telBuf[11*f.pi : 11*f.pi+11])
			f.hasTel[f.pi] = true
		}
		*p = wangge.Person{
			HouseholdID: int64(f.hh),
			UnitCode:    unitCode,
			Name:        f.g.names[m.surname*len(givenChars)+rng.IntN(len(givenChars))],
			Sex:         sex,
			BirthDate:   birth,
			Ethnicity:   eth,
			Residence:   residence,
			Relation:    m.rel,
			Tags:        tags,
			CareTier:    wangge.DefaultCareTier(tags),
		}
		f.pi++
	}
	htags := []string{}
	if rented {
		htags = []string{wangge.TagRented}
	}
	f.c.Households[f.hh] = wangge.Household{
		BuildingID: building, UnitCode: unitCode, Room: room, Address: address,
		HeadName: f.c.Persons[first].Name, Members: size, Rented: rented, Tags: htags,
	}
	f.hh++
}

// ethnicity maps a draw in [0, 1000) to an ethnic group.
func ethnicity(r int) string {
	for _, e := range ethnicities {
		if r < e.permille {
			return e.name
		}
		r -= e.permille
	}
	return "汉族"
}

// phone writes the next fake mobile number: 199 or 170 and eight digits
// from a bijection of the counter, so numbers never repeat yet do not run
// in sequence through a building.
func (f *filler) phone(dst []byte) {
	n := f.tels
	f.tels++
	if n%3 == 0 {
		copy(dst, "170")
	} else {
		copy(dst, "199")
	}
	put(dst[3:], (n*37139213+f.telOff)%100000000) // the factor is prime to 10^8: a bijection
}

// finish turns the ID and phone buffers into the persons' strings.
func (f *filler) finish() {
	ids, tels := string(f.idBuf), string(f.telBuf)
	for i := range f.c.Persons {
		p := &f.c.Persons[i]
		p.IDNumber = ids[18*i : 18*i+18]
		if f.hasTel[i] {
			p.Phone = tels[11*i : 11*i+11]
		}
	}
}
