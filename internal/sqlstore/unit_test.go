package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

func TestCreateUnitsAllOrNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		tests := []struct {
			name  string
			units []wangge.Unit
			code  string
			field string
		}{
			{"unknown parent", []wangge.Unit{
				{Code: "360730100003", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "好"},
				{Code: "360730999001", ParentCode: "360730999", Level: wangge.LevelCommunity, NameZH: "孤儿"},
			}, wangge.EINVALID, "units[1].parent_code"},
			{"code not extending parent", []wangge.Unit{
				{Code: "360731100003", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "x"},
			}, wangge.EINVALID, "units[0].code"},
			{"duplicate in batch", []wangge.Unit{
				{Code: "360730100003", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "a"},
				{Code: "360730100003", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "b"},
			}, wangge.EINVALID, "units[1].code"},
			{"existing code", []wangge.Unit{
				{Code: "360730100003", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "a"},
				{Code: "360730100001", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "again"},
			}, wangge.ECONFLICT, ""},
		}
		for _, tt := range tests {
			err := db.CreateUnits(asAdmin(), tt.units)
			mustCode(t, err, tt.code)
			if tt.field != "" && wangge.ErrorFields(err)[tt.field] == "" {
				t.Errorf("%s: fields %v, want %s", tt.name, wangge.ErrorFields(err), tt.field)
			}
			if _, err := db.Unit(asAdmin(), "360730100003"); wangge.ErrorCode(err) != wangge.ENOTFOUND {
				t.Errorf("%s: half-written batch: 360730100003 exists (%v)", tt.name, err)
			}
		}
		err := db.CreateUnits(as(&wangge.User{Role: wangge.RoleCadre, Units: []string{"360730"}}), []wangge.Unit{{Code: "9", Level: wangge.LevelProvince, NameZH: "x"}})
		mustCode(t, err, wangge.EFORBIDDEN)
	})
}

func TestFindUnitsScopedAndPaged(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		codes := func(us []*wangge.Unit) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.Code)
			}
			return out
		}
		worker := as(&wangge.User{ID: 7, Role: wangge.RoleGridWorker, Units: []string{"360730100001002"}})
		cadre := as(&wangge.User{ID: 8, Role: wangge.RoleCadre, Units: []string{"360730100001"}})
		tests := []struct {
			name  string
			ctx   context.Context
			f     wangge.UnitFilter
			want  []string
			total int
		}{
			{"admin grids", asAdmin(), wangge.UnitFilter{Level: wangge.LevelGrid}, []string{"360730100001001", "360730100001002", "360730100002001"}, 3},
			{"children of a street", asAdmin(), wangge.UnitFilter{Parent: "360730100"}, []string{"360730100001", "360730100002"}, 2},
			{"second page", asAdmin(), wangge.UnitFilter{Under: "360730100", Limit: 2, Offset: 2}, []string{"360730100001001", "360730100001002"}, 6},
			{"name search", asAdmin(), wangge.UnitFilter{Q: "北路"}, []string{"360730100002"}, 1},
			{"grid worker sees own grid", worker, wangge.UnitFilter{}, []string{"360730100001002"}, 1},
			{"cadre sees community subtree", cadre, wangge.UnitFilter{Level: wangge.LevelGrid}, []string{"360730100001001", "360730100001002"}, 2},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := db.FindUnits(tt.ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, codes(got)); diff != "" || total != tt.total {
					t.Errorf("total %d want %d; codes (-want +got):\n%s", total, tt.total, diff)
				}
			})
		}
		_, err := db.Unit(worker, "360730100001001")
		mustCode(t, err, wangge.ENOTFOUND)
		if _, err := db.Unit(worker, "360730100001002"); err != nil {
			t.Error(err)
		}
	})
}

