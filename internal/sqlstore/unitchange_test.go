package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
)

// Codes of the shaped tree: community C holds grid A (two micro-grids side
// by side) and grid B (one micro-grid).
const (
	commC = "360730100001"
	gridA = "360730100001001"
	gridB = "360730100001002"
)

// box is a rectangle in a grid of 0.004° cells near Ningdu, as a stored
// boundary.
func box(x0, y0, x1, y1 float64) (string, *[4]float64) {
	const lon, lat, d = 116.00, 26.46, 0.004
	p := func(x, y float64) geo.Point { return geo.Point{X: lon + x*d, Y: lat + y*d} }
	mp := geo.MultiPolygon{geo.Polygon{geo.Ring{p(x0, y0), p(x1, y0), p(x1, y1), p(x0, y1), p(x0, y0)}}}
	b := mp.Bounds()
	return string(mp.MarshalGeoJSON()), &[4]float64{b.MinX, b.MinY, b.MaxX, b.MaxY}
}

// at is the WGS84 point (x, y) of box's grid.
func at(x, y float64) (lon, lat float64) { return 116.00 + x*0.004, 26.46 + y*0.004 }

func shaped(code, parent string, level wangge.Level, name string, x0, y0, x1, y1 float64) wangge.Unit {
	u := wangge.Unit{Code: code, ParentCode: parent, Level: level, NameZH: name, Households: 100, Population: 300}
	u.Boundary, u.BBox = box(x0, y0, x1, y1)
	return u
}

func part(code, name string, x0, y0, x1, y1 float64) wangge.Unit {
	u := wangge.Unit{Code: code, NameZH: name}
	u.Boundary, u.BBox = box(x0, y0, x1, y1)
	return u
}

func seedShapes(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	units := []wangge.Unit{
		shaped("360730", "", wangge.LevelCounty, "宁都县", 0, 0, 4, 2),
		shaped("360730100", "360730", wangge.LevelStreet, "梅江镇", 0, 0, 4, 2),
		shaped(commC, "360730100", wangge.LevelCommunity, "中山南路社区", 0, 0, 4, 2),
		shaped(gridA, commC, wangge.LevelGrid, "第1网格", 0, 0, 2, 2),
		shaped(gridA+"001", gridA, wangge.LevelMicroGrid, "第1网格微网格1", 0, 0, 1, 2),
		shaped(gridA+"002", gridA, wangge.LevelMicroGrid, "第1网格微网格2", 1, 0, 2, 2),
		shaped(gridB, commC, wangge.LevelGrid, "第2网格", 2, 0, 4, 2),
		shaped(gridB+"001", gridB, wangge.LevelMicroGrid, "第2网格微网格1", 2, 0, 4, 2),
	}
	if err := db.CreateUnits(asAdmin(), units); err != nil {
		t.Fatal(err)
	}
	d := &wangge.Department{Code: "cgj", NameZH: "城市管理局", UnitCode: "360730"}
	if err := db.CreateDepartment(asAdmin(), d); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCatalogue(asAdmin(), testCatalogue); err != nil {
		t.Fatal(err)
	}
}

