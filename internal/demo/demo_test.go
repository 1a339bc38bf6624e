package demo_test

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/demo"
	"github.com/wangge/wangge/internal/geo"
)

// ningdu lists the 21 community committees of 梅江镇 as they appear in the
// statistical division codes (2023).
var ningdu = []demo.Community{
	{Code: "360730100001", Name: "中山南路社区居委会"},
	{Code: "360730100002", Name: "中山北路社区居委会"},
	{Code: "360730100003", Name: "城南社区居委会"},
	{Code: "360730100004", Name: "城北社区居委会"},
	{Code: "360730100005", Name: "江东社区居委会"},
	{Code: "360730100006", Name: "金盆社区居委会"},
	{Code: "360730100007", Name: "胜利西路社区居委会"},
	{Code: "360730100008", Name: "博生西路社区居委会"},
	{Code: "360730100009", Name: "翠微社区居委会"},
	{Code: "360730100010", Name: "永宁社区居委会"},
	{Code: "360730100011", Name: "龙溪社区居委会"},
	{Code: "360730100012", Name: "崇文社区居委会"},
	{Code: "360730100013", Name: "邦士路社区居委会"},
	{Code: "360730100014", Name: "文乡社区居委会"},
	{Code: "360730100015", Name: "虔化社区居委会"},
	{Code: "360730100016", Name: "观露社区居委会"},
	{Code: "360730100017", Name: "易堂社区居委会"},
	{Code: "360730100018", Name: "红山岭社区居委会"},
	{Code: "360730100019", Name: "雪竹坪社区居委会"},
	{Code: "360730100020", Name: "五贤社区居委会"},
	{Code: "360730100021", Name: "东平社区居委会"},
}

var (
	center  = geo.Point{X: 116.0137, Y: 26.4752}
	areaKM2 = 27.5
	now     = time.Date(2025, 6, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
)

const testSeed = 20240101

var (
	once   sync.Once
	county *demo.County
	genErr error
)

// mustCounty returns the county of testSeed, generated once for all tests
// that only read it.
func mustCounty(t testing.TB) *demo.County {
	t.Helper()
	once.Do(func() { county, genErr = demo.Generate(testSeed, center, areaKM2, ningdu, now) })
	if genErr != nil {
		t.Fatalf("Generate: %v", genErr)
	}
	return county
}

func TestCounts(t *testing.T) {
	c := mustCounty(t)
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"communities", len(c.Communities), 21},
		{"grids", len(c.Grids), 181},
		{"micro-grids", len(c.MicroGrids), 1623},
		{"departments", len(c.Departments), 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %d, want %d", tc.got, tc.want)
			}
		})
	}
	gridsPer := children(c.Grids)
	for _, cm := range c.Communities {
		if n := gridsPer[cm.Code]; n < 6 || n > 12 {
			t.Errorf("community %s has %d grids, want 6-12", cm.Code, n)
		}
	}
	buildingsPer := map[string]int{}
	for _, b := range c.Buildings {
		buildingsPer[b.UnitCode]++
	}
	for _, mg := range c.MicroGrids {
		if n := buildingsPer[mg.Code]; n < 2 || n > 8 {
			t.Errorf("micro-grid %s has %d buildings, want 2-8", mg.Code, n)
		}
	}
	exclusive := 0
	for _, g := range c.Grids {
		if g.Type == wangge.UnitExclusive {
			exclusive++
			if !strings.Contains(g.NameZH, "专属网格") {
				t.Errorf("exclusive grid %s is named %q", g.Code, g.NameZH)
			}
		}
	}
	if exclusive < 3 || exclusive > 8 {
		t.Errorf("%d exclusive grids, want a handful", exclusive)
	}
}

// children counts units per parent code.
func children(units []demo.Unit) map[string]int {
	m := map[string]int{}
	for _, u := range units {
		m[u.ParentCode]++
	}
	return m
}

