package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

var testCatalogue = &wangge.Catalogue{
	Items: []wangge.DutyItem{{Code: "D01", NameZH: "市容巡查", NameEN: "City appearance patrol", GridDuty: true}},
	Categories: []wangge.Category{
		{Code: "01", Kind: wangge.KindEvent, NameZH: "市容环境", NameEN: "City appearance"},
		{Code: "0101", Kind: wangge.KindEvent, NameZH: "暴露垃圾", NameEN: "Exposed rubbish", Item: "D01", Level: wangge.LevelGrid, Department: "cgj",
			Limits: wangge.Limits{Accept: wangge.Limit{Value: 1, Unit: "hours"}, Dispatch: wangge.Limit{Value: 2, Unit: "hours"},
				Handle: wangge.Limit{Value: 3, Unit: "days"}, Verify: wangge.Limit{Value: 1, Unit: "days"}}},
	},
}

// seedCases sets up the tree, a department, the catalogue and users.
func seedCases(t *testing.T, db *sqlstore.DB) (deptUser, resident, worker *wangge.User) {
	t.Helper()
	seedTree(t, db)
	d := &wangge.Department{Code: "cgj", NameZH: "城市管理局", NameEN: "Urban Management", UnitCode: "360730"}
	if err := db.CreateDepartment(asAdmin(), d); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCatalogue(asAdmin(), testCatalogue); err != nil {
		t.Fatal(err)
	}
	deptUser = &wangge.User{Username: "cgj1", Role: wangge.RoleDepartment, DepartmentID: &d.ID}
	resident = &wangge.User{Username: "res1", Role: wangge.RoleResident}
	worker = &wangge.User{Username: "gw1", Role: wangge.RoleGridWorker, Units: []string{"360730100001001"}}
	for _, u := range []*wangge.User{deptUser, resident, worker} {
		if err := db.CreateUser(asAdmin(), u, "password1"); err != nil {
			t.Fatal(err)
		}
	}
	return deptUser, resident, worker
}

func newCase(t *testing.T, db *sqlstore.DB, unit string, reporter *int64, key string) *wangge.Case {
	t.Helper()
	u, err := db.Unit(asAdmin(), unit)
	if err != nil {
		t.Fatal(err)
	}
	c := &wangge.Case{Status: wangge.StatusReported, Level: wangge.LevelGrid, UnitID: u.ID, UnitCode: unit, Category: "0101", Kind: wangge.KindEvent,
		Channel: wangge.ChannelResident, Description: "路边垃圾堆积", Lon: 116.01, Lat: 26.47, CRS: "gcj02", ReporterID: reporter,
		ReporterPhone: "19900002222", ReportedAt: testNow, StepStartedAt: testNow, StepLimit: time.Hour, IdempotencyKey: key}
	if _, err := db.CreateCase(asAdmin(), c, wangge.CaseEvent{At: testNow, Action: "report", To: wangge.StatusReported}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCatalogueRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedCases(t, db)
		got, err := db.Catalogue(asAdmin())
		if err != nil || len(got.Categories) != 2 || got.Categories[1].Limits.Handle.Value != 3 || len(got.Items) != 1 {
			t.Fatalf("catalogue = %+v %v", got, err)
		}
		bad := *testCatalogue
		bad.Categories = append([]wangge.Category(nil), testCatalogue.Categories...)
		bad.Categories[1].Department = "nasa"
		if err := db.SaveCatalogue(asAdmin(), &bad); wangge.ErrorFields(err)["categories[1].department"] == "" {
			t.Errorf("unknown department accepted: %v", err)
		}
	})
}

func TestCreateCaseNumbersAndIdempotency(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		_, resident, _ := seedCases(t, db)
		a := newCase(t, db, "360730100001001", &resident.ID, "")
		b := newCase(t, db, "360730100002001", nil, "phone-7f3a")
		if a.Number != "360730-20261123-000001" || b.Number != "360730-20261123-000002" || a.ReporterPhone != "199****2222" {
			t.Errorf("numbers %s %s phone %s", a.Number, b.Number, a.ReporterPhone)
		}
		// The same report sent again by an offline queue is not stored twice.
		again := newCase(t, db, "360730100002001", nil, "phone-7f3a")
		if again.ID != b.ID || again.Number != b.Number {
			t.Errorf("retried report stored again: %d vs %d", again.ID, b.ID)
		}
		_, total, _ := db.FindCases(asAdmin(), sqlstore.CaseFilter{})
		if total != 2 {
			t.Errorf("%d cases, want 2", total)
		}
		evs, err := db.CaseEvents(asAdmin(), a.ID)
		if err != nil || len(evs) != 1 || evs[0].Action != "report" {
			t.Errorf("timeline = %v %v", evs, err)
		}
	})
}