func caseAt(t *testing.T, db *sqlstore.DB, unit string, x, y float64) *wangge.Case {
	t.Helper()
	u, err := db.Unit(asAdmin(), unit)
	if err != nil {
		t.Fatal(err)
	}
	lon, lat := at(x, y)
	c := &wangge.Case{Status: wangge.StatusReported, Level: wangge.LevelGrid, UnitID: u.ID, UnitCode: unit, Category: "0101", Kind: wangge.KindEvent,
		Channel: wangge.ChannelResident, Description: "路边垃圾堆积", Lon: lon, Lat: lat, ReportedAt: testNow, StepStartedAt: testNow, StepLimit: time.Hour}
	if _, err := db.CreateCase(asAdmin(), c, wangge.CaseEvent{At: testNow, Action: "report", To: wangge.StatusReported}); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustField(t *testing.T, err error, code, field string) {
	t.Helper()
	if got := wangge.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if field != "" && wangge.ErrorFields(err)[field] == "" {
		t.Fatalf("fields %v, want one on %s", wangge.ErrorFields(err), field)
	}
}

func TestSplitUnitRefusesBadParts(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedShapes(t, db)
		left, right := part("", "左", 0, 0, 1, 2), part("", "右", 1, 0, 2, 2)
		noShape := part("", "无边界", 0, 0, 1, 1)
		noShape.Boundary, noShape.BBox = "", nil
		worker := as(&wangge.User{ID: 5, Role: wangge.RoleGridWorker, Units: []string{gridA}})
		tests := []struct {
			name        string
			ctx         context.Context
			code        string
			parts       []wangge.Unit
			errCode     string
			field, want string
		}{
			{"unknown unit", asAdmin(), "360730100001009", []wangge.Unit{left, right}, wangge.ENOTFOUND, "", ""},
			{"one part", asAdmin(), gridA, []wangge.Unit{left}, wangge.EINVALID, "parts", "at least two"},
			{"part without boundary", asAdmin(), gridA, []wangge.Unit{left, noShape}, wangge.EINVALID, "parts[1].boundary", "required"},
			{"part reaching outside", asAdmin(), gridA, []wangge.Unit{left, part("", "右", 1, 0, 2.5, 2)}, wangge.EINVALID, "parts[1].boundary", "outside"},
			{"part wholly outside", asAdmin(), gridA, []wangge.Unit{left, part("", "外", 2, 0, 3, 2)}, wangge.EINVALID, "parts[1].boundary", "outside"},
			{"gap", asAdmin(), gridA, []wangge.Unit{left, part("", "右", 1, 0, 2, 1.5)}, wangge.EINVALID, "parts", "gap"},
			{"vertex inside another part", asAdmin(), gridA, []wangge.Unit{left, part("", "右", 0.5, 0.5, 2, 2)}, wangge.EINVALID, "parts[1].boundary", "overlaps parts[0]"},
			{"overlap found by area", asAdmin(), gridA, []wangge.Unit{part("", "左", 0, 0, 1.2, 2), right}, wangge.EINVALID, "parts", "overlap"},
			{"part without a name", asAdmin(), gridA, []wangge.Unit{part("", "", 0, 0, 1, 2), right}, wangge.EINVALID, "parts[0].name_zh", "required"},
			{"code outside the parent", asAdmin(), gridA, []wangge.Unit{part("360730100002001", "左", 0, 0, 1, 2), right}, wangge.EINVALID, "parts[0].code", "extend"},
			{"code of a sibling", asAdmin(), gridA, []wangge.Unit{left, part(gridB, "右", 1, 0, 2, 2)}, wangge.EINVALID, "parts[1].code", "already exists"},
			{"same code twice", asAdmin(), gridA, []wangge.Unit{part(commC+"007", "左", 0, 0, 1, 2), part(commC+"007", "右", 1, 0, 2, 2)}, wangge.EINVALID, "parts[1].code", "duplicate"},
			{"not an administrator", worker, gridA, []wangge.Unit{left, right}, wangge.EFORBIDDEN, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := db.SplitUnit(tt.ctx, tt.code, tt.parts, sqlstore.UnitChangeOptions{})
				mustField(t, err, tt.errCode, tt.field)
				if tt.field != "" && !strings.Contains(wangge.ErrorFields(err)[tt.field], tt.want) {
					t.Errorf("%s: %q, want it to say %q", tt.field, wangge.ErrorFields(err)[tt.field], tt.want)
				}
			})
		}
		if _, err := db.Unit(asAdmin(), gridA); err != nil {
			t.Fatalf("a refused split changed the unit: %v", err)
		}
		if _, err := db.Unit(asAdmin(), commC+"003"); wangge.ErrorCode(err) != wangge.ENOTFOUND {
			t.Fatalf("a refused split left a part behind: %v", err)
		}
	})
}