func TestHouseholdsAndPopulation(t *testing.T) {
	c := mustCounty(t)
	for _, tc := range []struct {
		level  string
		units  []demo.Unit
		lo, hi int
	}{
		{"grid", c.Grids, 300, 500},
		{"micro-grid", c.MicroGrids, 30, 150},
	} {
		t.Run(tc.level, func(t *testing.T) {
			for _, u := range tc.units {
				if u.Households < tc.lo || u.Households > tc.hi {
					t.Errorf("%s %s has %d households, want %d-%d", tc.level, u.Code, u.Households, tc.lo, tc.hi)
				}
			}
		})
	}

	// Every level is the sum of the one below, down to the registry rows.
	type count struct{ households, population int }
	sums := map[string]*count{}
	add := func(code string, h, p int) {
		if sums[code] == nil {
			sums[code] = &count{}
		}
		sums[code].households += h
		sums[code].population += p
	}
	members := make([]int, len(c.Households))
	for _, p := range c.Persons {
		members[p.HouseholdID]++
		add("persons:"+p.UnitCode, 0, 1)
	}
	for i, h := range c.Households {
		if h.Members != members[i] {
			t.Fatalf("household %d says %d members, has %d", i, h.Members, members[i])
		}
		add("households:"+h.UnitCode, 1, h.Members)
	}
	for _, m := range c.MicroGrids {
		got := count{m.Households, m.Population}
		if hs := sums["households:"+m.Code]; hs == nil || *hs != got || sums["persons:"+m.Code].population != m.Population {
			t.Errorf("micro-grid %s: counts %+v do not match its households and persons", m.Code, got)
		}
		add(m.ParentCode, m.Households, m.Population)
	}
	for _, g := range c.Grids {
		if s := sums[g.Code]; s == nil || s.households != g.Households || s.population != g.Population {
			t.Errorf("grid %s: %d/%d, micro-grids sum to %+v", g.Code, g.Households, g.Population, s)
		}
		add(g.ParentCode, g.Households, g.Population)
	}
	total := 0
	for _, cm := range c.Communities {
		if s := sums[cm.Code]; s == nil || s.households != cm.Households || s.population != cm.Population {
			t.Errorf("community %s: %d/%d, grids sum to %+v", cm.Code, cm.Households, cm.Population, s)
		}
		total += cm.Population
	}
	if total != len(c.Persons) {
		t.Errorf("communities hold %d people, registry %d", total, len(c.Persons))
	}
	if d := math.Abs(float64(len(c.Persons))/280000 - 1); d > 0.03 {
		t.Errorf("%d persons, want 280,000 ± 3%%", len(c.Persons))
	}
	mean := float64(len(c.Persons)) / float64(len(c.Households))
	if mean < 3.5 || mean > 4 {
		t.Errorf("mean household size %.2f, want 3.5-4", mean)
	}
	t.Logf("%d households, %d persons, mean size %.2f, %d buildings", len(c.Households), len(c.Persons), mean, len(c.Buildings))
}

func TestUnitsValidate(t *testing.T) {
	c := mustCounty(t)
	town := &wangge.Unit{Code: "360730100", ParentCode: "360730", Level: wangge.LevelStreet, NameZH: "梅江镇"}
	byCode := map[string]*wangge.Unit{}
	for _, l := range [][]demo.Unit{c.Communities, c.Grids, c.MicroGrids} {
		for i := range l {
			byCode[l[i].Code] = &l[i].Unit
		}
	}
	for _, tc := range []struct {
		level   wangge.Level
		units   []demo.Unit
		codeLen int
	}{
		{wangge.LevelCommunity, c.Communities, 12},
		{wangge.LevelGrid, c.Grids, 15},
		{wangge.LevelMicroGrid, c.MicroGrids, 18},
	} {
		t.Run(string(tc.level), func(t *testing.T) {
			seen := map[string]bool{}
			for _, u := range tc.units {
				parent := byCode[u.ParentCode]
				if tc.level == wangge.LevelCommunity {
					parent = town
				}
				if parent == nil {
					t.Fatalf("%s: no parent %s", u.Code, u.ParentCode)
				}
				if err := u.Validate(parent); err != nil {
					t.Errorf("%s: %v", u.Code, err)
				}
				if u.Level != tc.level || len(u.Code) != tc.codeLen || u.Code[:len(parent.Code)] != parent.Code {
					t.Errorf("%s: level %s, parent %s", u.Code, u.Level, u.ParentCode)
				}
				if seen[u.Code] {
					t.Errorf("%s: duplicate code", u.Code)
				}
				seen[u.Code] = true
				if u.Version != 1 || !u.ValidFrom.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("", 8*3600))) {
					t.Errorf("%s: version %d valid from %v", u.Code, u.Version, u.ValidFrom)
				}
				if u.NameEN == "" || u.BBox == nil {
					t.Errorf("%s: missing English name or bbox", u.Code)
				}
			}
		})
	}
	for _, tc := range []struct{ code, zh, en string }{
		{"360730100001", "中山南路社区", "Zhongshan South Road Community"},
		{"360730100001001", "中山南路社区第1网格", "Zhongshan South Road Community Grid 1"},
		{"360730100001001003", "中山南路社区第1网格第3微网格", "Zhongshan South Road Community Grid 1 Micro-grid 3"},
	} {
		u := byCode[tc.code]
		if u == nil {
			t.Errorf("no unit %s", tc.code)
			continue
		}
		if u.Type == wangge.UnitComprehensive && (u.NameZH != tc.zh || u.NameEN != tc.en) {
			t.Errorf("%s is named %q / %q, want %q / %q", tc.code, u.NameZH, u.NameEN, tc.zh, tc.en)
		}
	}
}

