package calendar

import (
	"math"
	"sort"
	"time"
)

// How the arithmetic works. Working hours are local clock times, so the
// calendar is simplest on the local wall clock: a day there is always 24
// hours and every working day holds exactly DayLength of working time. The
// wall clock is expressed as "wall nanoseconds", the instant's Unix time plus
// its zone offset, and day numbers count wall days from 1970-01-01.
//
// Real instants map onto the wall clock with a constant offset between two
// zone transitions (time.Time.ZoneBounds), so the functions below work one
// zone period at a time: inside it they do wall-clock arithmetic, at its end
// they carry what is left into the next period. China has one period since
// 1991; a zone with daylight saving has two a year. Within a period, Elapsed
// counts the working days of a range in O(log overrides) with the weekly
// tables and the overrides' prefix sums, and Add finds the n-th working day
// in O(overrides passed): never by walking days or minutes.
//
// The consequence for daylight saving is that working time is real elapsed
// time: an instant is working time when its local clock reading falls in the
// working hours of a working day. A working day whose hours contain the
// change is an hour shorter or longer in real time than DayLength; Add and
// Elapsed count that real time, AddDays keeps the clock reading.

const dayNs = int64(24 * time.Hour)

// The supported range: time.Duration measures about 292 years either side of
// 1970, so wall nanoseconds overflow outside 1678-2262. Instants outside
// [minTime, maxTime] are treated as the nearer bound, and results that would
// fall after maxTime are maxTime.
var (
	minTime = time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2250, 1, 1, 0, 0, 0, 0, time.UTC)
	// maxDay is the last day number a result may fall on before it is
	// clamped; it leaves a margin for zone offsets.
	maxDay = maxTime.Unix()/86400 + 2
)