func TestSplitUnit(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedShapes(t, db)
		// Open cases under the grid and under a micro-grid, a closed one.
		onA := caseAt(t, db, gridA, 0.5, 1)           // in the left part
		onMicro := caseAt(t, db, gridA+"002", 1.5, 1) // micro-grid 2, in the right part
		closed := caseAt(t, db, gridA, 1.5, 1)
		if _, err := db.UpdateCase(asAdmin(), closed.ID, 0, false, func(c wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
			c.Status = wangge.StatusClosed
			return c, wangge.CaseEvent{At: testNow, Action: "close", From: wangge.StatusReported, To: wangge.StatusClosed}, nil
		}); err != nil {
			t.Fatal(err)
		}
		gw := &wangge.User{Username: "gwa", Role: wangge.RoleGridWorker, Units: []string{gridA}}
		mg := &wangge.User{Username: "mga", Role: wangge.RoleMicroGridMember, Units: []string{gridA + "002"}}
		for _, u := range []*wangge.User{gw, mg} {
			if err := db.CreateUser(asAdmin(), u, "password1"); err != nil {
				t.Fatal(err)
			}
		}
		before, _, err := db.Stats(asAdmin(), wangge.StatsFilter{Unit: commC})
		if err != nil {
			t.Fatal(err)
		}
		parts := []wangge.Unit{part("", "第1网格西", 0, 0, 1, 2), part("", "第1网格东", 1, 0, 2, 2)}
		parts[1].NameEN, parts[1].Households = "Grid 1 East", 180

		// A dry run plans and changes nothing.
		plan, err := db.SplitUnit(asAdmin(), gridA, parts, sqlstore.UnitChangeOptions{DryRun: true, Note: "试"})
		if err != nil {
			t.Fatal(err)
		}
		west, east := commC+"003", commC+"004"
		wantMoves := []wangge.UnitMove{{From: gridA + "001", To: west + "001", NameZH: "第1网格微网格1"}, {From: gridA + "002", To: east + "002", NameZH: "第1网格微网格2"}}
		if diff := cmp.Diff(wantMoves, plan.Moves); diff != "" || !plan.DryRun || plan.ID != 0 || !cmp.Equal(plan.To, []string{west, east}) {
			t.Errorf("dry run: to %v, id %d, moves (-want +got):\n%s", plan.To, plan.ID, diff)
		}
		if plan.CasesMoved != 2 || plan.AssignmentsMoved != 2 || plan.Coverage == nil || plan.Coverage.Ratio < 0.999 || plan.Coverage.Ratio > 1.001 {
			t.Errorf("dry run: cases %d, assignments %d, coverage %+v", plan.CasesMoved, plan.AssignmentsMoved, plan.Coverage)
		}
		if _, err := db.Unit(asAdmin(), gridA); err != nil {
			t.Fatalf("the dry run retired the unit: %v", err)
		}
		if _, err := db.Unit(asAdmin(), west); wangge.ErrorCode(err) != wangge.ENOTFOUND {
			t.Fatalf("the dry run created a part: %v", err)
		}
		if hist, err := db.UnitChanges(asAdmin(), gridA); err != nil || len(hist) != 0 {
			t.Fatalf("the dry run left history: %v %v", hist, err)
		}

		ch, err := db.SplitUnit(asAdmin(), gridA, parts, sqlstore.UnitChangeOptions{Note: "按小区划分"})
		if err != nil {
			t.Fatal(err)
		}
		if ch.ID == 0 || ch.DryRun || len(ch.Units) != 2 || ch.CasesMoved != 2 {
			t.Fatalf("split: %+v", ch)
		}
		// The old grid and its micro-grids are retired; the parts and the
		// recoded micro-grids are current, under the right parents.
		for _, code := range []string{gridA, gridA + "001", gridA + "002"} {
			if _, err := db.Unit(asAdmin(), code); wangge.ErrorCode(err) != wangge.ENOTFOUND {
				t.Errorf("%s still current (%v)", code, err)
			}
		}
		for code, parent := range map[string]string{west: commC, east: commC, west + "001": west, east + "002": east} {
			u, err := db.Unit(asAdmin(), code)
			if err != nil {
				t.Fatalf("%s: %v", code, err)
			}
			if u.ParentCode != parent {
				t.Errorf("%s: parent %s, want %s", code, u.ParentCode, parent)
			}
		}
		e, _ := db.Unit(asAdmin(), east)
		w, _ := db.Unit(asAdmin(), west)
		if e.Level != wangge.LevelGrid || e.NameEN != "Grid 1 East" || e.Households != 180 || w.Households != 50 || w.Population != 150 {
			t.Errorf("parts: east %+v, west %+v (counts: given, else shared by area)", e, w)
		}
		// Open cases moved with a timeline row; the closed one stayed.
		for id, want := range map[int64]string{onA.ID: west, onMicro.ID: east + "002", closed.ID: gridA} {
			c, err := db.Case(asAdmin(), id)
			if err != nil {
				t.Fatal(err)
			}
			if c.UnitCode != want {
				t.Errorf("case %d in %s, want %s", id, c.UnitCode, want)
			}
		}
		evs, err := db.CaseEvents(asAdmin(), onMicro.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last := evs[len(evs)-1]; last.Action != "relocate" || last.Data["from_unit"] != gridA+"002" || last.Data["to_unit"] != east+"002" {
			t.Errorf("last timeline row %+v", last)
		}
		// The community's statistics are unchanged; the new grid's hold its
		// open case.
		after, _, err := db.Stats(asAdmin(), wangge.StatsFilter{Unit: commC})
		if err != nil {
			t.Fatal(err)
		}
		if after.Reported != before.Reported || after.Open != before.Open || after.Closed != before.Closed {
			t.Errorf("community stats before %+v, after %+v", before, after)
		}
		if s, _, err := db.Stats(asAdmin(), wangge.StatsFilter{Unit: east}); err != nil || s.Open != 1 || s.Reported != 1 {
			t.Errorf("east stats %+v %v", s, err)
		}
		// Assignments followed the units.
		for u, want := range map[*wangge.User][]string{gw: {west, east}, mg: {east + "002"}} {
			got, err := db.User(asAdmin(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(got.Units, want) {
				t.Errorf("%s covers %v, want %v", u.Username, got.Units, want)
			}
		}
		// The history, from either side.
		for _, code := range []string{gridA, east, east + "002", gridA + "001"} {
			hist, err := db.UnitChanges(asAdmin(), code)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 1 || hist[0].Kind != wangge.UnitSplit || hist[0].Note != "按小区划分" || hist[0].Actor != "system" ||
				!cmp.Equal(hist[0].From, []string{gridA}) || len(hist[0].Moves) != 2 || hist[0].CasesMoved != 2 || hist[0].Coverage == nil {
				t.Errorf("history of %s: %+v", code, hist)
			}
		}
		if hist, err := db.UnitChanges(asAdmin(), gridB); err != nil || len(hist) != 0 {
			t.Errorf("history of an untouched unit: %v %v", hist, err)
		}
		if _, err := db.UnitChanges(as(&wangge.User{ID: 9, Role: wangge.RoleGridWorker, Units: []string{gridB}}), gridA); wangge.ErrorCode(err) != wangge.ENOTFOUND {
			t.Errorf("history outside the caller's scope: %v", err)
		}
		// A retired unit cannot be split again.
		_, err = db.SplitUnit(asAdmin(), gridA, parts, sqlstore.UnitChangeOptions{})
		mustField(t, err, wangge.EINVALID, "code")
	})
}

func TestMergeUnitsRefusesBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedShapes(t, db)
		into := wangge.Unit{NameZH: "合并网格"}
		tests := []struct {
			name  string
			codes []string
			into  wangge.Unit
			field string
		}{
			{"one unit", []string{gridA}, into, "codes"},
			{"duplicate", []string{gridA, gridA}, into, "codes[1]"},
			{"unknown", []string{gridA, "360730100001009"}, into, "codes[1]"},
			{"not siblings", []string{gridA, gridB + "001"}, into, "codes[1]"},
			{"no name", []string{gridA, gridB}, wangge.Unit{}, "name_zh"},
			{"code of another unit", []string{gridA, gridB}, wangge.Unit{Code: gridA + "001", NameZH: "x"}, "code"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := db.MergeUnits(asAdmin(), tt.codes, tt.into, sqlstore.UnitChangeOptions{})
				mustField(t, err, wangge.EINVALID, tt.field)
			})
		}
		_, err := db.MergeUnits(as(&wangge.User{ID: 5, Role: wangge.RoleCadre, Units: []string{commC}}), []string{gridA, gridB}, into, sqlstore.UnitChangeOptions{})
		mustField(t, err, wangge.EFORBIDDEN, "")
		if _, err := db.RetireUnit(asAdmin(), gridB); err != nil {
			t.Fatal(err)
		}
		_, err = db.MergeUnits(asAdmin(), []string{gridA, gridB}, into, sqlstore.UnitChangeOptions{})
		mustField(t, err, wangge.EINVALID, "codes[1]")
		if !strings.Contains(wangge.ErrorFields(err)["codes[1]"], "retired") {
			t.Errorf("retired unit: %v", err)
		}
	})
}

