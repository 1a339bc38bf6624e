package calendar_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge/calendar"
)

func TestBostonBusinessDays(t *testing.T) {
	c := boston(t)
	tests := []struct {
		name  string
		start string
		days  int
		want  string
	}{
		{"Friday 10:00 + 2 is Tuesday 10:00", "2011-10-14 10:00", 2, "2011-10-18 10:00"},
		{"Thursday + 2 is Monday", "2011-11-03 08:24", 2, "2011-11-07 08:24"},
		// Saturday is outside working time, so the count starts on Monday
		// 00:00 and one whole day ends at Monday 24:00.
		{"Saturday 11:00 + 1 is Tuesday 00:00", "2011-10-15 11:00", 1, "2011-10-18 00:00"},
		{"Monday 00:00 + 1 is Monday 24:00", "2011-10-17 00:00", 1, "2011-10-18 00:00"},
		{"Thursday before Veterans Day + 2 skips Friday", "2011-11-10 10:00", 2, "2011-11-15 10:00"},
		{"Wednesday before Thanksgiving + 1 is Friday", "2011-11-23 09:00", 1, "2011-11-25 09:00"},
		{"Friday before Labor Day + 1 is Tuesday", "2011-09-02 15:00", 1, "2011-09-06 15:00"},
		{"Friday across the end of DST + 2 is Tuesday 10:00 EST", "2011-11-04 10:00", 2, "2011-11-08 10:00"},
		{"Friday across the start of DST + 2 is Tuesday 10:00 EDT", "2011-03-11 10:00", 2, "2011-03-15 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := at(t, c, tt.start)
			got := c.AddDays(start, tt.days)
			wantTime(t, c, got, tt.want)
			// The weekend holds the DST change, outside working time, so
			// real time and clock time agree here.
			if add := c.Add(start, time.Duration(tt.days)*24*time.Hour); !add.Equal(got) {
				t.Errorf("Add(%d × 24h) = %s, AddDays = %s", tt.days, add, got)
			}
			if e := c.Elapsed(start, got); e != time.Duration(tt.days)*24*time.Hour {
				t.Errorf("Elapsed(start, due) = %s, want %d × 24h", e, tt.days)
			}
		})
	}
	t.Run("the DST weekend is an hour longer on the wall but not in working time", func(t *testing.T) {
		from, to := at(t, c, "2011-11-04 10:00"), at(t, c, "2011-11-08 10:00")
		if wall := to.Sub(from); wall != 97*time.Hour {
			t.Fatalf("wall span = %s, want 97h", wall)
		}
	})
}

// TestDSTInsideWorkingTime covers working days that contain a daylight-saving
// change: working time is real time, so such a day is 23 or 25 hours long
// on a whole-day calendar, while AddDays keeps the clock reading.
func TestDSTInsideWorkingTime(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	allWeek := mustNew(t, ny, everyDay, wholeDay, nil)
	office := mustNew(t, ny, everyDay, []calendar.Hours{{Start: hm(8, 30), End: hm(17, 30)}}, nil)
	// Working hours across the repeated and the skipped hour 01:00-02:00.
	night := mustNew(t, ny, everyDay, []calendar.Hours{{Start: hm(1, 0), End: hm(3, 0)}}, nil)

	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(layout, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	elapsed := []struct {
		name     string
		c        *calendar.Calendar
		from, to time.Time
		want     time.Duration
	}{
		{"fall-back Sunday is 25 h", allWeek, at(t, allWeek, "2011-11-06 00:00"), at(t, allWeek, "2011-11-07 00:00"), 25 * time.Hour},
		{"spring-forward Sunday is 23 h", allWeek, at(t, allWeek, "2011-03-13 00:00"), at(t, allWeek, "2011-03-14 00:00"), 23 * time.Hour},
		{"Saturday 10:00 to Monday 10:00 across fall-back is 49 h", allWeek, at(t, allWeek, "2011-11-05 10:00"), at(t, allWeek, "2011-11-07 10:00"), 49 * time.Hour},
		{"office hours miss the 02:00 change", office, at(t, office, "2011-11-06 00:00"), at(t, office, "2011-11-07 00:00"), 9 * time.Hour},
		{"01:00-03:00 on fall-back day holds the repeated hour", night, at(t, night, "2011-11-06 00:00"), at(t, night, "2011-11-07 00:00"), 3 * time.Hour},
		{"01:00-03:00 on spring-forward day loses the skipped hour", night, at(t, night, "2011-03-13 00:00"), at(t, night, "2011-03-14 00:00"), time.Hour},
		// 05:30 UTC is 01:30 EDT, 06:30 UTC is 01:30 EST: an hour apart,
		// both inside 01:00-03:00.
		{"between the two 01:30s", night, utc("2011-11-06 05:30"), utc("2011-11-06 06:30"), time.Hour},
	}
	for _, tt := range elapsed {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Elapsed(tt.from, tt.to); got != tt.want {
				t.Errorf("Elapsed = %s, want %s", got, tt.want)
			}
		})
	}

	deadlines := []struct {
		name string
		c    *calendar.Calendar
		got  time.Time
		want time.Time
	}{
		{"AddDays keeps the clock across fall-back", allWeek, allWeek.AddDays(at(t, allWeek, "2011-11-05 10:00"), 2), at(t, allWeek, "2011-11-07 10:00")},
		{"Add counts the extra hour", allWeek, allWeek.Add(at(t, allWeek, "2011-11-05 10:00"), 48*time.Hour), at(t, allWeek, "2011-11-07 09:00")},
		{"AddDays keeps the clock across spring-forward", allWeek, allWeek.AddDays(at(t, allWeek, "2011-03-12 10:00"), 2), at(t, allWeek, "2011-03-14 10:00")},
		{"Add counts the missing hour", allWeek, allWeek.Add(at(t, allWeek, "2011-03-12 10:00"), 48*time.Hour), at(t, allWeek, "2011-03-14 11:00")},
		{"office day on fall-back Sunday is 9 h", office, office.Add(at(t, office, "2011-11-06 08:30"), 9*time.Hour), at(t, office, "2011-11-06 17:30")},
		{"2 h from 01:00 EDT end at 02:00 EST", night, night.Add(utc("2011-11-06 05:00"), 2*time.Hour), utc("2011-11-06 07:00")},
		{"3 h from 01:00 EDT end at 03:00 EST, the day's close", night, night.Add(utc("2011-11-06 05:00"), 3*time.Hour), utc("2011-11-06 08:00")},
		{"the second 01:30 is working time", night, night.Next(utc("2011-11-06 06:30")), utc("2011-11-06 06:30")},
		{"skipped hour: 1 h from 01:00 EST ends at 03:00 EDT", night, night.Add(utc("2011-03-13 06:00"), time.Hour), utc("2011-03-13 07:00")},
		{"skipped hour: 2 h from 01:00 EST run into Monday", night, night.Add(utc("2011-03-13 06:00"), 2*time.Hour), utc("2011-03-14 06:00")},
	}
	for _, tt := range deadlines {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.got.Equal(tt.want) {
				t.Errorf("got %s, want %s", tt.got, tt.want.In(ny))
			}
		})
	}
}
