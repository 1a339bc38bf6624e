package calendar_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wangge/wangge/calendar"
)

// propertyCalendars are calendars unlike each other: China, Boston's whole
// business days, and an odd one in New York whose hours touch the DST
// changes, worked on three weekdays with random overrides.
func propertyCalendars(t *testing.T, rng *rand.Rand) map[string]*calendar.Calendar {
	t.Helper()
	ny := mustLoad(t, "America/New_York")
	var ov []calendar.Override
	seen := map[calendar.Date]bool{}
	for range 300 {
		d := calendar.DateOf(time.Date(2009, 1, 1+rng.IntN(8*365), 0, 0, 0, 0, time.UTC))
		if seen[d] {
			continue
		}
		seen[d] = true
		kind := calendar.Holiday
		if rng.IntN(2) == 0 {
			kind = calendar.Workday
		}
		ov = append(ov, calendar.Override{Date: d, Kind: kind})
	}
	odd := mustNew(t, ny,
		[7]bool{time.Sunday: true, time.Tuesday: true, time.Thursday: true},
		[]calendar.Hours{{Start: hm(1, 15), End: hm(2, 30)}, {Start: hm(9, 0), End: hm(9, 0) + 7*time.Second}, {Start: hm(13, 0), End: 24 * time.Hour}},
		ov)
	return map[string]*calendar.Calendar{
		"china":  calendar.China(),
		"boston": boston(t),
		"odd":    odd,
	}
}

// randomInstant returns an instant in 2010-2015 or 2024-2027, to the
// nanosecond or, half of the time, on a whole minute.
func randomInstant(rng *rand.Rand) time.Time {
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	if rng.IntN(2) == 0 {
		base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	t := base.Add(time.Duration(rng.Int64N(int64(4 * 365 * 24 * time.Hour))))
	if rng.IntN(2) == 0 {
		t = t.Truncate(time.Minute)
	}
	return t
}

func randomDuration(rng *rand.Rand, c *calendar.Calendar) time.Duration {
	switch rng.IntN(4) {
	case 0:
		return time.Duration(rng.IntN(3)+1) * c.DayLength()
	case 1:
		return time.Duration(rng.Int64N(int64(time.Hour))) + 1
	default:
		return time.Duration(rng.Int64N(int64(40*c.DayLength()))) + 1
	}
}

func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20250925, 1600))
	for name, c := range propertyCalendars(t, rng) {
		t.Run(name, func(t *testing.T) {
			for i := range 3000 {
				start, d := randomInstant(rng), randomDuration(rng, c)
				due := c.Add(start, d)
				if got := c.Elapsed(start, due); got != d {
					t.Fatalf("#%d Elapsed(%s, Add(start, %s) = %s) = %s", i, start, d, due, got)
				}
				// Add returns the earliest such instant.
				if got := c.Elapsed(start, due.Add(-1)); got >= d {
					t.Fatalf("#%d Add(%s, %s) = %s is not the earliest: %s elapsed a nanosecond before", i, start, d, due, got)
				}
				d2 := d + randomDuration(rng, c)
				if due2 := c.Add(start, d2); due2.Before(due) {
					t.Fatalf("#%d Add not monotonic: Add(%s, %s) = %s before Add(.., %s) = %s", i, start, d2, due2, d, due)
				}
				a, b, cc := sorted3(start, randomInstant(rng), start.Add(time.Duration(rng.Int64N(int64(30*24*time.Hour)))))
				if ab, bc, ac := c.Elapsed(a, b), c.Elapsed(b, cc), c.Elapsed(a, cc); ab+bc != ac {
					t.Fatalf("#%d Elapsed(%s, %s) = %s + Elapsed(.., %s) = %s != %s", i, a, b, ab, cc, bc, ac)
				}
				n := c.Next(start)
				if n.Before(start) || c.Elapsed(start, n) != 0 || c.Elapsed(n, n.Add(1)) != 1 {
					t.Fatalf("#%d Next(%s) = %s is not the next working instant", i, start, n)
				}
				if got := c.Add(start, 1); !got.Equal(n.Add(1)) {
					t.Fatalf("#%d Add(%s, 1ns) = %s, want Next + 1ns = %s", i, start, got, n.Add(1))
				}
				if got, want := c.ElapsedExcluding(a, cc, nil), c.Elapsed(a, cc); got != want {
					t.Fatalf("#%d ElapsedExcluding without pauses = %s, Elapsed = %s", i, got, want)
				}
				all := []calendar.Interval{{Start: a.Add(-time.Hour), End: cc.Add(time.Hour)}}
				if got := c.ElapsedExcluding(a, cc, all); got != 0 {
					t.Fatalf("#%d ElapsedExcluding with a pause over everything = %s", i, got)
				}
				if !c.IsWorkday(n) {
					t.Fatalf("#%d Next(%s) = %s is not on a working day", i, start, n)
				}
			}
		})
	}
}