func TestMergeUnits(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedShapes(t, db)
		onB := caseAt(t, db, gridB+"001", 3, 1)
		ch, err := db.MergeUnits(asAdmin(), []string{gridA, gridB}, wangge.Unit{NameZH: "合并网格", NameEN: "Merged"}, sqlstore.UnitChangeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m := commC + "003"
		// Micro-grid 001 of both grids: the second takes the next number.
		want := []wangge.UnitMove{{From: gridA + "001", To: m + "001", NameZH: "第1网格微网格1"}, {From: gridA + "002", To: m + "002", NameZH: "第1网格微网格2"},
			{From: gridB + "001", To: m + "003", NameZH: "第2网格微网格1"}}
		if diff := cmp.Diff(want, ch.Moves); diff != "" || !cmp.Equal(ch.To, []string{m}) || ch.CasesMoved != 1 {
			t.Errorf("merge to %v, cases %d, moves (-want +got):\n%s", ch.To, ch.CasesMoved, diff)
		}
		u, err := db.Unit(asAdmin(), m)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := geo.ParseGeometry([]byte(u.Boundary))
		if err != nil {
			t.Fatal(err)
		}
		if len(mp) != 2 || u.Households != 200 || u.Population != 600 || u.NameEN != "Merged" || u.ParentCode != commC {
			t.Errorf("merged unit: %d polygons, %+v", len(mp), u)
		}
		if c, _ := db.Case(asAdmin(), onB.ID); c.UnitCode != m+"003" {
			t.Errorf("case moved to %s", c.UnitCode)
		}
		for _, code := range []string{gridA, gridB, m, m + "003"} {
			if hist, err := db.UnitChanges(asAdmin(), code); err != nil || len(hist) != 1 || hist[0].Kind != wangge.UnitMerge {
				t.Errorf("history of %s: %v %v", code, hist, err)
			}
		}
	})
}

