package caseflow_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
	"github.com/wangge/wangge/internal/territory"
)

var admin = wangge.NewContextWithUser(context.Background(), &wangge.User{Username: "system", Role: wangge.RoleAdmin})

func as(u *wangge.User) context.Context { return wangge.NewContextWithUser(context.Background(), u) }

func square(x0, y0, x1, y1 float64) string {
	b, _ := json.Marshal(map[string]any{"type": "MultiPolygon", "coordinates": [][][][2]float64{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}})
	return string(b)
}

type fixture struct {
	svc                        *caseflow.Service
	db                         *sqlstore.DB
	operator, dept, worker, re *wangge.User
	cgj, sfj                   int64
}

// setup builds a county with one community and one grid (as WGS84
// squares), the 12 demo departments, the default catalogue, routing for
// rubbish to urban management, and users.
func setup(t *testing.T, db *sqlstore.DB) *fixture {
	t.Helper()
	units := []wangge.Unit{
		{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县", Boundary: square(116.0, 26.4, 116.1, 26.5), BBox: &[4]float64{116.0, 26.4, 116.1, 26.5}},
		{Code: "360730100", ParentCode: "360730", Level: wangge.LevelStreet, NameZH: "梅江镇", Boundary: square(116.0, 26.4, 116.1, 26.5), BBox: &[4]float64{116.0, 26.4, 116.1, 26.5}},
		{Code: "360730100001", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "中山南路社区", Boundary: square(116.0, 26.4, 116.1, 26.5), BBox: &[4]float64{116.0, 26.4, 116.1, 26.5}},
		{Code: "360730100001001", ParentCode: "360730100001", Level: wangge.LevelGrid, NameZH: "第1网格", Boundary: square(116.0, 26.4, 116.1, 26.5), BBox: &[4]float64{116.0, 26.4, 116.1, 26.5}},
	}
	if err := db.CreateUnits(admin, units); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	for _, code := range catalogue.Departments(catalogue.Default()) {
		d := &wangge.Department{Code: code, NameZH: code, NameEN: code, UnitCode: "360730"}
		if err := db.CreateDepartment(admin, d); err != nil {
			t.Fatal(err)
		}
		switch code {
		case "cgj":
			f.cgj = d.ID
		case "sfj":
			f.sfj = d.ID
		}
	}
	if err := db.SaveCatalogue(admin, catalogue.Default()); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRoutingRules(admin, "0101", []sqlstore.RoutingRule{{DepartmentID: f.cgj}}); err != nil {
		t.Fatal(err)
	}
	f.operator = &wangge.User{Username: "op", Role: wangge.RoleOperator, Units: []string{"360730"}}
	f.dept = &wangge.User{Username: "cgj1", Role: wangge.RoleDepartment, DepartmentID: &f.cgj}
	f.worker = &wangge.User{Username: "gw", Role: wangge.RoleGridWorker, Units: []string{"360730100001001"}}
	f.re = &wangge.User{Username: "res", Role: wangge.RoleResident}
	for _, u := range []*wangge.User{f.operator, f.dept, f.worker, f.re} {
		if err := db.CreateUser(admin, u, "password1"); err != nil {
			t.Fatal(err)
		}
	}
	loc := territory.New(db)
	loc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := loc.Rebuild(admin, true); err != nil {
		t.Fatal(err)
	}
	f.svc = caseflow.New(db, loc)
	return f
}

func cst(s string) time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", s, wangge.ChinaTime)
	return t
}

