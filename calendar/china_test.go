package calendar_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge/calendar"
)

func TestChinaSchedule(t *testing.T) {
	c := calendar.China()
	tests := []struct {
		name string
		day  string
		work bool
	}{
		{"2025-01-26 Sunday worked before Spring Festival", "2025-01-26", true},
		{"2025-01-27 Monday before Spring Festival", "2025-01-27", true},
		{"2025-01-28 Spring Festival eve off", "2025-01-28", false},
		{"2025-01-29 Spring Festival off", "2025-01-29", false},
		{"2025-02-01 Saturday inside Spring Festival off", "2025-02-01", false},
		{"2025-02-03 Monday inside Spring Festival off", "2025-02-03", false},
		{"2025-02-04 last day of Spring Festival off", "2025-02-04", false},
		{"2025-02-05 back to work", "2025-02-05", true},
		{"2025-02-08 Saturday worked after Spring Festival", "2025-02-08", true},
		{"2025-09-28 Sunday worked before National Day", "2025-09-28", true},
		{"2025-09-30 Tuesday before National Day", "2025-09-30", true},
		{"2025-10-01 National Day off", "2025-10-01", false},
		{"2025-10-06 Mid-Autumn off", "2025-10-06", false},
		{"2025-10-08 last day of National Day off", "2025-10-08", false},
		{"2025-10-09 back to work", "2025-10-09", true},
		{"2025-10-11 Saturday worked after National Day", "2025-10-11", true},
		{"2026-01-04 Sunday worked after New Year", "2026-01-04", true},
		{"2026-02-14 Saturday worked before Spring Festival", "2026-02-14", true},
		{"2026-02-15 Spring Festival off", "2026-02-15", false},
		{"2026-02-17 Spring Festival day off", "2026-02-17", false},
		{"2026-02-23 Monday last day of Spring Festival off", "2026-02-23", false},
		{"2026-02-24 back to work", "2026-02-24", true},
		{"2026-02-28 Saturday worked after Spring Festival", "2026-02-28", true},
		{"2026-09-25 Friday Mid-Autumn off", "2026-09-25", false},
		{"ordinary Saturday off", "2025-03-08", false},
		{"ordinary Sunday off", "2025-03-09", false},
		{"ordinary Monday worked", "2025-03-10", true},
		{"2027 follows the weekly rule: Friday 2027-10-01 worked", "2027-10-01", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Noon, and 23:59 to make sure the local date is what counts.
			for _, clock := range []string{"12:00", "23:59", "00:00"} {
				if got := c.IsWorkday(at(t, c, tt.day+" "+clock)); got != tt.work {
					t.Errorf("IsWorkday(%s %s) = %v, want %v", tt.day, clock, got, tt.work)
				}
			}
		})
	}
}

func TestChinaIsWorkdayUsesLocalDate(t *testing.T) {
	c := calendar.China()
	// 2025-01-25 17:30 UTC is Sunday 2025-01-26 01:30 in Beijing, a 调休
	// working day, although it is still Saturday in UTC.
	u := time.Date(2025, 1, 25, 17, 30, 0, 0, time.UTC)
	if !c.IsWorkday(u) {
		t.Errorf("IsWorkday(%s) = false, want true (Sunday 2025-01-26 in Beijing)", u)
	}
	if c.DayLength() != 7*time.Hour {
		t.Errorf("DayLength = %s, want 7h", c.DayLength())
	}
}

