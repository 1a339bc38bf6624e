package territory_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/gen"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
	"github.com/wangge/wangge/internal/territory"
)

var admin = wangge.NewContextWithUser(context.Background(), &wangge.User{Username: "system", Role: wangge.RoleAdmin})

// provinceLocator loads a generated province's units into db and builds a
// locator over them; first is the ID of the first unit.
func provinceLocator(t *testing.T, db *sqlstore.DB, seed uint64, grids int) (*gen.Province, *territory.Locator, int64) {
	t.Helper()
	p, err := gen.NewProvince(seed, grids)
	if err != nil {
		t.Fatal(err)
	}
	first, err := db.LoadUnits(admin, p.NumUnits(), p.Unit)
	if err != nil {
		t.Fatal(err)
	}
	loc := territory.New(db)
	loc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := loc.Rebuild(admin, true); err != nil {
		t.Fatal(err)
	}
	return p, loc, first
}

// TestLocatorChains loads a generated province (province, cities,
// counties, streets, communities, grids) and checks the chain the locator
// gives for points in every grid against a scan of every unit's boundary:
// the same units, top level first, with their codes, IDs and names.
func TestLocatorChains(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		p, loc, first := provinceLocator(t, db, 3, 400)
		units := make([]wangge.Unit, p.NumUnits())
		shapes := make([]geo.MultiPolygon, p.NumUnits())
		for i := range units {
			p.Unit(i, &units[i])
			shapes[i] = p.Shape(i)
		}
		if loc.Len() != len(units) {
			t.Fatalf("Len = %d, want %d", loc.Len(), len(units))
		}
		checked := 0
		for g := 0; g < p.NumGrids(); g += 3 {
			pt := p.GridPoint(g, 0.37, 0.61, 0.29)
			var want []territory.Hit
			for _, lv := range wangge.Levels {
				for i := range units {
					if units[i].Level == lv && shapes[i].Contains(pt) {
						u := &units[i]
						want = append(want, territory.Hit{ID: first + int64(i), Code: u.Code, Level: lv, NameZH: u.NameZH, NameEN: u.NameEN})
						break
					}
				}
			}
			got := loc.Locate(pt)
			if len(got) != len(want) || len(got) < 6 {
				t.Fatalf("grid %d at %v: chain %+v, want %+v", g, pt, got, want)
			}
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("grid %d at %v: hit %d = %+v, want %+v", g, pt, k, got[k], want[k])
				}
			}
			checked++
		}
		if checked < 100 {
			t.Fatalf("checked %d points", checked)
		}
		if got := loc.Locate(geo.Point{X: 0, Y: 0}); len(got) != 0 {
			t.Errorf("a point off the province located to %+v", got)
		}
	})
}

// TestLocatorRebuildsChangedShards: after a grid is revised, a rebuild
// builds only its county's shard, and finds the revised grid; a street
// under no county is found too, in its place in the chain.
func TestLocatorRebuildsChangedShards(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		p, loc, _ := provinceLocator(t, db, 5, 300)
		counties := p.Count(wangge.LevelCounty)
		if got := territory.Rebuilt(loc); got != 1+counties {
			t.Fatalf("first build built %d shards, want %d (the top and one a county)", got, 1+counties)
		}
		// Rename the grid under a point: a revision, a new version.
		pt := p.GridPoint(7, 0.5, 0.5, 0.5)
		before := loc.Locate(pt)
		grid := before[len(before)-1]
		name := "改名网格"
		if _, err := db.ReviseUnit(admin, grid.Code, sqlstore.UnitRevision{NameZH: &name}); err != nil {
			t.Fatal(err)
		}
		if err := loc.Rebuild(admin, false); err != nil {
			t.Fatal(err)
		}
		if got := territory.Rebuilt(loc); got != 1 {
			t.Errorf("a grid's revision rebuilt %d shards, want 1", got)
		}
		after := loc.Locate(pt)
		if len(after) != len(before) || after[len(after)-1].NameZH != "改名网格" || after[len(after)-1].ID == grid.ID {
			t.Errorf("after the revision: %+v", after)
		}
		// A street drawn outside every county, under the province.
		far := geo.Point{X: 140, Y: 40}
		street := wangge.Unit{Code: before[0].Code + "999", ParentCode: before[0].Code, Level: wangge.LevelStreet, NameZH: "飞地街道",
			Boundary: `{"type":"Polygon","coordinates":[[[139.9,39.9],[140.1,39.9],[140.1,40.1],[139.9,40.1],[139.9,39.9]]]}`, BBox: &[4]float64{139.9, 39.9, 140.1, 40.1}}
		if err := db.CreateUnits(admin, []wangge.Unit{street}); err != nil {
			t.Fatal(err)
		}
		if err := loc.Rebuild(admin, false); err != nil {
			t.Fatal(err)
		}
		if got := territory.Rebuilt(loc); got != 1 {
			t.Errorf("a new street under no county rebuilt %d shards, want 1 (the top)", got)
		}
		if hits := loc.Locate(far); len(hits) != 1 || hits[0].Code != street.Code || hits[0].Level != wangge.LevelStreet {
			t.Errorf("the street under no county: %+v", hits)
		}
		if n := loc.Len(); n != len(units(p))+1 {
			t.Errorf("Len = %d, want %d", n, len(units(p))+1)
		}
	})
}

func units(p *gen.Province) []wangge.Unit {
	out := make([]wangge.Unit, p.NumUnits())
	for i := range out {
		p.Unit(i, &out[i])
	}
	return out
}

// TestLocatorNames: every unit of a generated province is named from
// memory as the database names it; a code that is no unit is not.
func TestLocatorNames(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		p, loc, _ := provinceLocator(t, db, 2, 200)
		for _, u := range units(p) {
			zh, en, ok := loc.Name(u.Code)
			if !ok || zh != u.NameZH || en != u.NameEN {
				t.Fatalf("Name(%s) = %q, %q, %v; want %q, %q", u.Code, zh, en, ok, u.NameZH, u.NameEN)
			}
		}
		for _, code := range []string{"", "9", units(p)[5].Code + "0", "33x"} {
			if _, _, ok := loc.Name(code); ok {
				t.Errorf("Name(%q) found a unit", code)
			}
		}
	})
}
