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

// TestLocatorChains loads a generated province (province, cities,
// counties, streets, communities, grids) and checks the chain the locator
// gives for points in every grid against a scan of every unit's boundary:
// the same units, top level first, with their codes, IDs and names.
func TestLocatorChains(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		p, err := gen.NewProvince(3, 400)
		if err != nil {
			t.Fatal(err)
		}
		admin := wangge.NewContextWithUser(context.Background(), &wangge.User{Username: "system", Role: wangge.RoleAdmin})
		first, err := db.LoadUnits(admin, p.NumUnits(), p.Unit)
		if err != nil {
			t.Fatal(err)
		}
		units := make([]wangge.Unit, p.NumUnits())
		shapes := make([]geo.MultiPolygon, p.NumUnits())
		for i := range units {
			p.Unit(i, &units[i])
			shapes[i] = p.Shape(i)
		}
		loc := territory.New(db)
		loc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if err := loc.Rebuild(admin, true); err != nil {
			t.Fatal(err)
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
