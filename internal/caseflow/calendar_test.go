package caseflow_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// TestCountyCalendar: a case runs on the calendar stored for the nearest
// unit above it. The county declares Tuesday 4 November 2025 a local
// holiday, so a one-day handling limit from Monday 09:20 ends on Wednesday.
func TestCountyCalendar(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		if _, err := db.PutCalendar(as(f.operator), "360730", calendar.Spec{Base: "cn"}); wangge.ErrorCode(err) != wangge.EFORBIDDEN {
			t.Errorf("an operator changed the calendar: %v", err)
		}
		for spec, field := range map[string]calendar.Spec{
			"calendar.zone":              {Zone: "Mars/Olympus", Weekdays: []int{1}, Hours: []string{"08:00-12:00"}},
			"calendar.overrides[0].date": {Base: "cn", Overrides: []calendar.OverrideSpec{{Date: "2025-13-01", Kind: calendar.Holiday}}},
		} {
			if _, err := db.PutCalendar(admin, "360730", field); wangge.ErrorFields(err)[spec] == "" {
				t.Errorf("bad spec %+v: %v, want field %s", field, err, spec)
			}
		}
		if _, err := db.PutCalendar(admin, "999999", calendar.Spec{Base: "cn"}); wangge.ErrorFields(err)["unit_code"] == "" {
			t.Errorf("calendar for a unit that does not exist: %v", err)
		}
		local := calendar.Spec{Base: "cn", Overrides: []calendar.OverrideSpec{{Date: "2025-11-04", Kind: calendar.Holiday, Name: "县庆 county day"}}}
		if _, err := db.PutCalendar(admin, "360730", local); err != nil {
			t.Fatal(err)
		}
		f.svc.CalendarsChanged()
		stored, err := db.Calendars(admin)
		if err != nil || len(stored) != 1 || stored[0].Calendar.Overrides[0].Name != "县庆 county day" {
			t.Fatalf("stored calendars = %+v, %v", stored, err)
		}

		now := cst("2025-11-03 09:00")
		c, err := f.svc.Report(as(f.worker), &wangge.Case{Category: "0101", Channel: wangge.ChannelGridWorker, Description: "暴露垃圾",
			Lon: 116.02, Lat: 26.42, ReporterID: &f.worker.ID}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Act(as(f.operator), c.ID, 0, wangge.Step{Action: wangge.ActAccept}, now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		d, err := f.svc.Act(as(f.operator), c.ID, 0, wangge.Step{Action: wangge.ActDispatch}, now.Add(20*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !d.DueAt.Equal(cst("2025-11-05 09:20")) {
			t.Errorf("due %v, want Wednesday 09:20 past the county's holiday", d.DueAt)
		}

		// Without the county's calendar the national one applies again.
		if err := db.DeleteCalendar(admin, "360730"); err != nil {
			t.Fatal(err)
		}
		f.svc.CalendarsChanged()
		cal, err := f.svc.CalendarFor(admin, "360730100001001")
		if err != nil || cal != calendar.China() {
			t.Errorf("after delete: %v, %v", cal, err)
		}
	})
}