func TestChinaDeadlines(t *testing.T) {
	c := calendar.China()
	tests := []struct {
		name  string
		start string
		days  int           // if set, AddDays(start, days)
		d     time.Duration // else Add(start, d)
		want  string
	}{
		// Thu 16:00-17:30 1.5 h, Fri 7 h, Sat off, Sun 09-28 worked 7 h,
		// Mon 08:30-12:00 3.5 h and 14:00-16:00 2 h: 21 h = 3 days.
		{"3 days from Thursday before National Day, Sunday 09-28 worked", "2025-09-25 16:00", 3, 0, "2025-09-29 16:00"},
		{"the same as 21 working hours", "2025-09-25 16:00", 0, 21 * time.Hour, "2025-09-29 16:00"},
		// Fri 26, Sun 28, Mon 29, Tue 30, Thu 10-09, Fri 10, Sat 11 worked,
		// Mon 13, Tue 14, Wed 15.
		{"10 days across National Day", "2025-09-25 16:00", 10, 0, "2025-10-15 16:00"},
		{"report at 20:00 counts from 08:30 next day", "2025-03-04 20:00", 0, 2 * time.Hour, "2025-03-05 10:30"},
		{"report before opening counts from 08:30", "2025-03-04 06:15", 0, 2 * time.Hour, "2025-03-04 10:30"},
		{"report in the lunch break counts from 14:00", "2025-03-04 12:30", 0, time.Hour, "2025-03-04 15:00"},
		{"2 hours from Friday 16:30 end Monday 09:30", "2025-03-07 16:30", 0, 2 * time.Hour, "2025-03-10 09:30"},
		{"1 day from Monday 08:30 is Monday 17:30, not Tuesday 08:30", "2025-03-03 08:30", 1, 0, "2025-03-03 17:30"},
		{"the morning from 08:30 ends 12:00, not 14:00", "2025-03-03 08:30", 0, 3*time.Hour + 30*time.Minute, "2025-03-03 12:00"},
		{"1 day from Saturday is the close of Monday", "2025-03-08 11:00", 1, 0, "2025-03-10 17:30"},
		{"1 day from the lunch break is Tuesday 12:00", "2025-03-03 13:00", 1, 0, "2025-03-04 12:00"},
		{"1 day from after hours is the next day's close", "2025-03-03 18:00", 1, 0, "2025-03-04 17:30"},
		{"1 day before Spring Festival lands after it", "2025-01-27 10:00", 1, 0, "2025-02-05 10:00"},
		{"2026 Spring Festival: Friday 02-13 to Saturday 02-14 worked", "2026-02-13 10:00", 1, 0, "2026-02-14 10:00"},
		{"2026 Spring Festival: 2 days from Friday 02-13 end 02-24", "2026-02-13 10:00", 2, 0, "2026-02-24 10:00"},
		{"zero duration returns the start, even off hours", "2025-03-08 11:00", 0, 0, "2025-03-08 11:00"},
		{"negative duration returns the start", "2025-03-04 10:00", 0, -time.Hour, "2025-03-04 10:00"},
		{"across the year into 2026 New Year", "2025-12-31 09:00", 2, 0, "2026-01-05 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := at(t, c, tt.start)
			var got time.Time
			if tt.days != 0 {
				got = c.AddDays(start, tt.days)
				if add := c.Add(start, time.Duration(tt.days)*c.DayLength()); !add.Equal(got) {
					t.Errorf("AddDays = %s but Add(days × DayLength) = %s: China has no daylight saving, they must agree", got, add)
				}
			} else {
				got = c.Add(start, tt.d)
			}
			wantTime(t, c, got, tt.want)
		})
	}
}

