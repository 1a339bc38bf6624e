package calendar_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/wangge/wangge/calendar"
)

// bostonClock is the measured clock of Boston's 311 requests: whole Monday-Friday
// days, weekend requests keep their clock reading, requests from 17:00 count
// from 08:30 of the next working day.
func bostonClock(t *testing.T) *calendar.Calendar {
	t.Helper()
	c, err := calendar.New(mustLoad(t, "America/New_York"), monFri, wholeDay, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err = c.WithStart(calendar.StartRule{KeepClock: true, Cutoff: hm(17, 0), Morning: hm(8, 30)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStart(t *testing.T) {
	b := bostonClock(t)
	cutOnly, err := calendar.China().WithStart(calendar.StartRule{Cutoff: hm(17, 0), Morning: hm(8, 30)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cal      *calendar.Calendar
		at, want string
	}{
		{"zero rule: the request itself", calendar.China(), "2026-10-01 22:00", "2026-10-01 22:00"},
		{"working day before the cut-off", b, "2011-11-02 10:15", "2011-11-02 10:15"},
		{"before the morning keeps its reading", b, "2011-11-02 06:00", "2011-11-02 06:00"},
		{"at the cut-off: next morning", b, "2011-11-02 17:00", "2011-11-03 08:30"},
		{"Friday evening: Monday morning", b, "2011-11-04 18:30", "2011-11-07 08:30"},
		{"Saturday keeps its clock reading", b, "2011-11-05 10:00", "2011-11-07 10:00"},
		{"Sunday evening: to Monday, then past the cut-off", b, "2011-11-06 19:00", "2011-11-08 08:30"},
		{"cut-off without keep-clock, on a day off: unchanged", cutOnly, "2026-10-03 19:00", "2026-10-03 19:00"},
		{"cut-off on a working day before the National Day holiday", cutOnly, "2026-09-30 17:45", "2026-10-08 08:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Start(at(t, tt.cal, tt.at))
			if want := at(t, tt.cal, tt.want); !got.Equal(want) {
				t.Errorf("Start(%s) = %s, want %s", tt.at, got.Format(layout), tt.want)
			}
		})
	}
}

// TestStartThenAdd is the city's deadline: N working days from Start keep
// the clock reading, and Add on the whole-day calendar agrees with AddDays.
func TestStartThenAdd(t *testing.T) {
	b := bostonClock(t)
	for _, tt := range []struct {
		open string
		days int
		want string
	}{
		{"2011-11-02 10:15", 2, "2011-11-04 10:15"},
		{"2011-11-04 18:30", 1, "2011-11-08 08:30"},
		{"2011-11-05 10:00", 5, "2011-11-14 10:00"},
		{"2011-11-10 09:00", 1, "2011-11-11 09:00"}, // Veterans Day was worked
	} {
		start := b.Start(at(t, b, tt.open))
		byAdd := b.Add(start, time.Duration(tt.days)*b.DayLength())
		byDays := b.AddDays(start, tt.days)
		want := at(t, b, tt.want)
		if !byAdd.Equal(want) || !byDays.Equal(want) {
			t.Errorf("%s + %d days: Add %s, AddDays %s, want %s", tt.open, tt.days, byAdd.Format(layout), byDays.Format(layout), tt.want)
		}
	}
}

func TestWithStartRejects(t *testing.T) {
	for _, r := range []calendar.StartRule{
		{Cutoff: -time.Hour},
		{Cutoff: 24 * time.Hour},
		{Cutoff: hm(17, 0), Morning: 25 * time.Hour},
		{Morning: hm(8, 30)},
	} {
		if _, err := calendar.China().WithStart(r); err == nil {
			t.Errorf("WithStart(%+v) accepted", r)
		}
	}
}

func TestNatural(t *testing.T) {
	c := calendar.China()
	n := c.Natural()
	if n != c.Natural() || n.DayLength() != 24*time.Hour || n.Location() != c.Location() {
		t.Fatalf("Natural: day %s, location %s, shared %v", n.DayLength(), n.Location(), n == c.Natural())
	}
	// National Day counts as any day: 3 natural days from 30 September 10:00.
	from := at(t, n, "2026-09-30 10:00")
	if got, want := n.AddDays(from, 3), at(t, n, "2026-10-03 10:00"); !got.Equal(want) {
		t.Errorf("3 natural days from %s = %s, want %s", from.Format(layout), got.Format(layout), want.Format(layout))
	}
	if got := n.Elapsed(from, from.Add(50*time.Hour)); got != 50*time.Hour {
		t.Errorf("Elapsed over 50 h = %s", got)
	}
}

func TestSpecBuild(t *testing.T) {
	var s calendar.Spec
	if err := json.Unmarshal([]byte(`{"zone":"America/New_York","weekdays":[1,2,3,4,5],"hours":["00:00-24:00"],
		"start":{"keep_clock":true,"cutoff":"17:00","morning":"08:30"}}`), &s); err != nil {
		t.Fatal(err)
	}
	c, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Start(at(t, c, "2011-11-05 10:00")), at(t, c, "2011-11-07 10:00"); !got.Equal(want) {
		t.Errorf("built Boston calendar: Start = %s", got.Format(layout))
	}
	local, err := calendar.Spec{Base: "cn", Overrides: []calendar.OverrideSpec{{Date: "2026-11-24", Kind: calendar.Holiday, Name: "县庆"}}}.Build()
	if err != nil {
		t.Fatal(err)
	}
	if day := at(t, local, "2026-11-24 10:00"); local.IsWorkday(day) || !calendar.China().IsWorkday(day) {
		t.Error("the county's own holiday is not applied on top of the national schedule")
	}
	if local.DayLength() != calendar.China().DayLength() {
		t.Error("base cn lost China's working hours")
	}

	bad := []struct {
		spec  string
		field string
	}{
		{`{}`, "zone"},
		{`{"base":"us"}`, "base"},
		{`{"base":"cn","zone":"UTC"}`, "base"},
		{`{"zone":"Mars/Olympus","weekdays":[1],"hours":["08:00-12:00"]}`, "zone"},
		{`{"zone":"UTC","hours":["08:00-12:00"]}`, "weekdays"},
		{`{"zone":"UTC","weekdays":[7],"hours":["08:00-12:00"]}`, "weekdays[0]"},
		{`{"zone":"UTC","weekdays":[1]}`, "hours"},
		{`{"zone":"UTC","weekdays":[1],"hours":["8-12"]}`, "hours[0]"},
		{`{"zone":"UTC","weekdays":[1],"hours":["12:00-08:00"]}`, "hours"},
		{`{"base":"cn","overrides":[{"date":"2026-02-30","kind":"holiday"}]}`, "overrides[0].date"},
		{`{"base":"cn","overrides":[{"date":"2026-02-03","kind":"day off"}]}`, "overrides[0].kind"},
		{`{"base":"cn","overrides":[{"date":"2026-02-03","kind":"holiday"},{"date":"2026-02-03","kind":"workday"}]}`, "overrides[1].date"},
		{`{"base":"cn","start":{"cutoff":"5pm"}}`, "start.cutoff"},
		{`{"base":"cn","start":{"morning":"08:30"}}`, "start"},
	}
	for _, tt := range bad {
		var s calendar.Spec
		if err := json.Unmarshal([]byte(tt.spec), &s); err != nil {
			t.Fatalf("%s: %v", tt.spec, err)
		}
		_, err := s.Build()
		var se *calendar.SpecError
		if !errors.As(err, &se) || se.Field != tt.field {
			t.Errorf("Build(%s) = %v, want an error in %s", tt.spec, err, tt.field)
		}
	}
}
