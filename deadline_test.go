package wangge_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
)

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, wangge.ChinaTime)
	if err != nil {
		panic(err)
	}
	return t
}

var rubbish = &wangge.Category{Code: "0101", Kind: wangge.KindEvent, Limits: wangge.Limits{
	Accept: wangge.Limit{Value: 1, Unit: "hours"}, Dispatch: wangge.Limit{Value: 2, Unit: "hours"},
	Handle: wangge.Limit{Value: 3, Unit: "days"}, Verify: wangge.Limit{Value: 1, Unit: "days"}}}

func TestRetimeAcrossNationalDayWeekend(t *testing.T) {
	cal := calendar.China() // 08:30-12:00 and 14:00-17:30: a working day is 7 h
	prev := wangge.Case{Status: wangge.StatusAccepted, Level: wangge.LevelGrid}
	now := cst("2025-09-25 16:00") // a Thursday; Sunday 09-28 is a swapped working day
	next, err := wangge.Apply(prev, wangge.Step{Action: wangge.ActDispatch, Actor: operator, Department: &deptID})
	if err != nil {
		t.Fatal(err)
	}
	wangge.Retime(prev, &next, wangge.ActDispatch, 0, rubbish, cal, now)
	if next.StepLimit != 21*time.Hour || !next.DueAt.Equal(cst("2025-09-29 16:00")) || next.Light != "green" {
		t.Fatalf("dispatched: limit %v due %v light %s", next.StepLimit, next.DueAt, next.Light)
	}
	// 80 % of 21 h is 16 h 48 m: Thu 1.5 + Fri 7 + Sun 7 = 15.5 h, then 1 h 18 m on Monday.
	if !next.NextCheckAt.Equal(cst("2025-09-29 09:48")) {
		t.Errorf("turns yellow at %v", next.NextCheckAt)
	}

	// Starting work keeps the handling clock.
	started, _ := wangge.Apply(next, wangge.Step{Action: wangge.ActStart, Actor: dept})
	wangge.Retime(next, &started, wangge.ActStart, 0, rubbish, cal, cst("2025-09-26 09:00"))
	if !started.DueAt.Equal(*next.DueAt) {
		t.Errorf("start moved the deadline to %v", started.DueAt)
	}

	// The scheduler's look at 09:48 on Monday finds it yellow, due at 16:00.
	wangge.Tick(&started, rubbish, cal, cst("2025-09-29 09:48"))
	if started.Light != "yellow" || !started.NextCheckAt.Equal(cst("2025-09-29 16:00")) {
		t.Errorf("at 80 %%: %s, next look %v", started.Light, started.NextCheckAt)
	}
	wangge.Tick(&started, rubbish, cal, cst("2025-09-29 16:00"))
	if started.Light != "red" || started.NextCheckAt != nil {
		t.Errorf("at the deadline: %s, next look %v", started.Light, started.NextCheckAt)
	}
}