func sorted3(a, b, c time.Time) (time.Time, time.Time, time.Time) {
	if b.Before(a) {
		a, b = b, a
	}
	if c.Before(b) {
		b, c = c, b
	}
	if b.Before(a) {
		a, b = b, a
	}
	return a, b, c
}

// TestElapsedAgainstBruteForce checks Elapsed minute by minute against the
// definition: an instant is working time when its local clock reading falls
// in the working hours of a working day. The minutes are real minutes, so
// the DST weekends of 2011 in New York are checked as well.
func TestElapsedAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(311, 2011))
	ny := mustLoad(t, "America/New_York")
	chinaHours := []calendar.Hours{{Start: hm(8, 30), End: hm(12, 0)}, {Start: hm(14, 0), End: hm(17, 30)}}
	nightHours := []calendar.Hours{{Start: hm(0, 30), End: hm(1, 30)}, {Start: hm(2, 15), End: hm(3, 0)}, {Start: hm(23, 59), End: 24 * time.Hour}}
	cals := []struct {
		name  string
		c     *calendar.Calendar
		hours []calendar.Hours
	}{
		{"china", calendar.China(), chinaHours},
		{"boston", boston(t), wholeDay},
		{"china hours in New York", mustNew(t, ny, monFri, chinaHours, nil), chinaHours},
		{"night hours in New York", mustNew(t, ny, [7]bool{time.Sunday: true, time.Wednesday: true, time.Saturday: true}, nightHours, nil), nightHours},
	}
	starts := []time.Time{
		time.Date(2011, 11, 3, 0, 0, 0, 0, time.UTC), // the end of DST
		time.Date(2011, 3, 10, 0, 0, 0, 0, time.UTC), // the start of DST
		time.Date(2025, 9, 25, 0, 0, 0, 0, time.UTC), // National Day
	}
	for _, tc := range cals {
		c := tc.c
		working := func(x time.Time) bool {
			l := x.In(c.Location())
			if !c.IsWorkday(l) {
				return false
			}
			clk := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute
			for _, h := range tc.hours {
				if clk >= h.Start && clk < h.End {
					return true
				}
			}
			return false
		}
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range starts {
				for range 15 {
					from := s.Add(time.Duration(rng.IntN(4*24*60)) * time.Minute)
					to := from.Add(time.Duration(rng.IntN(3*24*60)) * time.Minute)
					var want time.Duration
					for x := from; x.Before(to); x = x.Add(time.Minute) {
						if working(x) {
							want += time.Minute
						}
					}
					if got := c.Elapsed(from, to); got != want {
						t.Fatalf("Elapsed(%s, %s) = %s, counted minute by minute %s", from.In(c.Location()), to.In(c.Location()), got, want)
					}
				}
			}
		})
	}
}

func TestAddDaysMatchesAddWithoutDST(t *testing.T) {
	c := calendar.China()
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 2000 {
		start := randomInstant(rng)
		n := rng.IntN(60) + 1
		if got, want := c.AddDays(start, n), c.Add(start, time.Duration(n)*c.DayLength()); !got.Equal(want) {
			t.Fatalf("#%d AddDays(%s, %d) = %s, Add(n × DayLength) = %s", i, start, n, got, want)
		}
	}
}
