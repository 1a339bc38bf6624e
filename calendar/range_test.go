package calendar_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge/calendar"
)

// TestExtremeInstants makes sure that instants far outside any deadline's
// range, such as an unset time.Time, neither panic nor overflow.
func TestExtremeInstants(t *testing.T) {
	c := calendar.China()
	allWeek := mustNew(t, time.UTC, everyDay, wholeDay, nil)
	var zero time.Time
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, cal := range []*calendar.Calendar{c, allWeek} {
		if e := cal.Elapsed(zero, far); e <= 0 {
			t.Errorf("Elapsed(zero, 9999) = %s, want a saturated positive duration", e)
		}
		if got := cal.Add(zero, time.Hour); got.Year() != 1700 {
			t.Errorf("Add(zero, 1h) = %s, want early 1700", got)
		}
		if got := cal.Add(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 1<<63-1); got.Year() != 2250 {
			t.Errorf("Add(2025, max) = %s, want the 2250 bound", got)
		}
		if got := cal.AddDays(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 1<<62); got.Year() != 2250 {
			t.Errorf("AddDays(2025, 2^62) = %s, want the 2250 bound", got)
		}
		if got := cal.Next(far); got.Year() != 2250 {
			t.Errorf("Next(9999) = %s, want the 2250 bound", got)
		}
		_ = cal.IsWorkday(zero)
		_ = cal.Covers(zero)
	}
	// 200 years of whole days: 73,049 days, well within time.Duration.
	from, to := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, want := allWeek.Elapsed(from, to), to.Sub(from); got != want {
		t.Errorf("Elapsed over 200 years = %s, want %s", got, want)
	}
	if got := allWeek.AddDays(from, 73049); !got.Equal(to) {
		t.Errorf("AddDays(1900, 73049) = %s, want %s", got, to)
	}
}
