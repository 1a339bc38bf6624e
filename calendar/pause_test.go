package calendar_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge/calendar"
)

func TestElapsedExcluding(t *testing.T) {
	c := calendar.China()
	from, to := at(t, c, "2025-03-06 09:00"), at(t, c, "2025-03-10 09:00") // Thursday to Monday
	p := func(a, b string) calendar.Interval {
		return calendar.Interval{Start: at(t, c, a), End: at(t, c, b)}
	}
	tests := []struct {
		name   string
		pauses []calendar.Interval
		want   time.Duration
	}{
		// Thu 09:00-12:00, 14:00-17:30; Fri 7 h; Mon 08:30-09:00.
		{"no pause", nil, 3*time.Hour + 3*time.Hour + 30*time.Minute + 7*time.Hour + 30*time.Minute},
		{"suspended from Friday 10:00", []calendar.Interval{p("2025-03-07 10:00", "2025-03-10 09:00")}, 6*time.Hour + 30*time.Minute + 90*time.Minute},
		{"a pause over the weekend costs nothing", []calendar.Interval{p("2025-03-07 17:30", "2025-03-10 08:30")}, 14 * time.Hour},
		{"overlapping pauses count once", []calendar.Interval{
			p("2025-03-07 10:00", "2025-03-07 16:00"),
			p("2025-03-07 09:00", "2025-03-07 11:00"),
			p("2025-03-07 15:00", "2025-03-07 17:00"),
		}, 14*time.Hour - (7*time.Hour - 30*time.Minute - 30*time.Minute)},
		{"touching pauses", []calendar.Interval{p("2025-03-07 08:30", "2025-03-07 12:00"), p("2025-03-07 12:00", "2025-03-07 17:30")}, 7 * time.Hour},
		{"pause starting before the span", []calendar.Interval{p("2025-03-01 00:00", "2025-03-06 10:00")}, 13 * time.Hour},
		{"pause over everything", []calendar.Interval{p("2025-03-01 00:00", "2025-03-31 00:00")}, 0},
		{"reversed pause ignored", []calendar.Interval{p("2025-03-07 17:00", "2025-03-07 09:00")}, 14 * time.Hour},
		{"pause outside the span ignored", []calendar.Interval{p("2025-03-11 09:00", "2025-03-12 09:00")}, 14 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.ElapsedExcluding(from, to, tt.pauses); got != tt.want {
				t.Errorf("ElapsedExcluding = %s, want %s", got, tt.want)
			}
		})
	}
}