func TestCaseScope(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		deptUser, resident, worker := seedCases(t, db)
		mine := newCase(t, db, "360730100001001", &resident.ID, "")
		other := newCase(t, db, "360730100002001", nil, "")
		// The grid worker sees the case in their grid only.
		if _, err := db.Case(as(worker), mine.ID); err != nil {
			t.Error(err)
		}
		_, err := db.Case(as(worker), other.ID)
		mustCode(t, err, wangge.ENOTFOUND)
		// The resident sees what they reported, nothing else.
		if _, err := db.Case(as(resident), mine.ID); err != nil {
			t.Error(err)
		}
		_, err = db.Case(as(resident), other.ID)
		mustCode(t, err, wangge.ENOTFOUND)
		// The department sees a case once it is dispatched to it.
		_, err = db.Case(as(deptUser), other.ID)
		mustCode(t, err, wangge.ENOTFOUND)
		_, err = db.UpdateCase(asAdmin(), other.ID, 0, false, func(c wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
			c.Status, c.DepartmentID = wangge.StatusDispatched, deptUser.DepartmentID
			return c, wangge.CaseEvent{At: testNow, Action: "dispatch"}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Case(as(deptUser), other.ID)
		if err != nil || got.Version != 2 || got.Status != wangge.StatusDispatched {
			t.Errorf("department view = %+v %v", got, err)
		}
		list, total, _ := db.FindCases(as(deptUser), sqlstore.CaseFilter{})
		if total != 1 || list[0].ID != other.ID {
			t.Errorf("department list = %d", total)
		}
	})
}

func TestUpdateCaseConcurrency(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedCases(t, db)
		c := newCase(t, db, "360730100001001", nil, "")
		accept := func(ctx context.Context, version int) error {
			_, err := db.UpdateCase(ctx, c.ID, version, false, func(cur wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
				next, err := wangge.Apply(cur, wangge.Step{Action: wangge.ActAccept, Actor: &wangge.User{Role: wangge.RoleOperator}})
				return next, wangge.CaseEvent{At: testNow, Action: "accept", From: cur.Status, To: next.Status}, err
			})
			return err
		}
		// A stale version is refused.
		mustCode(t, accept(asAdmin(), 7), wangge.ECONFLICT)
		// Eight operators press accept at once: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = accept(asAdmin(), 0)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch wangge.ErrorCode(err) {
			case "":
				won++
			case wangge.ECONFLICT:
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d accepts won, want exactly 1", won)
		}
		evs, _ := db.CaseEvents(asAdmin(), c.ID)
		if len(evs) != 2 {
			t.Errorf("timeline has %d rows, want report + one accept", len(evs))
		}
	})
}

// TestCaseNumberUsesTheCounty numbers a case by the county-level unit above
// it, whatever the length of the codes (Boston: BOS > BOSW01 > BOSW01P01).
func TestCaseNumberUsesTheCounty(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedCases(t, db)
		err := db.CreateUnits(asAdmin(), []wangge.Unit{
			{Code: "BOS", Level: wangge.LevelCounty, NameZH: "波士顿"},
			{Code: "BOSW01", ParentCode: "BOS", Level: wangge.LevelStreet, NameZH: "Ward 1"},
			{Code: "BOSW01P01", ParentCode: "BOSW01", Level: wangge.LevelCommunity, NameZH: "Precinct 1-1"},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := newCase(t, db, "BOSW01P01", nil, "")
		if c.Number != "BOS-20261123-000001" {
			t.Errorf("number %s", c.Number)
		}
		if g := newCase(t, db, "360730100002001", nil, ""); g.Number != "360730-20261123-000001" {
			t.Errorf("GB number %s", g.Number)
		}
	})
}

// TestFindCasesInBBox: a box keeps the cases located in it, edges
// included, and the count is of those (not the statistics' count of the
// whole unit).
func TestFindCasesInBBox(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedCases(t, db)
		u, err := db.Unit(asAdmin(), "360730100001001")
		if err != nil {
			t.Fatal(err)
		}
		at := func(lon, lat float64) int64 {
			c := &wangge.Case{Status: wangge.StatusReported, Level: wangge.LevelGrid, UnitID: u.ID, UnitCode: u.Code, Category: "0101", Kind: wangge.KindEvent,
				Channel: wangge.ChannelResident, Description: "路边垃圾堆积", Lon: lon, Lat: lat, CRS: "wgs84",
				ReportedAt: testNow, StepStartedAt: testNow, StepLimit: time.Hour}
			if _, err := db.CreateCase(asAdmin(), c, wangge.CaseEvent{At: testNow, Action: "report", To: wangge.StatusReported}); err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		west, east := at(116.001, 26.401), at(116.019, 26.409)
		at(116.5, 26.405)
		for _, tt := range []struct {
			name string
			box  [4]float64
			want []int64
		}{
			{"the west one", [4]float64{116.0, 26.4, 116.01, 26.41}, []int64{west}},
			{"both, on the edges", [4]float64{116.001, 26.401, 116.019, 26.409}, []int64{east, west}},
			{"none", [4]float64{117, 26, 118, 27}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := db.FindCases(asAdmin(), sqlstore.CaseFilter{Unit: "360730100001", BBox: &tt.box})
				if err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for _, c := range got {
					ids = append(ids, c.ID)
				}
				if total != len(tt.want) || len(ids) != len(tt.want) || (len(ids) > 0 && (ids[0] != tt.want[0] || ids[len(ids)-1] != tt.want[len(tt.want)-1])) {
					t.Errorf("got %v (total %d), want %v", ids, total, tt.want)
				}
			})
		}
	})
}