func TestReportPlacesAndFlags(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		now := cst("2025-11-03 09:00")
		// A resident's phone reports in GCJ-02, a few hundred metres off WGS84.
		gcj := geo.Convert(geo.Point{X: 116.05, Y: 26.45}, geo.WGS84, geo.GCJ02)
		c, err := f.svc.Report(as(f.re), &wangge.Case{Category: "0101", Channel: wangge.ChannelResident, Description: "垃圾堆在路边",
			Lon: gcj.X, Lat: gcj.Y, CRS: "gcj02", ReporterID: &f.re.ID}, now)
		if err != nil {
			t.Fatal(err)
		}
		if c.UnitCode != "360730100001001" || c.Kind != wangge.KindEvent || c.Status != wangge.StatusReported || c.CRS != "gcj02" ||
			geo.Distance(geo.Point{X: c.Lon, Y: c.Lat}, geo.Point{X: 116.05, Y: 26.45}) > 1 || c.DueAt == nil {
			t.Fatalf("reported case = %+v", c)
		}
		// The same matter 20 m away is a probable duplicate.
		near := geo.Convert(geo.Point{X: 116.05 + 0.0002, Y: 26.45}, geo.WGS84, geo.GCJ02)
		d, err := f.svc.Report(as(f.re), &wangge.Case{Category: "0101", Channel: wangge.ChannelResident, Description: "又是这堆垃圾", Lon: near.X, Lat: near.Y, CRS: "gcj02"}, now.Add(time.Hour))
		if err != nil || d.DuplicateOf == nil || *d.DuplicateOf != c.ID {
			t.Fatalf("duplicate not flagged: %+v %v", d, err)
		}
		for _, bad := range []struct {
			c     wangge.Case
			field string
		}{
			{wangge.Case{Category: "9999", Channel: wangge.ChannelResident, Description: "x", Lon: 116.05, Lat: 26.45}, "category"},
			{wangge.Case{Category: "01", Channel: wangge.ChannelResident, Description: "x", Lon: 116.05, Lat: 26.45}, "category"},
			{wangge.Case{Category: "0101", Channel: wangge.ChannelResident, Description: "x", Lon: 10, Lat: 50}, "lat"},
			{wangge.Case{Category: "0101", Channel: wangge.ChannelResident, Description: "x"}, "lat"},
			{wangge.Case{Category: "0101", Channel: wangge.ChannelResident, Description: "x", Lon: 116.05, Lat: 26.45, CRS: "mars"}, "crs"},
		} {
			if _, err := f.svc.Report(as(f.re), &bad.c, now); wangge.ErrorFields(err)[bad.field] == "" {
				t.Errorf("%+v: err %v, want field %s", bad.c, err, bad.field)
			}
		}
	})
}

func TestLoopRoutingAndScheduler(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		now := cst("2025-11-03 09:00") // Monday
		c, err := f.svc.Report(as(f.worker), &wangge.Case{Category: "0101", Channel: wangge.ChannelGridWorker, Description: "暴露垃圾约2平方米",
			Lon: 116.02, Lat: 26.42, ReporterID: &f.worker.ID}, now)
		if err != nil {
			t.Fatal(err)
		}
		act := func(u *wangge.User, s wangge.Step, at time.Time) *wangge.Case {
			t.Helper()
			got, err := f.svc.Act(as(u), c.ID, 0, s, at)
			if err != nil {
				t.Fatalf("%s: %v", s.Action, err)
			}
			return got
		}
		act(f.operator, wangge.Step{Action: wangge.ActAccept}, now.Add(10*time.Minute))
		// No department named: the routing rule sends it to urban management.
		d := act(f.operator, wangge.Step{Action: wangge.ActDispatch}, now.Add(20*time.Minute))
		if d.DepartmentID == nil || *d.DepartmentID != f.cgj || d.Status != wangge.StatusDispatched {
			t.Fatalf("dispatched = %+v", d)
		}
		// The department now sees it; the handling limit is 1 working day.
		if _, err := db.Case(as(f.dept), c.ID); err != nil {
			t.Fatal(err)
		}
		if !d.DueAt.Equal(cst("2025-11-04 09:20")) {
			t.Errorf("due %v", d.DueAt)
		}
		act(f.dept, wangge.Step{Action: wangge.ActStart}, now.Add(time.Hour))

		// Nothing is due before 80 % of the day: 09:20 + 5.6 h of working time.
		if n, err := f.svc.Tick(context.Background(), cst("2025-11-03 16:00"), 100); err != nil || n != 0 {
			t.Fatalf("early tick = %d, %v", n, err)
		}
		if n, _ := f.svc.Tick(context.Background(), cst("2025-11-03 17:00"), 100); n != 1 {
			t.Errorf("tick at 17:00 changed %d cases, want 1 (yellow)", n)
		}
		if n, _ := f.svc.Tick(context.Background(), cst("2025-11-03 17:00"), 100); n != 0 {
			t.Errorf("a second tick at the same time acted again (%d)", n)
		}
		got, _ := db.Case(admin, c.ID)
		if got.Light != "yellow" {
			t.Errorf("light %s at 17:00", got.Light)
		}
		f.svc.Tick(context.Background(), cst("2025-11-04 10:00"), 100)
		got, _ = db.Case(admin, c.ID)
		if got.Light != "red" {
			t.Errorf("light %s after the deadline", got.Light)
		}

		act(f.dept, wangge.Step{Action: wangge.ActFinish, Note: "已清运"}, cst("2025-11-04 11:00"))
		act(f.worker, wangge.Step{Action: wangge.ActVerifyOK}, cst("2025-11-04 14:30"))
		act(f.operator, wangge.Step{Action: wangge.ActClose}, cst("2025-11-04 15:00"))
		evs, err := db.CaseEvents(admin, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range evs {
			actions = append(actions, e.Action)
		}
		want := "report accept dispatch start yellow overdue finish verify_ok close"
		if got := join(actions); got != want {
			t.Errorf("timeline %q, want %q", got, want)
		}
		if evs[2].Data["routed"] != true {
			t.Errorf("dispatch event data %v", evs[2].Data)
		}
		// A grid worker may not close; a closed case cannot be closed again.
		if _, err := f.svc.Act(as(f.worker), c.ID, 0, wangge.Step{Action: wangge.ActClose}, cst("2025-11-04 16:00")); wangge.ErrorCode(err) != wangge.EFORBIDDEN {
			t.Errorf("worker close: %v", err)
		}
	})
}

