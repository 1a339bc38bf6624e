package calendar_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge/calendar"
)

// The benchmarks count 30 working days from Thursday 2025-09-25 16:00 in
// Beijing, across the National Day holiday and its two swapped working days:
// ten overrides on the way.

var sink time.Time

func BenchmarkAddDays30(b *testing.B) {
	c := calendar.China()
	start := time.Date(2025, 9, 25, 8, 0, 0, 0, time.UTC)
	for b.Loop() {
		sink = c.AddDays(start, 30)
	}
}

func BenchmarkAdd30(b *testing.B) {
	c := calendar.China()
	start := time.Date(2025, 9, 25, 8, 0, 0, 0, time.UTC)
	d := 30 * c.DayLength()
	for b.Loop() {
		sink = c.Add(start, d)
	}
}

func BenchmarkElapsed30(b *testing.B) {
	c := calendar.China()
	start := time.Date(2025, 9, 25, 8, 0, 0, 0, time.UTC)
	end := c.AddDays(start, 30)
	var e time.Duration
	for b.Loop() {
		e = c.Elapsed(start, end)
	}
	if e != 30*c.DayLength() {
		b.Fatalf("Elapsed = %s", e)
	}
}

// BenchmarkAddBostonDST crosses the end of daylight saving, so Add works
// through two zone periods.
func BenchmarkAddBostonDST(b *testing.B) {
	c := boston(b)
	start := time.Date(2011, 10, 20, 14, 0, 0, 0, time.UTC)
	for b.Loop() {
		sink = c.Add(start, 30*24*time.Hour)
	}
}