func TestBuildings(t *testing.T) {
	c := mustCounty(t)
	micro := map[string]*demo.Unit{}
	for i := range c.MicroGrids {
		micro[c.MicroGrids[i].Code] = &c.MicroGrids[i]
	}
	seen := map[string]bool{}
	for _, b := range c.Buildings {
		mg := micro[b.UnitCode]
		if mg == nil || len(b.Code) != 22 || b.Code[:18] != b.UnitCode {
			t.Fatalf("building %s in unknown micro-grid %s", b.Code, b.UnitCode)
		}
		if seen[b.Code] || seen[b.Address] {
			t.Errorf("building %s: duplicate code or address %s", b.Code, b.Address)
		}
		seen[b.Code], seen[b.Address] = true, true
		if !inMultiPolygon(geo.Point{X: b.Lon, Y: b.Lat}, mg.Shape) {
			t.Errorf("building %s at %.6f,%.6f lies outside its micro-grid", b.Code, b.Lon, b.Lat)
		}
		if b.Floors < 2 || b.Floors > 18 || b.CRS != "wgs84" || b.Name == "" {
			t.Errorf("building %s: floors %d, crs %q, name %q", b.Code, b.Floors, b.CRS, b.Name)
		}
		if !strings.HasPrefix(b.Address, "江西省赣州市宁都县梅江镇") || !strings.Contains(b.Address, "社区") || !strings.Contains(b.Address, "号") {
			t.Errorf("building %s: address %q is not a standard address", b.Code, b.Address)
		}
	}
	uses := map[string]int{}
	for _, b := range c.Buildings {
		uses[b.Use]++
	}
	if uses["residential"] < len(c.Buildings)*3/4 {
		t.Errorf("uses %v: want mostly residential", uses)
	}
	for i, h := range c.Households {
		if h.BuildingID < 0 || int(h.BuildingID) >= len(c.Buildings) {
			t.Fatalf("household %d: building index %d out of range", i, h.BuildingID)
		}
		b := c.Buildings[h.BuildingID]
		if h.UnitCode != b.UnitCode || h.Address != b.Address+h.Room || !strings.Contains(h.Room, "单元") {
			t.Errorf("household %d: unit %s room %q address %q in building %s", i, h.UnitCode, h.Room, h.Address, b.Address)
		}
		if seen[h.Address] {
			t.Errorf("household %d: duplicate address %s", i, h.Address)
		}
		seen[h.Address] = true
		if h.Rented != (len(h.Tags) == 1 && h.Tags[0] == wangge.TagRented) || (!h.Rented && len(h.Tags) != 0) {
			t.Errorf("household %d: rented %v, tags %v", i, h.Rented, h.Tags)
		}
	}
	t.Logf("building uses %v", uses)
}

