package bench_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/app"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// TestDashboard benches the command centre's requests against a small
// county with a history of cases, through --target as an administrator:
// every request of every view answered, none refused; and refuses what
// makes no sense.
func TestDashboard(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		sys := app.System(context.Background())
		db.Now = func() time.Time { return time.Now().UTC() } // sessions last from now
		units := []wangge.Unit{
			{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县"},
			{Code: "360730100", ParentCode: "360730", Level: wangge.LevelStreet, NameZH: "梅江镇"},
			{Code: "360730100001", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "中山南路社区"},
			{Code: "360730100001001", ParentCode: "360730100001", Level: wangge.LevelGrid, NameZH: "第1网格"},
		}
		if err := db.CreateUnits(sys, units); err != nil {
			t.Fatal(err)
		}
		grid, err := db.Unit(sys, "360730100001001")
		if err != nil {
			t.Fatal(err)
		}
		cat := catalogue.Default()
		for _, d := range catalogue.Departments(cat) {
			if err := db.CreateDepartment(sys, &wangge.Department{Code: d, NameZH: d, UnitCode: "360730"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SaveCatalogue(sys, cat); err != nil {
			t.Fatal(err)
		}
		leaves := catalogue.Leaves(cat)
		now := time.Now()
		if _, err := db.LoadCases(sys, 300, func(i int, c *wangge.Case) {
			at := now.Add(-time.Duration(i) * 7 * time.Hour).UTC()
			leaf := leaves[i%len(leaves)]
			status := []wangge.Status{wangge.StatusClosed, wangge.StatusRated, wangge.StatusDispatched, wangge.StatusReported}[i%4]
			*c = wangge.Case{UnitID: grid.ID, UnitCode: grid.Code, Category: leaf.Code, Kind: leaf.Kind, Level: wangge.LevelGrid, Status: status,
				Channel: wangge.ChannelGridWorker, Description: "井盖缺失", Lon: 116.01, Lat: 26.41, CRS: "wgs84",
				ReportedAt: at, StepStartedAt: at, StepLimit: time.Hour, Light: "green"}
			if status == wangge.StatusRated {
				c.Rating = 4
			}
		}); err != nil {
			t.Fatal(err)
		}
		admin := &wangge.User{Username: "cc", Name: "指挥中心", Role: wangge.RoleAdmin}
		if err := db.CreateUser(sys, admin, "password1"); err != nil {
			t.Fatal(err)
		}
		token, _, err := db.Login(context.Background(), "cc", "password1", "api")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := app.Start(context.Background(), db, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		out, err := run(t, "dashboard", "--target", srv.URL, "--token", token, "--rounds", "2", "--clients", "2", "--json")
		if err != nil {
			t.Fatal(err)
		}
		r := decode(t, out)
		// The territory, the county, its street: ten requests each (seven
		// for the figures and the list; the map's two levels of boundaries
		// and its points, with under 5,000 open cases).
		if r.Errors != 0 || len(r.Endpoints) != 30 || r.Ops != 30*2*2 {
			t.Fatalf("result %+v", r)
		}
		if !strings.HasPrefix(r.Endpoints[10].Name, "360730 ·") || !strings.HasPrefix(r.Endpoints[20].Name, "360730100 ·") {
			t.Errorf("views: %s, %s", r.Endpoints[10].Name, r.Endpoints[20].Name)
		}
		for i, want := range map[int]string{7: "territory · map: boundaries of the street level", 8: "territory · map: boundaries of the community level",
			9: "territory · map: open case points", 28: "360730100 · map: boundaries of the grid level"} {
			if r.Endpoints[i].Name != want {
				t.Errorf("request %d is %q, want %q", i, r.Endpoints[i].Name, want)
			}
		}
		if _, err := run(t, "dashboard", "--target", srv.URL, "--token", "nonsense", "--rounds", "1"); err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("a wrong token: %v", err)
		}
	})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dashboard", "--rounds", "0", "--db", "x.db"}, "--rounds"},
		{[]string{"dashboard"}, "--db"},
		{[]string{"dashboard", "--db", "/nonexistent/wangge.db"}, "no such database"},
		{[]string{"dashboard", "--target", "http://127.0.0.1:1", "--token", "t", "--rounds", "1"}, "does not answer"},
	} {
		if _, err := run(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench %v: %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}
