package sqlstore_test

import (
	"fmt"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

// square is a GeoJSON square of side 0.001° with its corner at (x, y).
func square(x, y float64) (string, *[4]float64) {
	const d = 0.001
	return fmt.Sprintf(`{"type":"MultiPolygon","coordinates":[[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]]}`,
		x, y, x+d, y, x+d, y+d, x, y+d, x, y), &[4]float64{x, y, x + d, y + d}
}

// loadTree is a county, a street, 3 communities and 600 grids under each,
// in code order: more rows than one multi-row statement takes.
func loadTree(i int, u *wangge.Unit) {
	switch {
	case i == 0:
		*u = wangge.Unit{Code: "330102", Level: wangge.LevelCounty, NameZH: "上城区"}
	case i == 1:
		*u = wangge.Unit{Code: "330102001", ParentCode: "330102", Level: wangge.LevelStreet, NameZH: "清波街道"}
	default:
		k := i - 2
		cm, g := k/601, k%601
		community := fmt.Sprintf("330102001%03d", cm+1)
		if g == 0 {
			*u = wangge.Unit{Code: community, ParentCode: "330102001", Level: wangge.LevelCommunity, NameZH: fmt.Sprintf("第%d社区", cm+1)}
			return
		}
		*u = wangge.Unit{Code: fmt.Sprintf("%s%03d", community, g), ParentCode: community, Level: wangge.LevelGrid,
			NameZH: fmt.Sprintf("第%d网格", g), NameEN: fmt.Sprintf("Grid %d", g), Households: 300 + g%200, Population: 900 + g}
		u.Boundary, u.BBox = square(120+float64(cm)*0.01, 30+float64(g)*0.001)
	}
}

const loadTreeLen = 2 + 3*601

func TestLoadUnits(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		if _, err := db.LoadUnits(as(&wangge.User{Role: wangge.RoleOperator, Units: []string{"33"}}), 1, loadTree); wangge.ErrorCode(err) != wangge.EFORBIDDEN {
			t.Fatalf("an operator loads units: %v", err)
		}
		first, err := db.LoadUnits(asAdmin(), loadTreeLen, loadTree)
		if err != nil {
			t.Fatal(err)
		}
		grids, total, err := db.FindUnits(asAdmin(), wangge.UnitFilter{Level: wangge.LevelGrid, Under: "330102001002", Limit: 1000})
		if err != nil || total != 600 || len(grids) != 600 {
			t.Fatalf("grids of community 002: %d (%d listed), %v", total, len(grids), err)
		}
		var want wangge.Unit
		loadTree(2+601+5, &want)
		got, err := db.Unit(asAdmin(), want.Code)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != first+2+601+5 || got.Boundary != want.Boundary || *got.BBox != *want.BBox || got.Households != want.Households ||
			got.NameEN != want.NameEN || got.Version != 1 || got.Type != wangge.UnitComprehensive || !got.ValidFrom.Equal(testNow) {
			t.Errorf("loaded unit = %+v, want %+v with id %d", got, want, first+2+601+5)
		}
		chain, err := db.UnitAncestors(asAdmin(), want.Code)
		if err != nil || len(chain) != 4 || chain[0].Code != "330102" {
			t.Errorf("ancestors of %s: %v, %v", want.Code, chain, err)
		}
		// The unique index of current codes was rebuilt.
		err = db.CreateUnits(asAdmin(), []wangge.Unit{{Code: "330102001001", ParentCode: "330102001", Level: wangge.LevelCommunity, NameZH: "again"}})
		mustCode(t, err, wangge.ECONFLICT)

		// Into a table with rows, under parents already stored.
		more := func(i int, u *wangge.Unit) {
			*u = wangge.Unit{Code: fmt.Sprintf("330102001003%03d", 601+i), ParentCode: "330102001003", Level: wangge.LevelGrid, NameZH: "新网格"}
		}
		if _, err := db.LoadUnits(asAdmin(), 5, more); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := db.FindUnits(asAdmin(), wangge.UnitFilter{Parent: "330102001003"}); total != 605 {
			t.Errorf("community 003 has %d grids after the second load, want 605", total)
		}

		before, _ := db.UnitsSignature(asAdmin())
		bad := []struct {
			name  string
			n     int
			gen   func(int, *wangge.Unit)
			code  string
			field string
		}{
			{"out of code order", 3, func(i int, u *wangge.Unit) {
				*u = wangge.Unit{Code: []string{"330103", "330105", "330104"}[i], ParentCode: "3301", Level: wangge.LevelCounty, NameZH: "区"}
			}, wangge.EINVALID, "units[2].code"},
			{"unknown parent", 2, func(i int, u *wangge.Unit) {
				*u = wangge.Unit{Code: []string{"330102001004", "330102009001"}[i], ParentCode: []string{"330102001", "330102009"}[i], Level: wangge.LevelCommunity, NameZH: "社区"}
			}, wangge.EINVALID, "units[1].parent_code"},
			{"above its stored parent", 1, func(i int, u *wangge.Unit) {
				*u = wangge.Unit{Code: "330102001003999", ParentCode: "330102001003", Level: wangge.LevelStreet, NameZH: "街道"}
			}, wangge.EINVALID, "units[0].level"},
			{"code not extending the parent", 2, func(i int, u *wangge.Unit) {
				*u = []wangge.Unit{{Code: "330102002", ParentCode: "330102", Level: wangge.LevelStreet, NameZH: "街道"},
					{Code: "330102003001", ParentCode: "330102002", Level: wangge.LevelCommunity, NameZH: "社区"}}[i]
			}, wangge.EINVALID, "units[1].code"},
			{"no name", 1, func(i int, u *wangge.Unit) {
				*u = wangge.Unit{Code: "330102002", ParentCode: "330102", Level: wangge.LevelStreet}
			}, wangge.EINVALID, "units[0].name_zh"},
			{"existing code", 2, func(i int, u *wangge.Unit) {
				*u = wangge.Unit{Code: []string{"330102001003", "330102001004"}[i], ParentCode: "330102001", Level: wangge.LevelCommunity, NameZH: "社区"}
			}, wangge.ECONFLICT, ""},
		}
		for _, tt := range bad {
			_, err := db.LoadUnits(asAdmin(), tt.n, tt.gen)
			if wangge.ErrorCode(err) != tt.code || (tt.field != "" && wangge.ErrorFields(err)[tt.field] == "") {
				t.Errorf("%s: %v (fields %v), want %s on %s", tt.name, err, wangge.ErrorFields(err), tt.code, tt.field)
			}
		}
		if after, _ := db.UnitsSignature(asAdmin()); after != before {
			t.Errorf("refused loads changed the units: %s → %s", before, after)
		}
	})
}
