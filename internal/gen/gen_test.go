package gen_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/gen"
	"github.com/wangge/wangge/internal/geo"
)

var now = time.Date(2026, 6, 1, 0, 0, 0, 0, wangge.ChinaTime)

func mustProvince(t testing.TB, seed uint64, grids int) *gen.Province {
	t.Helper()
	p, err := gen.NewProvince(seed, grids)
	if err != nil {
		t.Fatalf("NewProvince(%d, %d): %v", seed, grids, err)
	}
	return p
}

func mustCases(t testing.TB, p *gen.Province, seed uint64, n int) *gen.Cases {
	t.Helper()
	cat := catalogue.Default()
	ids := map[string]int64{}
	for i, d := range p.DepartmentsFor(cat) {
		ids[d.Code] = int64(i + 1)
	}
	g, err := gen.NewCases(p, n, seed, now, cat, calendar.China(), 1, ids)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestParamsRefused(t *testing.T) {
	tests := []struct {
		name  string
		p     gen.Params
		field string
		msg   string
	}{
		{"no grids", gen.Params{Grids: 0, Cases: 10, Now: now}, "grids", "at least 1"},
		{"negative grids", gen.Params{Grids: -5, Cases: 10, Now: now}, "grids", "at least 1"},
		{"too many grids", gen.Params{Grids: gen.MaxGrids + 1, Cases: 10, Now: now}, "grids", "at most 1000000"},
		{"negative cases", gen.Params{Grids: 10, Cases: -1, Now: now}, "cases", "not be negative"},
		{"too many cases", gen.Params{Grids: 10, Cases: gen.MaxCases + 1, Now: now}, "cases", "at most 10000000"},
		{"no now", gen.Params{Grids: 10, Cases: 10}, "now", "required"},
		{"now far away", gen.Params{Grids: 10, Cases: 10, Now: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)}, "now", "between"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if wangge.ErrorCode(err) != wangge.EINVALID || !strings.Contains(wangge.ErrorFields(err)[tt.field], tt.msg) {
				t.Errorf("Validate(%+v) = %v (fields %v), want %s: %q", tt.p, err, wangge.ErrorFields(err), tt.field, tt.msg)
			}
		})
	}
	for _, ok := range []gen.Params{{Grids: 1, Cases: 0, Now: now}, {Grids: gen.MaxGrids, Cases: gen.MaxCases, Now: now}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", ok, err)
		}
	}
	if _, err := gen.NewProvince(1, 0); wangge.ErrorCode(err) != wangge.EINVALID {
		t.Errorf("NewProvince with no grids: %v", err)
	}
}

func TestDeterministic(t *testing.T) {
	a, b, c := mustProvince(t, 7, 700), mustProvince(t, 7, 700), mustProvince(t, 8, 700)
	if a.NumUnits() != b.NumUnits() {
		t.Fatalf("units %d vs %d", a.NumUnits(), b.NumUnits())
	}
	var ua, ub, uc wangge.Unit
	differ := 0
	for i := range a.NumUnits() {
		a.Unit(i, &ua)
		b.Unit(i, &ub)
		if diff := cmp.Diff(ua, ub); diff != "" {
			t.Fatalf("unit %d differs between two runs of one seed:\n%s", i, diff)
		}
		if i < c.NumUnits() {
			c.Unit(i, &uc)
			if ua.Boundary != uc.Boundary {
				differ++
			}
		}
	}
	if differ == 0 {
		t.Error("another seed gave the same boundaries")
	}
	ga, gb, gc := mustCases(t, a, 7, 5000), mustCases(t, b, 7, 5000), mustCases(t, a, 8, 5000)
	var ca, cb, cc wangge.Case
	differ = 0
	for i := range 5000 {
		ga.Case(i, &ca)
		gb.Case(i, &cb)
		if diff := cmp.Diff(ca, cb); diff != "" {
			t.Fatalf("case %d differs between two runs of one seed:\n%s", i, diff)
		}
		ga.Case(i, &cb) // and between two calls
		if diff := cmp.Diff(ca, cb); diff != "" {
			t.Fatalf("case %d differs between two calls:\n%s", i, diff)
		}
		gc.Case(i, &cc)
		if ca.UnitCode != cc.UnitCode {
			differ++
		}
	}
	if differ == 0 {
		t.Error("another case seed gave the same cases")
	}
}