func TestUnitVersions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		ctx := asAdmin()
		before := testNow
		name := "第2网格（调整后）"
		boundary := `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`
		u, err := db.ReviseUnit(ctx, "360730100001002", sqlstore.UnitRevision{NameZH: &name, Boundary: &boundary, BBox: &[4]float64{0, 0, 1, 1}})
		if err != nil {
			t.Fatal(err)
		}
		if u.Version != 2 || u.NameZH != name {
			t.Fatalf("revised = %+v", u)
		}
		vs, err := db.UnitVersions(ctx, "360730100001002")
		if err != nil || len(vs) != 2 || vs[0].ValidTo == nil || vs[1].ValidTo != nil || vs[0].NameZH != "第2网格" || vs[1].Boundary != boundary {
			t.Fatalf("versions = %+v, %v", vs, err)
		}
		cur, _ := db.Unit(ctx, "360730100001002")
		if cur.ID != u.ID || *cur.BBox != [4]float64{0, 0, 1, 1} {
			t.Errorf("current = %+v", cur)
		}
		// As of before the revision, the listing shows version 1 only.
		old, _, err := db.FindUnits(ctx, wangge.UnitFilter{Under: "360730100001002", AsOf: &before})
		if err != nil || len(old) != 1 {
			t.Fatalf("as-of listing = %v, %v", old, err)
		}
		n, err := db.RetireUnit(ctx, "360730100001")
		if err != nil || n != 3 {
			t.Fatalf("retire = %d, %v; want community and its 2 grids", n, err)
		}
		_, err = db.Unit(ctx, "360730100001001")
		mustCode(t, err, wangge.ENOTFOUND)
		// The code is free again for a redrawn community.
		if err := db.CreateUnits(ctx, []wangge.Unit{{Code: "360730100001", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "新中山南路社区"}}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSetBoundaries(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		b := `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`
		in := []wangge.Unit{
			{Code: "360730100001", Level: wangge.LevelCommunity, Boundary: b, BBox: &[4]float64{0, 0, 1, 1}, Households: 900},
			{Code: "360730100009", Boundary: b},
		}
		_, err := db.SetBoundaries(asAdmin(), in)
		if wangge.ErrorFields(err)["units[1].code"] == "" {
			t.Fatalf("unknown code: %v", err)
		}
		if u, _ := db.Unit(asAdmin(), "360730100001"); u.Version != 1 {
			t.Fatal("a failed update changed a unit")
		}
		_, err = db.SetBoundaries(asAdmin(), []wangge.Unit{{Code: "360730100001", Level: wangge.LevelGrid, Boundary: b}})
		mustCode(t, err, wangge.EINVALID)
		if n, err := db.SetBoundaries(asAdmin(), in[:1]); err != nil || n != 1 {
			t.Fatal(n, err)
		}
		u, _ := db.Unit(asAdmin(), "360730100001")
		if u.Version != 2 || u.Boundary != b || u.Households != 900 || u.NameZH != "中山南路社区" {
			t.Errorf("after update: %+v", u)
		}
		_, err = db.SetBoundaries(as(&wangge.User{Role: wangge.RoleCadre, Units: []string{"360730"}}), in[:1])
		mustCode(t, err, wangge.EFORBIDDEN)
	})
}

// TestFindUnitsInBBox: a box keeps the units whose bounding box meets it,
// touching counts, a unit without a boundary never does, and the box goes
// with the other filters and the caller's scope.
func TestFindUnitsInBBox(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		square := func(code string, level wangge.Level, x0, y0, x1, y1 float64) wangge.Unit {
			b := fmt.Sprintf(`{"type":"MultiPolygon","coordinates":[[[[%[1]g,%[2]g],[%[3]g,%[2]g],[%[3]g,%[4]g],[%[1]g,%[4]g],[%[1]g,%[2]g]]]]}`, x0, y0, x1, y1)
			return wangge.Unit{Code: code, Level: level, Boundary: b, BBox: &[4]float64{x0, y0, x1, y1}}
		}
		// Grids side by side along the longitudes, 0.01° wide; the third
		// grid keeps no boundary.
		if _, err := db.SetBoundaries(asAdmin(), []wangge.Unit{
			square("360730100001", wangge.LevelCommunity, 116.00, 26.40, 116.02, 26.41),
			square("360730100001001", wangge.LevelGrid, 116.00, 26.40, 116.01, 26.41),
			square("360730100001002", wangge.LevelGrid, 116.01, 26.40, 116.02, 26.41),
		}); err != nil {
			t.Fatal(err)
		}
		cadre := as(&wangge.User{ID: 8, Role: wangge.RoleCadre, Units: []string{"360730100002"}})
		tests := []struct {
			name string
			ctx  context.Context
			f    wangge.UnitFilter
			want []string
		}{
			{"inside the first grid", asAdmin(), wangge.UnitFilter{Level: wangge.LevelGrid, BBox: &[4]float64{116.002, 26.402, 116.004, 26.404}}, []string{"360730100001001"}},
			{"across both", asAdmin(), wangge.UnitFilter{Level: wangge.LevelGrid, BBox: &[4]float64{116.005, 26.0, 116.015, 27.0}}, []string{"360730100001001", "360730100001002"}},
			{"touching an edge", asAdmin(), wangge.UnitFilter{Level: wangge.LevelGrid, BBox: &[4]float64{116.02, 26.41, 116.03, 26.42}}, []string{"360730100001002"}},
			{"every level", asAdmin(), wangge.UnitFilter{BBox: &[4]float64{116.015, 26.405, 116.016, 26.406}}, []string{"360730100001", "360730100001002"}},
			{"beside them", asAdmin(), wangge.UnitFilter{BBox: &[4]float64{116.021, 26.40, 116.03, 26.41}}, nil},
			{"under a subtree", asAdmin(), wangge.UnitFilter{Under: "360730100001002", BBox: &[4]float64{115, 26, 117, 27}}, []string{"360730100001002"}},
			{"out of scope", cadre, wangge.UnitFilter{BBox: &[4]float64{115, 26, 117, 27}}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := db.FindUnits(tt.ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var codes []string
				for _, u := range got {
					codes = append(codes, u.Code)
				}
				if diff := cmp.Diff(tt.want, codes); diff != "" || total != len(tt.want) {
					t.Errorf("total %d; codes (-want +got):\n%s", total, diff)
				}
			})
		}
	})
}