func TestPersons(t *testing.T) {
	c := mustCounty(t)
	ids := make(map[string]bool, len(c.Persons))
	phones := map[string]bool{}
	heads := make([]int, len(c.Households)) // index of each household's head
	for i := range heads {
		heads[i] = -1
	}
	var floating, aged60 int
	tags := map[string]int{}
	ethnic := map[string]int{}
	names := map[string]bool{}
	for i := range c.Persons {
		orig := c.Persons[i]
		p := orig
		if err := p.Validate(now); err != nil {
			t.Fatalf("person %d (%s, %s): %v", i, orig.Name, orig.IDNumber, err)
		}
		// Validate rederives sex and birth date from the ID number.
		if p.Sex != orig.Sex || !p.BirthDate.Equal(orig.BirthDate) || p.CareTier != orig.CareTier {
			t.Errorf("person %d: sex %s / birth %v / tier %s disagree with ID %s", i, orig.Sex, orig.BirthDate, orig.CareTier, orig.IDNumber)
		}
		if orig.IDNumber[:6] != "360730" {
			t.Errorf("person %d: ID %s not registered in 360730", i, orig.IDNumber)
		}
		if ids[orig.IDNumber] {
			t.Errorf("person %d: duplicate ID %s", i, orig.IDNumber)
		}
		ids[orig.IDNumber] = true
		age := wangge.Age(orig.BirthDate, now)
		if age < 0 || age > 95 {
			t.Errorf("person %d: age %d", i, age)
		}
		if age >= 60 {
			aged60++
		}
		if orig.Phone != "" {
			if age < 18 || !wangge.ValidPhone(orig.Phone) || phones[orig.Phone] {
				t.Errorf("person %d aged %d: phone %q invalid, duplicate or for a minor", i, age, orig.Phone)
			}
			phones[orig.Phone] = true
		}
		if !strings.Contains(orig.Name, "演示") || strings.ContainsAny(orig.Name, "0123456789") {
			t.Errorf("person %d: name %q is not plainly fake", i, orig.Name)
		}
		if orig.Residence == wangge.ResidenceFloating {
			floating++
		}
		ethnic[orig.Ethnicity]++
		names[orig.Name] = true
		if orig.Relation == "head" {
			if heads[orig.HouseholdID] >= 0 {
				t.Errorf("household %d has two heads", orig.HouseholdID)
			}
			heads[orig.HouseholdID] = i
		}
		if orig.UnitCode != c.Households[orig.HouseholdID].UnitCode {
			t.Errorf("person %d lives in %s, household in %s", i, orig.UnitCode, c.Households[orig.HouseholdID].UnitCode)
		}
		for _, tag := range orig.Tags {
			tags[tag]++
		}
	}
	n := float64(len(c.Persons))

	// Relations agree with ages.
	for i, p := range c.Persons {
		hi := heads[p.HouseholdID]
		if hi < 0 {
			t.Fatalf("household %d has no head", p.HouseholdID)
		}
		h := c.Persons[hi]
		age, headAge := wangge.Age(p.BirthDate, now), wangge.Age(h.BirthDate, now)
		var ok bool
		switch p.Relation {
		case "head":
			ok = age >= 18 && c.Households[p.HouseholdID].HeadName == p.Name
		case "spouse", "other":
			ok = age >= 20
		case "child":
			ok = age <= headAge-18
		case "parent":
			ok = age >= headAge+18
		case "grandchild":
			ok = age <= headAge-36
		}
		if !ok {
			t.Errorf("person %d: %s aged %d, head aged %d", i, p.Relation, age, headAge)
		}
		hasTag := func(tag string) bool {
			for _, x := range p.Tags {
				if x == tag {
					return true
				}
			}
			return false
		}
		if hasTag(wangge.TagElderlyAlone) && (age < 70 || c.Households[p.HouseholdID].Members != 1) {
			t.Errorf("person %d: elderly alone aged %d in a household of %d", i, age, c.Households[p.HouseholdID].Members)
		}
		if hasTag(wangge.TagLeftBehind) && age >= 16 {
			t.Errorf("person %d: left-behind child aged %d", i, age)
		}
		if p.CareTier != wangge.DefaultCareTier(p.Tags) {
			t.Errorf("person %d: care tier %s for tags %v", i, p.CareTier, p.Tags)
		}
	}

	for _, tc := range []struct {
		name    string
		got     float64
		lo, hi  float64
		percent bool
	}{
		{"floating", float64(floating) / n, 0.13, 0.17, true},
		{"aged 60+", float64(aged60) / n, 0.12, 0.30, true},
		{wangge.TagElderlyAlone, float64(tags[wangge.TagElderlyAlone]) / n, 0.012, 0.018, true},
		{wangge.TagLeftBehind, float64(tags[wangge.TagLeftBehind]) / n, 0.007, 0.013, true},
		{wangge.TagDisabled, float64(tags[wangge.TagDisabled]) / n, 0.015, 0.025, true},
		{wangge.TagLowIncome, float64(tags[wangge.TagLowIncome]) / n, 0.015, 0.025, true},
		{wangge.TagSpecial, float64(tags[wangge.TagSpecial]) / n, 0.001, 0.003, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got < tc.lo || tc.got > tc.hi {
				t.Errorf("share %.4f, want %.4f-%.4f", tc.got, tc.lo, tc.hi)
			}
		})
	}
	if s := float64(ethnic["汉族"]) / n; s < 0.97 || ethnic["畲族"] == 0 || ethnic["回族"] == 0 || ethnic["壮族"] == 0 {
		t.Errorf("ethnic groups %v: want mostly 汉族 with a few 畲族, 回族, 壮族", ethnic)
	}
	if len(names) < 1000 {
		t.Errorf("only %d distinct names", len(names))
	}
	rented := 0
	sizes := make([]int, 8)
	for i, h := range c.Households {
		if h.Rented {
			rented++
		}
		if h.Members < 1 || h.Members > 7 {
			t.Fatalf("household %d has %d members, want 1-7", i, h.Members)
		}
		sizes[h.Members]++
	}
	for k := 1; k <= 7; k++ {
		if sizes[k] < len(c.Households)/50 {
			t.Errorf("household sizes %v: too few of size %d", sizes[1:], k)
		}
	}
	if s := float64(rented) / float64(len(c.Households)); s < 0.08 || s > 0.12 {
		t.Errorf("rented share %.3f, want about 0.10", s)
	}
}