func clampTime(t time.Time) time.Time {
	if t.Before(minTime) {
		return minTime
	}
	if t.After(maxTime) {
		return maxTime
	}
	return t
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// weekday returns the weekday of a day number; 1970-01-01 was a Thursday.
func weekday(day int64) time.Weekday {
	return time.Weekday((day%7 + 7 + 4) % 7)
}

func satAdd(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// wall returns the wall nanoseconds of t in the calendar's location; t must
// be within the supported range.
func (c *Calendar) wall(t time.Time) int64 {
	_, off := t.In(c.loc).Zone()
	return t.UnixNano() + int64(off)*int64(time.Second)
}

// zone returns the offset in nanoseconds of the zone period containing t and
// the Unix nanoseconds at which the period ends (math.MaxInt64 if it does not
// end before maxTime).
func (c *Calendar) zone(t time.Time) (off, end int64) {
	tl := t.In(c.loc)
	_, o := tl.Zone()
	_, e := tl.ZoneBounds()
	end = math.MaxInt64
	if !e.IsZero() && e.Before(maxTime) {
		end = e.UnixNano()
	}
	return int64(o) * int64(time.Second), end
}

// search returns the index of the first override on or after day.
func (c *Calendar) search(day int64) int {
	lo, hi := 0, len(c.ovDay)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.ovDay[m] < day {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (c *Calendar) isWork(day int64) bool {
	if i := c.search(day); i < len(c.ovDay) && c.ovDay[i] == day {
		return c.ovWork[i]
	}
	return c.week[weekday(day)]
}

// weeklyCount returns the number of days in [a, b) worked by the weekly rule.
func (c *Calendar) weeklyCount(a, b int64) int64 {
	n := b - a
	if n <= 0 {
		return 0
	}
	return n/7*int64(c.perWeek) + c.weekCount[weekday(a)][n%7]
}

// weeklyNth returns the first day on or after a that has k days before it in
// [a, day) worked by the weekly rule and is itself worked by it.
func (c *Calendar) weeklyNth(a, k int64) int64 {
	w := int64(c.perWeek)
	return a + k/w*7 + c.weekNth[weekday(a)][k%w]
}

// countWork returns the number of working days in [a, b).
func (c *Calendar) countWork(a, b int64) int64 {
	if b <= a {
		return 0
	}
	return c.weeklyCount(a, b) + c.ovPrefix[c.search(b)] - c.ovPrefix[c.search(a)]
}

// nthWork returns the working day on or after a that has k working days
// before it in [a, day). Between two overrides the weekly rule is pure
// arithmetic, so the cost is the number of overrides passed, not of days.
func (c *Calendar) nthWork(a, k int64) int64 {
	for i := c.search(a); i < len(c.ovDay); i++ {
		next := c.ovDay[i]
		n := c.weeklyCount(a, next)
		if k < n {
			return c.weeklyNth(a, k)
		}
		k -= n
		if c.ovWork[i] {
			if k == 0 {
				return next
			}
			k--
		}
		a = next + 1
	}
	return c.weeklyNth(a, k)
}

// within returns the working time of a working day before clock time clk.
func (c *Calendar) within(clk time.Duration) time.Duration {
	var w time.Duration
	for _, h := range c.hours {
		if clk <= h.Start {
			break
		}
		w += min(clk, h.End) - h.Start
	}
	return w
}

// withinInv returns the earliest clock time of a working day by which q of
// working time has elapsed, for 0 < q <= DayLength: the end of an interval
// rather than the start of the next when q ends exactly there.
func (c *Calendar) withinInv(q time.Duration) time.Duration {
	for i, h := range c.hours {
		if q <= c.cum[i]+(h.End-h.Start) {
			return h.Start + q - c.cum[i]
		}
	}
	return c.hours[len(c.hours)-1].End
}

// wallElapsed returns the working time between wall instants x <= y.
func (c *Calendar) wallElapsed(x, y int64) time.Duration {
	dx, dy := floorDiv(x, dayNs), floorDiv(y, dayNs)
	cx, cy := time.Duration(x-dx*dayNs), time.Duration(y-dy*dayNs)
	if dx == dy {
		if !c.isWork(dx) {
			return 0
		}
		return c.within(cy) - c.within(cx)
	}
	n := c.countWork(dx, dy)
	if n > math.MaxInt64/int64(c.dayLen) {
		return math.MaxInt64
	}
	w := time.Duration(n) * c.dayLen
	if c.isWork(dx) {
		w -= c.within(cx)
	}
	if c.isWork(dy) {
		w = satAdd(w, c.within(cy))
	}
	return w
}

// wallAdd returns the earliest wall instant y >= x with r of working time in
// [x, y), for r > 0, or false if y would be past maxDay.
func (c *Calendar) wallAdd(x int64, r time.Duration) (int64, bool) {
	d := floorDiv(x, dayNs)
	if c.isWork(d) {
		done := c.within(time.Duration(x - d*dayNs))
		if r <= c.dayLen-done {
			return d*dayNs + int64(c.withinInv(done+r)), true
		}
		r -= c.dayLen - done
	}
	// r > 0 is left for later days: k whole days, then q of one more.
	k := int64((r - 1) / c.dayLen)
	q := r - time.Duration(k)*c.dayLen
	if k > maxDay-d {
		return 0, false
	}
	e := c.nthWork(d+1, k)
	if e > maxDay {
		return 0, false
	}
	return e*dayNs + int64(c.withinInv(q)), true
}

// wallNext returns the earliest wall instant y >= x inside working time, or
// false if it would be past maxDay.
func (c *Calendar) wallNext(x int64) (int64, bool) {
	d := floorDiv(x, dayNs)
	if c.isWork(d) {
		clk := time.Duration(x - d*dayNs)
		for _, h := range c.hours {
			if clk < h.End {
				return d*dayNs + int64(max(clk, h.Start)), true
			}
		}
	}
	e := c.nthWork(d+1, 0)
	if e > maxDay {
		return 0, false
	}
	return e*dayNs + int64(c.hours[0].Start), true
}

// instant converts Unix nanoseconds to a time in the calendar's location,
// clamped to maxTime.
func (c *Calendar) instant(ns int64) time.Time {
	t := time.Unix(0, ns)
	if t.After(maxTime) {
		t = maxTime
	}
	return t.In(c.loc)
}

// Next returns t if t is inside working time, else the start of the next
// working interval, in the calendar's location.
func (c *Calendar) Next(t time.Time) time.Time {
	t = clampTime(t)
	for {
		off, end := c.zone(t)
		y, ok := c.wallNext(t.UnixNano() + off)
		if !ok {
			return maxTime.In(c.loc)
		}
		// A wall instant at or past the period's end reads differently in
		// the next period (an hour earlier after "fall back"): look again
		// from there.
		if u := y - off; u < end {
			return c.instant(u)
		}
		t = time.Unix(0, end)
	}
}

// Add returns the earliest instant at which d of working time has elapsed
// since start, in the calendar's location. A start outside working time
// counts from the next working moment. The result may be the end of a working
// interval: one working day from Monday 08:30 is Monday 17:30, not Tuesday
// 08:30, so a deadline at the close of business is not pushed to the next
// morning. For d <= 0 Add returns start: no working time has to elapse.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	t := clampTime(start)
	if d <= 0 {
		return t.In(c.loc)
	}
	for {
		off, end := c.zone(t)
		x := t.UnixNano() + off
		y, ok := c.wallAdd(x, d)
		if !ok {
			return maxTime.In(c.loc)
		}
		if u := y - off; u <= end {
			return c.instant(u)
		}
		// The period ends first: what it holds counts, the rest is carried
		// into the next one. It holds less than d, or y would be in it.
		d -= c.wallElapsed(x, end+off)
		t = time.Unix(0, end)
	}
}

// AddDays returns the instant n working days after start: the same point of
// the working day n working days later. A start outside working time stands
// for the working moment before it (12:00 for a start in a 12:00-14:00 lunch
// break, the close of business for a start at night), except that a start
// before a working day's first hour makes that day the first one counted: one
// working day from Monday 07:00, or from the Saturday before, is the close of
// Monday.
// It equals Add(start, n*DayLength()) except across a daylight-saving change
// inside working hours, where AddDays keeps the local clock reading, as people
// read "n days", and Add counts real time. A clock reading that the change
// skips resolves as in time.Date. For n <= 0 AddDays returns start.
func (c *Calendar) AddDays(start time.Time, n int) time.Time {
	t := clampTime(start)
	if n <= 0 {
		return t.In(c.loc)
	}
	y, ok := c.wallAddDays(c.wall(t), int64(n))
	if !ok {
		return maxTime.In(c.loc)
	}
	day := floorDiv(y, dayNs)
	clk := time.Duration(y - day*dayNs)
	yy, mm, dd := time.Unix(day*86400, 0).UTC().Date()
	r := time.Date(yy, mm, dd, int(clk/time.Hour), int(clk%time.Hour/time.Minute),
		int(clk%time.Minute/time.Second), int(clk%time.Second), c.loc)
	return clampTime(r).In(c.loc)
}

// wallAddDays is wallAdd(x, n*DayLength) without the multiplication, which
// overflows for long spans of whole-day calendars: n working days are n-1
// whole days and the position reached in the first one.
func (c *Calendar) wallAddDays(x, n int64) (int64, bool) {
	d := floorDiv(x, dayNs)
	k, q := n-1, c.dayLen
	if c.isWork(d) {
		switch done := c.within(time.Duration(x - d*dayNs)); {
		case done > 0:
			q = done
		case n == 1:
			// Before the day's first hour: one day ends at this day's close.
			return d*dayNs + int64(c.hours[len(c.hours)-1].End), true
		default:
			k = n - 2
		}
	}
	if k > maxDay-d {
		return 0, false
	}
	e := c.nthWork(d+1, k)
	if e > maxDay {
		return 0, false
	}
	return e*dayNs + int64(c.withinInv(q)), true
}

// Elapsed returns the working time in [from, to), or 0 if to is not after
// from.
func (c *Calendar) Elapsed(from, to time.Time) time.Duration {
	from, to = clampTime(from), clampTime(to)
	if !to.After(from) {
		return 0
	}
	var w time.Duration
	toNs := to.UnixNano()
	for t := from; ; {
		off, end := c.zone(t)
		stop := min(end, toNs)
		w = satAdd(w, c.wallElapsed(t.UnixNano()+off, stop+off))
		if stop == toNs {
			return w
		}
		t = time.Unix(0, stop)
	}
}

// ElapsedExcluding returns the working time in [from, to) outside the pauses,
// such as the time a case was suspended, when its clock stops. Pauses may
// overlap each other and reach outside [from, to); an empty or reversed pause
// is ignored.
func (c *Calendar) ElapsedExcluding(from, to time.Time, pauses []Interval) time.Duration {
	w := c.Elapsed(from, to)
	if w == 0 || len(pauses) == 0 {
		return w
	}
	// Clip to [from, to) and merge, so that time inside two pauses is
	// subtracted once.
	clipped := make([]Interval, 0, len(pauses))
	for _, p := range pauses {
		if p.Start.Before(from) {
			p.Start = from
		}
		if p.End.After(to) {
			p.End = to
		}
		if p.End.After(p.Start) {
			clipped = append(clipped, p)
		}
	}
	sort.Slice(clipped, func(i, j int) bool { return clipped[i].Start.Before(clipped[j].Start) })
	var paused time.Duration
	for i := 0; i < len(clipped); {
		cur := clipped[i]
		for i++; i < len(clipped) && !clipped[i].Start.After(cur.End); i++ {
			if clipped[i].End.After(cur.End) {
				cur.End = clipped[i].End
			}
		}
		paused = satAdd(paused, c.Elapsed(cur.Start, cur.End))
	}
	return max(w-paused, 0)
}