// TestTiling checks the territory: the tree's codes and counts, and that
// the units of every level tile the province with no gap and no overlap.
func TestTiling(t *testing.T) {
	for _, grids := range []int{1, 2, 7, 61, 300, 2500} {
		p := mustProvince(t, 3, grids)
		if p.NumGrids() != grids || p.Count(wangge.LevelGrid) != grids {
			t.Fatalf("%d grids asked, %d made", grids, p.NumGrids())
		}
		var u wangge.Unit
		p.Unit(0, &u)
		if u.Level != wangge.LevelProvince || u.Code != gen.ProvinceCode {
			t.Fatalf("unit 0 = %s %s", u.Level, u.Code)
		}
		total := p.Shape(0).Area()
		area := map[wangge.Level]float64{}
		house := map[wangge.Level]int{}
		var grid []geo.MultiPolygon
		stack := []wangge.Unit{u}
		prev := ""
		for i := 1; i < p.NumUnits(); i++ {
			p.Unit(i, &u)
			if u.Code <= prev {
				t.Fatalf("unit %d: code %s not after %s", i, u.Code, prev)
			}
			prev = u.Code
			for len(stack) > 0 && !strings.HasPrefix(u.Code, stack[len(stack)-1].Code) {
				stack = stack[:len(stack)-1]
			}
			parent := &stack[len(stack)-1]
			if err := u.Validate(parent); err != nil || u.ParentCode != parent.Code || len(u.Code) != wangge.CodeLength(u.Level) {
				t.Fatalf("unit %s under %s: %v", u.Code, parent.Code, err)
			}
			stack = append(stack, u)
			shape, err := geo.ParseGeometry([]byte(u.Boundary))
			if err != nil {
				t.Fatalf("unit %s: %v", u.Code, err)
			}
			area[u.Level] += shape.Area()
			house[u.Level] += u.Households
			if u.Level == wangge.LevelGrid {
				if u.Households < 300 || u.Households > 500 || u.Population < 2*u.Households || u.Population > 4*u.Households {
					t.Errorf("grid %s: %d households, %d residents", u.Code, u.Households, u.Population)
				}
				grid = append(grid, shape)
			}
		}
		for _, lv := range []wangge.Level{wangge.LevelCity, wangge.LevelCounty, wangge.LevelStreet, wangge.LevelCommunity, wangge.LevelGrid} {
			if math.Abs(area[lv]-total) > 1e-6*total {
				t.Errorf("%d grids: %ss cover %.6g m², the province %.6g m²", grids, lv, area[lv], total)
			}
			if int64(house[lv]) != p.Households() {
				t.Errorf("%d grids: %ss hold %d households, the province %d", grids, lv, house[lv], p.Households())
			}
		}
		// Random points of the box lie in exactly one grid.
		if grids <= 300 {
			for k := range 2000 {
				pt := geo.Point{X: gen.MinLon + (gen.MaxLon-gen.MinLon)*frac(k, 0.61803398875), Y: gen.MinLat + (gen.MaxLat-gen.MinLat)*frac(k, 0.7548776662)}
				in := 0
				for _, g := range grid {
					if g.Contains(pt) {
						in++
					}
				}
				if in != 1 {
					t.Fatalf("%d grids: point %v lies in %d grids", grids, pt, in)
				}
			}
		}
	}
}

func frac(k int, a float64) float64 { _, f := math.Modf(0.5 + float64(k)*a); return f }

// TestLayoutFits lays out many sizes: the guillotine cut must always fit.
func TestLayoutFits(t *testing.T) {
	sizes := []int{}
	for n := 1; n <= 120; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 949, 951, 7777, 31415, 85000)
	for _, n := range sizes {
		for seed := uint64(1); seed <= 2; seed++ {
			if _, err := gen.NewProvince(seed, n); err != nil {
				t.Errorf("%d grids, seed %d: %v", n, seed, err)
			}
		}
	}
	p := mustProvince(t, 1, 85000)
	want := map[wangge.Level][2]int{wangge.LevelCity: {8, 11}, wangge.LevelCounty: {85, 90}, wangge.LevelStreet: {1200, 1500}, wangge.LevelCommunity: {12000, 16000}}
	for lv, r := range want {
		if n := p.Count(lv); n < r[0] || n > r[1] {
			t.Errorf("Zhejiang-sized province: %d %ss, want %d..%d", n, lv, r[0], r[1])
		}
	}
}