func TestRetimeSuspendResumeExtend(t *testing.T) {
	cal := calendar.China()
	c := wangge.Case{Status: wangge.StatusInProgress, StepStartedAt: cst("2025-11-03 08:30"), StepLimit: 21 * time.Hour}
	wangge.Tick(&c, rubbish, cal, cst("2025-11-03 08:30"))
	if !c.DueAt.Equal(cst("2025-11-05 17:30")) {
		t.Fatalf("due %v", c.DueAt)
	}
	// Suspended Monday at 12:00 (3.5 h used), resumed Thursday 08:30: the
	// clock stood still, so 17.5 h remain and the case is due Friday 17:30
	// plus 3.5 h, i.e. next Monday 12:00.
	s, _ := wangge.Apply(c, wangge.Step{Action: wangge.ActSuspend, Actor: operator, Note: "等待鉴定"})
	wangge.Retime(c, &s, wangge.ActSuspend, 0, rubbish, cal, cst("2025-11-03 12:00"))
	if s.StepUsed != 210*time.Minute || s.NextCheckAt != nil {
		t.Fatalf("suspended: used %v, next look %v", s.StepUsed, s.NextCheckAt)
	}
	r, _ := wangge.Apply(s, wangge.Step{Action: wangge.ActResume, Actor: operator})
	wangge.Retime(s, &r, wangge.ActResume, 0, rubbish, cal, cst("2025-11-06 08:30"))
	if r.Status != wangge.StatusInProgress || !r.DueAt.Equal(cst("2025-11-10 12:00")) {
		t.Fatalf("resumed: %s due %v", r.Status, r.DueAt)
	}
	// An approved extension of one working day moves it to Tuesday 12:00.
	r.ExtensionPending = true
	x, err := wangge.Apply(r, wangge.Step{Action: wangge.ActApproveExtension, Actor: operator, Extension: 7 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	wangge.Retime(r, &x, wangge.ActApproveExtension, 7*time.Hour, rubbish, cal, cst("2025-11-06 09:00"))
	if !x.DueAt.Equal(cst("2025-11-11 12:00")) {
		t.Errorf("extended: due %v", x.DueAt)
	}
}

func TestRetimeNewStepsAndClosing(t *testing.T) {
	cal := calendar.China()
	now := cst("2025-11-03 09:00")
	c := wangge.Case{Status: wangge.StatusReported, Level: wangge.LevelGrid, ReporterID: &reporter.ID}
	steps := []struct {
		step  wangge.Step
		limit time.Duration
	}{
		{wangge.Step{Action: wangge.ActAccept, Actor: operator}, 2 * time.Hour},
		{wangge.Step{Action: wangge.ActDispatch, Actor: operator, Department: &deptID}, 21 * time.Hour},
		{wangge.Step{Action: wangge.ActStart, Actor: dept}, 21 * time.Hour},
		{wangge.Step{Action: wangge.ActFinish, Actor: dept}, 7 * time.Hour},
		{wangge.Step{Action: wangge.ActVerifyOK, Actor: worker}, 0},
		{wangge.Step{Action: wangge.ActClose, Actor: operator}, 0},
	}
	for _, s := range steps {
		next, err := wangge.Apply(c, s.step)
		if err != nil {
			t.Fatal(err)
		}
		wangge.Retime(c, &next, s.step.Action, 0, rubbish, cal, now)
		if next.StepLimit != s.limit && next.Status.Open() {
			t.Errorf("after %s: limit %v, want %v", s.step.Action, next.StepLimit, s.limit)
		}
		c = next
		now = now.Add(time.Hour)
	}
	if c.ClosedAt == nil || c.DueAt != nil || c.NextCheckAt != nil || c.Light != "" {
		t.Errorf("closed case keeps a clock: %+v", c)
	}
	// Urgent cases get half the time.
	if got := wangge.StepLimit(wangge.StatusDispatched, rubbish, calendar.China(), true); got != 21*time.Hour/2 {
		t.Errorf("urgent handle limit %v", got)
	}
}

// TestNaturalLimits: a limit in natural days runs on elapsed time, across
// the National Day holiday, while a working-day limit stops for it.
func TestNaturalLimits(t *testing.T) {
	cal := calendar.China()
	petition := &wangge.Category{Code: "0901", Kind: wangge.KindDispute, Limits: wangge.Limits{
		Accept: wangge.Limit{Value: 1, Unit: wangge.LimitDays}, Dispatch: wangge.Limit{Value: 1, Unit: wangge.LimitDays},
		Handle: wangge.Limit{Value: 10, Unit: wangge.LimitNaturalDays}, Verify: wangge.Limit{Value: 36, Unit: wangge.LimitNaturalHours}}}
	prev := wangge.Case{Status: wangge.StatusAccepted, Level: wangge.LevelGrid}
	next, err := wangge.Apply(prev, wangge.Step{Action: wangge.ActDispatch, Actor: operator, Department: &deptID})
	if err != nil {
		t.Fatal(err)
	}
	now := cst("2026-09-30 10:00")
	wangge.Retime(prev, &next, wangge.ActDispatch, 0, petition, cal, now)
	if next.StepLimit != 240*time.Hour || !next.DueAt.Equal(cst("2026-10-10 10:00")) {
		t.Fatalf("10 natural days from %v: limit %v, due %v", now, next.StepLimit, next.DueAt)
	}
	if !next.NextCheckAt.Equal(cst("2026-10-08 10:00")) {
		t.Errorf("yellow at %v, want 8 natural days on", next.NextCheckAt)
	}
	// Suspension banks elapsed, not working, time: two days of holiday.
	s, _ := wangge.Apply(next, wangge.Step{Action: wangge.ActSuspend, Actor: operator})
	wangge.Retime(next, &s, wangge.ActSuspend, 0, petition, cal, cst("2026-10-02 10:00"))
	if s.StepUsed != 48*time.Hour {
		t.Errorf("suspended after two natural days: used %v", s.StepUsed)
	}
	working := mustApply(t, next, wangge.Step{Action: wangge.ActStart, Actor: dept})
	fin := mustApply(t, working, wangge.Step{Action: wangge.ActFinish, Actor: dept})
	wangge.Retime(working, &fin, wangge.ActFinish, 0, petition, cal, cst("2026-10-03 22:00"))
	if fin.StepLimit != 36*time.Hour || !fin.DueAt.Equal(cst("2026-10-05 10:00")) {
		t.Errorf("verify in 36 elapsed hours from Saturday 22:00: limit %v due %v", fin.StepLimit, fin.DueAt)
	}
}

// TestStartRuleAndLateSteps: a new step counts from the calendar's start
// rule, and a step finished after its deadline marks the case overdue even
// when the scheduler never looked.
func TestStartRuleAndLateSteps(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	cal, err := calendar.Spec{Zone: ny.String(), Weekdays: []int{1, 2, 3, 4, 5}, Hours: []string{"00:00-24:00"},
		Start: &calendar.StartSpec{KeepClock: true, Cutoff: "17:00", Morning: "08:30"}}.Build()
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cat := &wangge.Category{Code: "0101", Limits: wangge.Limits{
		Accept: wangge.Limit{Value: 1, Unit: wangge.LimitHours}, Dispatch: wangge.Limit{Value: 1, Unit: wangge.LimitHours},
		Handle: wangge.Limit{Value: 2, Unit: wangge.LimitDays}, Verify: wangge.Limit{Value: 1, Unit: wangge.LimitHours}}}
	prev := wangge.Case{Status: wangge.StatusAccepted, Level: wangge.LevelGrid}
	next, _ := wangge.Apply(prev, wangge.Step{Action: wangge.ActDispatch, Actor: operator, Department: &deptID})
	wangge.Retime(prev, &next, wangge.ActDispatch, 0, cat, cal, at("2011-11-05 10:00")) // a Saturday
	if !next.StepStartedAt.Equal(at("2011-11-07 10:00")) || !next.DueAt.Equal(at("2011-11-09 10:00")) {
		t.Fatalf("Saturday 10:00 + 2 days: started %v, due %v", next.StepStartedAt, next.DueAt)
	}
	if next.Light != "green" {
		t.Errorf("before its clock starts the case is %q", next.Light)
	}
	next = mustApply(t, next, wangge.Step{Action: wangge.ActStart, Actor: dept})
	onTime := mustApply(t, next, wangge.Step{Action: wangge.ActFinish, Actor: dept})
	wangge.Retime(next, &onTime, wangge.ActFinish, 0, cat, cal, at("2011-11-09 10:00"))
	late := mustApply(t, next, wangge.Step{Action: wangge.ActFinish, Actor: dept})
	wangge.Retime(next, &late, wangge.ActFinish, 0, cat, cal, at("2011-11-09 10:01"))
	if onTime.Overdue || !late.Overdue {
		t.Errorf("finished at the deadline: overdue %v; a minute later: overdue %v", onTime.Overdue, late.Overdue)
	}
}

// TestDaysKeepTheClockReading: "120 days from 5 November 2011 13:31" ends at
// 13:31 in New York, across the end of daylight saving, though 120 × 24
// hours of real time end at 12:31.
func TestDaysKeepTheClockReading(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	cal, err := calendar.Spec{Zone: ny.String(), Weekdays: []int{1, 2, 3, 4, 5}, Hours: []string{"00:00-24:00"}}.Build()
	if err != nil {
		t.Fatal(err)
	}
	cat := &wangge.Category{Limits: wangge.Limits{Handle: wangge.Limit{Value: 120, Unit: wangge.LimitNaturalDays}}}
	prev := wangge.Case{Status: wangge.StatusAccepted}
	next := mustApply(t, prev, wangge.Step{Action: wangge.ActDispatch, Actor: operator, Department: &deptID})
	open := time.Date(2011, 11, 5, 13, 31, 0, 0, ny)
	wangge.Retime(prev, &next, wangge.ActDispatch, 0, cat, cal, open)
	if want := time.Date(2012, 3, 4, 13, 31, 0, 0, ny); !next.DueAt.Equal(want) {
		t.Errorf("120 natural days from %v: due %v, want %v", open, next.DueAt.In(ny), want)
	}
}