func TestStaff(t *testing.T) {
	c := mustCounty(t)
	codes := map[string]bool{"360730": true}
	for _, l := range [][]demo.Unit{c.Communities, c.Grids, c.MicroGrids} {
		for _, u := range l {
			codes[u.Code] = true
		}
	}
	depts := map[string]bool{}
	for _, d := range c.Departments {
		if d.Code == "" || d.NameZH == "" || d.NameEN == "" || d.UnitCode != "360730" || depts[d.Code] {
			t.Errorf("department %+v", d)
		}
		depts[d.Code] = true
	}
	roles := map[wangge.Role]int{}
	names := map[string]bool{}
	policed := map[string]int{}
	for _, s := range c.Staff {
		u := wangge.User{Username: s.Username, Name: s.Name, Role: s.Role, Units: s.Units}
		if err := u.Validate(); err != nil {
			t.Errorf("staff %s: %v", s.Username, err)
		}
		for i := 0; i < len(s.Username); i++ {
			if s.Username[i] >= 0x80 {
				t.Errorf("username %q is not ASCII", s.Username)
				break
			}
		}
		if names[s.Username] {
			t.Errorf("duplicate username %s", s.Username)
		}
		names[s.Username] = true
		if !strings.Contains(s.Name, "演示") {
			t.Errorf("staff %s: name %q is not plainly fake", s.Username, s.Name)
		}
		for _, code := range s.Units {
			if !codes[code] {
				t.Errorf("staff %s: unknown unit %s", s.Username, code)
			}
		}
		roles[s.Role]++
		switch s.Role {
		case wangge.RoleGridPolice:
			if len(s.Units) < 6 || len(s.Units) > 8 {
				t.Errorf("%s covers %d grids, want 6-8", s.Username, len(s.Units))
			}
			for _, code := range s.Units {
				policed[code]++
			}
		case wangge.RoleDepartment:
			if !depts[s.Department] {
				t.Errorf("%s: unknown department %q", s.Username, s.Department)
			}
			if len(s.Units) != 0 {
				t.Errorf("%s covers units %v: a department's handler sees its department's cases, not the county's", s.Username, s.Units)
			}
		}
	}
	for _, tc := range []struct {
		role wangge.Role
		want int
	}{
		{wangge.RoleCadre, 21},
		{wangge.RoleGridLeader, 181},
		{wangge.RoleGridWorker, 181},
		{wangge.RoleMicroGridMember, 1623},
		{wangge.RoleOperator, 1},
		{wangge.RoleDepartment, 12},
	} {
		if roles[tc.role] != tc.want {
			t.Errorf("%d %s users, want %d", roles[tc.role], tc.role, tc.want)
		}
	}
	for _, g := range c.Grids {
		if policed[g.Code] != 1 {
			t.Errorf("grid %s has %d grid police officers, want 1", g.Code, policed[g.Code])
		}
	}
	for _, want := range []string{"operator", "cadre360730100001", "gl360730100001001", "gw360730100001001", "mg360730100001001001", "police01", "dept-gaj"} {
		if !names[want] {
			t.Errorf("no user %s", want)
		}
	}
}