// TestMergeIntoOwnCode merges grid B into grid A under A's code: A's
// history continues with a second version and its micro-grids stay.
func TestMergeIntoOwnCode(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedShapes(t, db)
		ch, err := db.MergeUnits(asAdmin(), []string{gridB, gridA}, wangge.Unit{Code: gridA, NameZH: "第1网格"}, sqlstore.UnitChangeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := []wangge.UnitMove{{From: gridB + "001", To: gridA + "003", NameZH: "第2网格微网格1"}}
		if diff := cmp.Diff(want, ch.Moves); diff != "" {
			t.Errorf("moves (-want +got):\n%s", diff)
		}
		vs, err := db.UnitVersions(asAdmin(), gridA)
		if err != nil || len(vs) != 2 || vs[1].ValidTo != nil {
			t.Fatalf("versions of %s: %v %v", gridA, vs, err)
		}
		if u, err := db.Unit(asAdmin(), gridA+"001"); err != nil || u.Version != 1 {
			t.Errorf("A's micro-grid: %+v %v", u, err)
		}
	})
}

// TestSplitMovesRegistry: buildings go to the part that holds their point,
// households with their building, people with their household; rows of a
// recoded micro-grid take its new code; rows without a place of their own
// go to the first part and are counted as unplaced.
func TestSplitMovesRegistry(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedShapes(t, db)
		building := func(code, unit string, x, y float64) *wangge.Building {
			b := &wangge.Building{Code: code, UnitCode: unit, Address: "中山南路" + code[len(code)-2:] + "号", Use: "residential", CRS: "wgs84"}
			if x != 0 || y != 0 {
				b.Lon, b.Lat = at(x, y)
			}
			if err := db.CreateBuilding(asAdmin(), b); err != nil {
				t.Fatal(err)
			}
			return b
		}
		household := func(unit string, b *wangge.Building) *wangge.Household {
			h := &wangge.Household{UnitCode: unit, Address: "中山南路散户", Members: 2}
			if b != nil {
				h.BuildingID = b.ID
			}
			if err := db.CreateHousehold(asAdmin(), h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		n := 0
		person := func(unit string, h *wangge.Household) *wangge.Person {
			n++
			p := &wangge.Person{UnitCode: unit, Name: "居民", IDNumber: idFor(fmt.Sprintf("3607301980010100%d", n)), Ethnicity: "汉族", Residence: wangge.ResidenceRegistered}
			if h != nil {
				p.HouseholdID = h.ID
			}
			if err := db.CreatePerson(asAdmin(), p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		bWest, bEast, bNowhere := building(gridA+"0001", gridA, 0.5, 1), building(gridA+"0002", gridA, 1.5, 1), building(gridA+"0003", gridA, 0, 0)
		bMicro := building(gridA+"0020001", gridA+"002", 1.5, 0.5)
		hWest, hEast, hNowhere, hLoose := household(gridA, bWest), household(gridA, bEast), household(gridA, bNowhere), household(gridA, nil)
		hMicro := household(gridA+"002", bMicro)
		pWest, pEast, pLoose, pAlone, pMicro := person(gridA, hWest), person(gridA, hEast), person(gridA, hLoose), person(gridA, nil), person(gridA+"002", hMicro)
		hB := household(gridB, nil) // another grid: untouched

		parts := []wangge.Unit{part("", "第1网格西", 0, 0, 1, 2), part("", "第1网格东", 1, 0, 2, 2)}
		ch, err := db.SplitUnit(asAdmin(), gridA, parts, sqlstore.UnitChangeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		west, east := commC+"003", commC+"004"
		want := wangge.RegistryCounts{Buildings: 4, Households: 5, Persons: 5, Unplaced: 5}
		// Moved: every row of grid A and its micro-grid (to west or east).
		// Unplaced: bNowhere, hNowhere, hLoose, pLoose, pAlone.
		if ch.RegistryMoved != want {
			t.Errorf("registry moved %+v, want %+v", ch.RegistryMoved, want)
		}
		for what, got := range map[string]func() (string, error){
			"west building":                         func() (string, error) { b, err := db.Building(asAdmin(), bWest.ID); return code(b, err) },
			"east building":                         func() (string, error) { b, err := db.Building(asAdmin(), bEast.ID); return code(b, err) },
			"building with no point":                func() (string, error) { b, err := db.Building(asAdmin(), bNowhere.ID); return code(b, err) },
			"micro-grid building":                   func() (string, error) { b, err := db.Building(asAdmin(), bMicro.ID); return code(b, err) },
			"east household":                        func() (string, error) { h, err := db.Household(asAdmin(), hEast.ID); return code(h, err) },
			"loose household":                       func() (string, error) { h, err := db.Household(asAdmin(), hLoose.ID); return code(h, err) },
			"household of a building with no point": func() (string, error) { h, err := db.Household(asAdmin(), hNowhere.ID); return code(h, err) },
			"person of a loose household":           func() (string, error) { p, err := db.Person(asAdmin(), pLoose.ID); return code(p, err) },
			"micro-grid household":                  func() (string, error) { h, err := db.Household(asAdmin(), hMicro.ID); return code(h, err) },
			"grid B household":                      func() (string, error) { h, err := db.Household(asAdmin(), hB.ID); return code(h, err) },
			"west person":                           func() (string, error) { p, err := db.Person(asAdmin(), pWest.ID); return code(p, err) },
			"east person":                           func() (string, error) { p, err := db.Person(asAdmin(), pEast.ID); return code(p, err) },
			"person alone":                          func() (string, error) { p, err := db.Person(asAdmin(), pAlone.ID); return code(p, err) },
			"micro-grid person":                     func() (string, error) { p, err := db.Person(asAdmin(), pMicro.ID); return code(p, err) },
		} {
			wantCode := map[string]string{"west building": west, "east building": east, "building with no point": west, "micro-grid building": east + "002",
				"east household": east, "loose household": west, "household of a building with no point": west, "person of a loose household": west, "micro-grid household": east + "002", "grid B household": gridB,
				"west person": west, "east person": east, "person alone": west, "micro-grid person": east + "002"}[what]
			if c, err := got(); err != nil || c != wantCode {
				t.Errorf("%s in %q (%v), want %s", what, c, err, wantCode)
			}
		}
		// The east part's worker sees the east building's people.
		worker := &wangge.User{ID: 99, Username: "east", Role: wangge.RoleGridWorker, Units: []string{east}}
		if _, err := db.Person(as(worker), pEast.ID); err != nil {
			t.Errorf("the east grid's worker cannot see its resident: %v", err)
		}
		hist, err := db.UnitChanges(asAdmin(), east)
		if err != nil || len(hist) != 1 || hist[0].RegistryMoved != want {
			t.Errorf("history: %+v %v", hist, err)
		}
	})
}

// code returns the unit code of a registry row.
func code[T interface {
	*wangge.Building | *wangge.Household | *wangge.Person
}](row T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	switch r := any(row).(type) {
	case *wangge.Building:
		return r.UnitCode, nil
	case *wangge.Household:
		return r.UnitCode, nil
	case *wangge.Person:
		return r.UnitCode, nil
	}
	return "", nil
}