func TestAutoEscalation(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		// 2601 征地补偿纠纷 escalates by itself when its handling time runs out.
		now := cst("2025-11-03 09:00")
		c, err := f.svc.Report(as(f.operator), &wangge.Case{Category: "2601", Channel: wangge.ChannelHotline, Description: "征地补偿款未到位", UnitCode: "360730100001001"}, now)
		if err != nil {
			t.Fatal(err)
		}
		f.svc.Act(as(f.operator), c.ID, 0, wangge.Step{Action: wangge.ActAccept}, now)
		f.svc.Act(as(f.operator), c.ID, 0, wangge.Step{Action: wangge.ActDispatch, Department: &f.sfj}, now)
		for day := 0; day < 40; day++ {
			f.svc.Tick(context.Background(), now.AddDate(0, 0, day), 100)
		}
		got, _ := db.Case(admin, c.ID)
		if got.Escalations != 1 || got.Level != wangge.LevelCounty || got.Status != wangge.StatusAccepted {
			t.Errorf("after the deadline: level %s, escalations %d, status %s", got.Level, got.Escalations, got.Status)
		}
	})
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

func TestMergedReportersFollowTheSurvivor(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		other := &wangge.User{Username: "res2", Role: wangge.RoleResident}
		if err := db.CreateUser(admin, other, "password1"); err != nil {
			t.Fatal(err)
		}
		now := cst("2025-11-03 09:00")
		first, err := f.svc.Report(as(f.re), &wangge.Case{Category: "0101", Channel: wangge.ChannelResident, Description: "垃圾", Lon: 116.05, Lat: 26.45, ReporterID: &f.re.ID}, now)
		if err != nil {
			t.Fatal(err)
		}
		dup, err := f.svc.Report(as(other), &wangge.Case{Category: "0101", Channel: wangge.ChannelResident, Description: "同一堆垃圾", Lon: 116.05, Lat: 26.4501, ReporterID: &other.ID}, now.Add(time.Minute))
		if err != nil || dup.DuplicateOf == nil {
			t.Fatalf("dup = %+v %v", dup, err)
		}
		if _, err := f.svc.Act(as(f.operator), dup.ID, 0, wangge.Step{Action: wangge.ActMerge, SurvivorID: first.ID}, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		for _, s := range []wangge.Step{{Action: wangge.ActAccept}, {Action: wangge.ActDispatch}} {
			if _, err := f.svc.Act(as(f.operator), first.ID, 0, s, now.Add(3*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		f.svc.Act(as(f.dept), first.ID, 0, wangge.Step{Action: wangge.ActStart}, now.Add(time.Hour))
		f.svc.Act(as(f.dept), first.ID, 0, wangge.Step{Action: wangge.ActFinish}, now.Add(2*time.Hour))
		f.svc.Act(as(f.worker), first.ID, 0, wangge.Step{Action: wangge.ActVerifyOK}, now.Add(3*time.Hour))
		if _, err := f.svc.Act(as(f.operator), first.ID, 0, wangge.Step{Action: wangge.ActClose}, now.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*wangge.User{f.re, other} {
			ns, total, err := db.Inbox(as(u), false, 0, 0)
			if err != nil || total != 1 || ns[0].CaseID != first.ID || ns[0].Kind != "close" {
				t.Errorf("%s inbox: %+v %d %v", u.Username, ns, total, err)
			}
		}
	})
}