// TestCases checks the generated history against its intended mixes and
// against the territory and the loop's rules.
func TestCases(t *testing.T) {
	p := mustProvince(t, 5, 2000)
	const n = 60000
	g := mustCases(t, p, 5, n)
	shapes := map[int64]geo.MultiPolygon{}
	cat := catalogue.Default()
	var c wangge.Case
	status := map[wangge.Status]int{}
	kinds := map[wangge.Kind]int{}
	overdue, selfResolved, rated := 0, 0, 0
	var prev time.Time
	for i := range n {
		g.Case(i, &c)
		status[c.Status]++
		kinds[c.Kind]++
		if c.Overdue {
			overdue++
		}
		if c.ReportedAt.Before(now.Add(-gen.Span)) || !c.ReportedAt.Before(now) || c.ReportedAt.Before(prev) {
			t.Fatalf("case %d reported at %v (previous %v)", i, c.ReportedAt, prev)
		}
		prev = c.ReportedAt
		cg, ok := catalogue.Lookup(cat, c.Category)
		if !ok || !cg.Leaf() || cg.Kind != c.Kind {
			t.Fatalf("case %d: category %s kind %s", i, c.Category, c.Kind)
		}
		if i%10 == 0 {
			shape, ok := shapes[c.UnitID]
			if !ok {
				var u wangge.Unit
				p.Unit(int(c.UnitID-1), &u)
				if u.Code != c.UnitCode || u.Level != wangge.LevelGrid {
					t.Fatalf("case %d: unit id %d is %s %s, case says %s", i, c.UnitID, u.Level, u.Code, c.UnitCode)
				}
				shape = p.Shape(int(c.UnitID - 1))
				shapes[c.UnitID] = shape
			}
			if !shape.Contains(geo.Point{X: c.Lon, Y: c.Lat}) {
				t.Fatalf("case %d: point %v,%v outside its grid %s", i, c.Lon, c.Lat, c.UnitCode)
			}
		}
		switch {
		case c.Status == wangge.StatusRated:
			rated++
			if c.Rating < 1 || c.Rating > 5 || c.ClosedAt == nil {
				t.Fatalf("case %d rated %d, closed %v", i, c.Rating, c.ClosedAt)
			}
			fallthrough
		case c.Status == wangge.StatusClosed || c.Status == wangge.StatusRejected:
			if c.ClosedAt == nil || c.ClosedAt.Before(c.ReportedAt) || c.ClosedAt.After(now) || c.DueAt != nil || c.NextCheckAt != nil {
				t.Fatalf("case %d %s: closed %v, due %v", i, c.Status, c.ClosedAt, c.DueAt)
			}
			if c.Status != wangge.StatusRejected && c.DepartmentID == nil {
				selfResolved++
			}
		case c.Status == wangge.StatusSuspended:
			if c.SuspendedFrom == "" || c.DueAt != nil || c.NextCheckAt != nil || c.StepUsed <= 0 {
				t.Fatalf("suspended case %d: %+v", i, c)
			}
		default: // open, on the clock
			if c.DueAt == nil || c.StepLimit <= 0 || c.StepStartedAt.After(now) || c.Light == "" {
				t.Fatalf("open case %d (%s): due %v, limit %v, light %q", i, c.Status, c.DueAt, c.StepLimit, c.Light)
			}
			if (c.Light == "red") != (c.NextCheckAt == nil) || (c.Light == "red" && !c.Overdue) {
				t.Fatalf("open case %d: light %s, next check %v, overdue %v", i, c.Light, c.NextCheckAt, c.Overdue)
			}
			if c.NextCheckAt != nil && !c.NextCheckAt.After(now) {
				t.Fatalf("open case %d: next check %v is not after now", i, c.NextCheckAt)
			}
			dispatched := c.Status == wangge.StatusDispatched || c.Status == wangge.StatusInProgress
			if dispatched != (c.DepartmentID != nil) && c.Status != wangge.StatusHandled {
				t.Fatalf("open case %d (%s): department %v", i, c.Status, c.DepartmentID)
			}
		}
	}
	share := func(k int) float64 { return float64(k) / n }
	done := share(status[wangge.StatusClosed] + status[wangge.StatusRated])
	open := 1 - done - share(status[wangge.StatusRejected])
	checks := []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"closed or rated", done, 0.93, 0.965},
		{"rated of closed", float64(rated) / (done * n), 0.55, 0.62},
		{"rejected", share(status[wangge.StatusRejected]), 0.01, 0.02},
		{"open", open, 0.025, 0.06},
		{"suspended", share(status[wangge.StatusSuspended]), 0.001, 0.01},
		{"ever overdue", share(overdue), 0.08, 0.2},
		{"self-resolved in the grid", share(selfResolved), 0.03, 0.15},
		{"events", share(kinds[wangge.KindEvent]), 0.43, 0.47},
		{"facilities", share(kinds[wangge.KindFacility]), 0.185, 0.215},
		{"disputes", share(kinds[wangge.KindDispute]), 0.135, 0.165},
		{"hazards", share(kinds[wangge.KindHazard]), 0.105, 0.135},
		{"services", share(kinds[wangge.KindService]), 0.07, 0.09},
	}
	for _, c := range checks {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s: %.4f of cases, want %.3f..%.3f", c.name, c.got, c.lo, c.hi)
		}
	}
	t.Logf("statuses %v; overdue %.3f", status, share(overdue))
}