func TestDeterminism(t *testing.T) {
	c := mustCounty(t)
	t.Parallel()
	again, err := demo.Generate(testSeed, center, areaKM2, ningdu, now)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fingerprint(c, true), fingerprint(again, true); a != b {
		t.Errorf("same seed, different output: %s vs %s", a, b)
	}
}

func TestOtherSeed(t *testing.T) {
	c := mustCounty(t)
	t.Parallel()
	// A second county, on a leap day, checked more lightly: it guards
	// against properties that hold for testSeed by luck, and its geometry
	// (which does not depend on now) must differ.
	leap := time.Date(2028, 2, 29, 23, 59, 0, 0, time.UTC)
	other, err := demo.Generate(testSeed+1, center, areaKM2, ningdu, leap)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fingerprint(c, false), fingerprint(other, false); a == b {
		t.Errorf("seeds %d and %d give the same units %s", testSeed, testSeed+1, a)
	}
	if len(other.Grids) != 181 || len(other.MicroGrids) != 1623 {
		t.Fatalf("%d grids, %d micro-grids", len(other.Grids), len(other.MicroGrids))
	}
	for _, g := range other.Grids {
		if g.Households < 300 || g.Households > 500 {
			t.Errorf("grid %s: %d households", g.Code, g.Households)
		}
	}
	// Every person of one county is validated in TestPersons; here every
	// seventh, on the awkward date, is enough and keeps the race run fast.
	for i := 0; i < len(other.Persons); i += 7 {
		p := other.Persons[i]
		if err := p.Validate(leap); err != nil {
			t.Fatalf("person %d: %v", i, err)
		}
		if a := wangge.Age(p.BirthDate, leap); a < 0 || a > 95 {
			t.Fatalf("person %d: age %d", i, a)
		}
	}
}

// fingerprint hashes a canonical rendering of every field of the units
// and, if all, of everything else in the county.
func fingerprint(c *demo.County, all bool) string {
	h := sha256.New()
	w := canon{h: h, buf: make([]byte, 0, 1<<16)}
	w.shape(c.Outline)
	for _, l := range [][]demo.Unit{c.Communities, c.Grids, c.MicroGrids} {
		for _, u := range l {
			w.s(u.Code, u.ParentCode, string(u.Level), u.NameZH, u.NameEN, string(u.Type), u.Boundary, u.ValidFrom.String())
			w.i(int64(u.Households), int64(u.Population), int64(u.Version))
			w.f(u.BBox[:]...)
			w.shape(u.Shape)
		}
	}
	if !all {
		w.flush()
		return hex.EncodeToString(h.Sum(nil))
	}
	for _, b := range c.Buildings {
		w.s(b.Code, b.UnitCode, b.Address, b.Name, b.Use, b.CRS)
		w.i(int64(b.Floors))
		w.f(b.Lon, b.Lat)
	}
	for _, x := range c.Households {
		w.s(x.UnitCode, x.Room, x.Address, x.HeadName, strconv.FormatBool(x.Rented))
		w.s(x.Tags...)
		w.i(x.BuildingID, int64(x.Members))
	}
	for _, p := range c.Persons {
		w.s(p.UnitCode, p.Name, p.IDNumber, string(p.Sex), p.Phone, p.Ethnicity, string(p.Residence), p.Relation, string(p.CareTier))
		w.s(p.Tags...)
		w.i(p.HouseholdID, p.BirthDate.Unix())
	}
	for _, s := range c.Staff {
		w.s(s.Username, s.Name, string(s.Role), s.Department)
		w.s(s.Units...)
	}
	for _, d := range c.Departments {
		w.s(d.Code, d.NameZH, d.NameEN, d.UnitCode)
	}
	w.flush()
	return hex.EncodeToString(h.Sum(nil))
}