func TestChinaElapsed(t *testing.T) {
	c := calendar.China()
	tests := []struct {
		name     string
		from, to string
		want     time.Duration
	}{
		{"the worked example", "2025-09-25 16:00", "2025-09-29 16:00", 21 * time.Hour},
		{"the whole National Day holiday", "2025-09-30 17:30", "2025-10-09 08:30", 0},
		{"one ordinary week", "2025-03-03 00:00", "2025-03-10 00:00", 35 * time.Hour},
		{"a lunch break", "2025-03-03 12:00", "2025-03-03 14:00", 0},
		{"across lunch", "2025-03-03 11:00", "2025-03-03 15:00", 2 * time.Hour},
		{"a night", "2025-03-03 17:30", "2025-03-04 08:30", 0},
		{"reversed is zero", "2025-03-04 10:00", "2025-03-03 10:00", 0},
		{"the year 2025: 248 working days", "2025-01-01 00:00", "2026-01-01 00:00", 248 * 7 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Elapsed(at(t, c, tt.from), at(t, c, tt.to)); got != tt.want {
				t.Errorf("Elapsed(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestNextBoundaries(t *testing.T) {
	c := calendar.China()
	tests := []struct {
		name, t, want string
	}{
		{"interval start is inside", "2025-03-03 08:30", "2025-03-03 08:30"},
		{"inside the morning", "2025-03-03 10:00", "2025-03-03 10:00"},
		{"interval end is outside", "2025-03-03 12:00", "2025-03-03 14:00"},
		{"close of business is outside", "2025-03-03 17:30", "2025-03-04 08:30"},
		{"Friday evening goes to Monday", "2025-03-07 18:00", "2025-03-10 08:30"},
		{"Saturday before a 调休 Sunday", "2025-09-27 10:00", "2025-09-28 08:30"},
		{"National Day goes to 10-09", "2025-10-01 10:00", "2025-10-09 08:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantTime(t, c, c.Next(at(t, c, tt.t)), tt.want)
		})
	}
	t.Run("any input location", func(t *testing.T) {
		// 2025-03-03 02:00 UTC is 10:00 in Beijing.
		got := c.Next(time.Date(2025, 3, 3, 2, 0, 0, 0, time.UTC))
		wantTime(t, c, got, "2025-03-03 10:00")
	})
	t.Run("one nanosecond before the end is inside", func(t *testing.T) {
		x := at(t, c, "2025-03-03 12:00").Add(-time.Nanosecond)
		if got := c.Next(x); !got.Equal(x) {
			t.Errorf("Next(11:59:59.999999999) = %s", got)
		}
		if got := c.Elapsed(x, x.Add(time.Nanosecond)); got != time.Nanosecond {
			t.Errorf("Elapsed of the last nanosecond = %s, want 1ns", got)
		}
	})
}

func TestCovers(t *testing.T) {
	c := calendar.China()
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"2025", at(t, c, "2025-06-01 10:00"), true},
		{"2026", at(t, c, "2026-12-31 23:59"), true},
		{"2027 not yet announced", at(t, c, "2027-01-04 10:00"), false},
		{"2024 not loaded", at(t, c, "2024-10-01 10:00"), false},
		{"the year is Beijing's: 2026-12-31 16:30 UTC is 2027 there", time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Covers(tt.t); got != tt.want {
				t.Errorf("Covers(%s) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
	t.Run("adding 2027 covers it", func(t *testing.T) {
		c27 := c.WithOverrides([]calendar.Override{{Date: date(t, "2027-01-01"), Kind: calendar.Holiday, Name: "元旦 New Year"}})
		if !c27.Covers(at(t, c, "2027-06-01 10:00")) {
			t.Error("Covers(2027) = false after adding a 2027 override")
		}
		if c.Covers(at(t, c, "2027-06-01 10:00")) {
			t.Error("WithOverrides changed the base calendar")
		}
	})
}

func TestWithOverrides(t *testing.T) {
	base := calendar.China()
	county := base.WithOverrides([]calendar.Override{
		{Date: date(t, "2025-03-04"), Kind: calendar.Holiday, Name: "county flood day"},
		{Date: date(t, "2025-10-08"), Kind: calendar.Workday, Name: "county works the last holiday"},
		{Date: date(t, "2025-03-05"), Kind: calendar.Holiday, Name: "first entry"},
		{Date: date(t, "2025-03-05"), Kind: calendar.Workday, Name: "later entry wins"},
		{Date: date(t, "2025-03-06"), Kind: "bogus", Name: "ignored"},
	})
	tests := []struct {
		name      string
		day       string
		base, got bool
	}{
		{"county holiday on a Tuesday", "2025-03-04", true, false},
		{"county works a national holiday", "2025-10-08", false, true},
		{"later entry wins", "2025-03-05", true, true},
		{"invalid kind ignored", "2025-03-06", true, true},
		{"national schedule kept", "2025-10-07", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := at(t, base, tt.day+" 10:00")
			if got := base.IsWorkday(x); got != tt.base {
				t.Errorf("base IsWorkday = %v, want %v", got, tt.base)
			}
			if got := county.IsWorkday(x); got != tt.got {
				t.Errorf("county IsWorkday = %v, want %v", got, tt.got)
			}
		})
	}
	t.Run("deadlines follow the county", func(t *testing.T) {
		// Monday 03-03 10:00 + 1 day skips the county's Tuesday.
		wantTime(t, county, county.AddDays(at(t, base, "2025-03-03 10:00"), 1), "2025-03-05 10:00")
	})
	if n, m := len(base.Overrides()), len(county.Overrides()); m != n+2 {
		t.Errorf("county has %d overrides, want base %d + 2 (10-08 replaces the national entry)", m, n)
	}
}

func TestAddDaysFromOutsideWorkingTime(t *testing.T) {
	c := calendar.China()
	tests := []struct {
		name, start string
		days        int
		want        string
	}{
		{"before opening counts the day itself", "2025-03-03 07:00", 1, "2025-03-03 17:30"},
		{"before opening, 2 days", "2025-03-03 07:00", 2, "2025-03-04 17:30"},
		{"from Saturday", "2025-03-08 07:00", 1, "2025-03-10 17:30"},
		{"lunch break stands for 12:00", "2025-03-03 12:45", 2, "2025-03-05 12:00"},
		{"after close stands for the close", "2025-03-03 19:00", 1, "2025-03-04 17:30"},
		{"zero days returns the start", "2025-03-08 07:00", 0, "2025-03-08 07:00"},
		{"negative days return the start", "2025-03-03 10:00", -2, "2025-03-03 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantTime(t, c, c.AddDays(at(t, c, tt.start), tt.days), tt.want)
		})
	}
}