// canon renders values unambiguously (each followed by a separator) into a
// hash, buffered because there are millions of them.
type canon struct {
	h   hash.Hash
	buf []byte
}

func (w *canon) flush() { w.h.Write(w.buf); w.buf = w.buf[:0] }

func (w *canon) grow() {
	if len(w.buf) > 1<<15 {
		w.flush()
	}
}

func (w *canon) s(xs ...string) {
	for _, x := range xs {
		w.buf = append(append(w.buf, x...), 0)
	}
	w.buf = append(w.buf, 1)
	w.grow()
}

func (w *canon) i(xs ...int64) {
	for _, x := range xs {
		w.buf = append(strconv.AppendInt(w.buf, x, 10), 0)
	}
	w.grow()
}

func (w *canon) f(xs ...float64) {
	for _, x := range xs {
		w.buf = append(strconv.AppendUint(w.buf, math.Float64bits(x), 16), 0)
	}
	w.grow()
}

func (w *canon) shape(m geo.MultiPolygon) {
	for _, poly := range m {
		for _, ring := range poly {
			for _, p := range ring {
				w.f(p.X, p.Y)
			}
			w.buf = append(w.buf, 2)
		}
		w.buf = append(w.buf, 3)
	}
	w.buf = append(w.buf, 4)
}

func TestLayoutSeeds(t *testing.T) {
	t.Parallel()
	n := 50 // 1,000 seeds all fitted on the first draw when this was written
	if testing.Short() {
		n = 10
	}
	retried := 0
	for seed := int64(0); seed < int64(n); seed++ {
		switch a := demo.LayoutAttempts(seed, center, areaKM2, ningdu); a {
		case 0:
			t.Errorf("seed %d: layout failed", seed)
		case 1:
		default:
			retried++
		}
	}
	t.Logf("%d of %d seeds needed more than one lattice draw", retried, n)
}

func TestGenerateRejects(t *testing.T) {
	for _, tc := range []struct {
		name        string
		center      geo.Point
		area        float64
		communities []demo.Community
	}{
		{"no communities", center, areaKM2, nil},
		{"too few communities", center, areaKM2, ningdu[:10]},
		{"bad code", center, areaKM2, append([]demo.Community{{Code: "36073010000x", Name: "某社区"}}, ningdu[1:]...)},
		{"two towns", center, areaKM2, append([]demo.Community{{Code: "360730101001", Name: "某社区"}}, ningdu[1:]...)},
		{"duplicate", center, areaKM2, append([]demo.Community{ningdu[1]}, ningdu[1:]...)},
		{"no name", center, areaKM2, append([]demo.Community{{Code: "360730100001"}}, ningdu[1:]...)},
		{"zero area", center, 0, ningdu},
		{"NaN area", center, math.NaN(), ningdu},
		{"off the map", geo.Point{X: 200, Y: 26}, areaKM2, ningdu},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := demo.Generate(1, tc.center, tc.area, tc.communities, now)
			if err == nil || c != nil {
				t.Fatalf("got %v, want an error", err)
			}
			if wangge.ErrorCode(err) != wangge.EINVALID {
				t.Errorf("error %v has code %s, want invalid", err, wangge.ErrorCode(err))
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := demo.Generate(int64(i), center, areaKM2, ningdu, now); err != nil {
			b.Fatal(err)
		}
	}
}
