// Package calendar computes deadlines on working time: the working hours of working days on a
// calendar of weekends, public holidays and swapped working days (调休), in one time zone.
package calendar

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// DayKind says how an override changes a date.
type DayKind string

// The two kinds of override. A holiday is a day off even on a weekday; a
// workday is worked even on a weekend (China's 调休 swapped working days).
const (
	Holiday DayKind = "holiday"
	Workday DayKind = "workday"
)

// Override changes whether one date is worked, whatever the weekly rule says.
type Override struct {
	Date Date
	Kind DayKind
	// Name is what the day is called in the announcement, such as
	// "春节 Spring Festival"; it is shown to people and never interpreted.
	Name string
}

// Hours is one daily interval of working time in local clock time: the
// half-open interval [Start, End) measured from local midnight. End may be
// 24h, which means the next local midnight.
type Hours struct {
	Start, End time.Duration
}

// Interval is a half-open span of instants [Start, End), such as the time a
// case was suspended.
type Interval struct {
	Start, End time.Time
}

// Calendar is a working calendar: a time zone, the weekdays that are normally
// worked, the working hours of a working day and dated overrides. Working time
// is the union of the working hours of working days; nights, breaks, weekends
// and holidays do not count.
//
// A Calendar is immutable once built, so one value may be shared by any number
// of goroutines. It works on instants from 1700 to 2250, as far from 1970 as
// a time.Duration reaches with room to spare: instants outside are treated as
// the nearer bound, and no result is later than 2250-01-01 00:00 UTC.
type Calendar struct {
	loc   *time.Location
	week  [7]bool
	hours []Hours
	// cum[i] is the working time of a day before hours[i] starts.
	cum    []time.Duration
	dayLen time.Duration

	overrides []Override // sorted by date
	// ovDay and ovWork mirror overrides as day numbers and kinds, the form
	// the arithmetic reads. ovPrefix[i] is how many working days
	// overrides[:i] add to the weekly rule (negative when they remove some),
	// so the working days in a range cost two binary searches, not a walk.
	ovDay    []int64
	ovWork   []bool
	ovPrefix []int64
	years    map[int]bool

	perWeek int
	// weekCount[w][n] is the number of working days among the n days that
	// start on weekday w; weekNth[w][r] is the offset from a weekday w of the
	// working day that has r working days before it. They turn the weekly
	// rule into arithmetic.
	weekCount [7][7]int64
	weekNth   [7][7]int64

	start StartRule // see Start
}

// New builds a calendar from its location, the weekdays normally worked
// (indexed by time.Weekday), the daily working hours and the overrides. Hours
// must be non-empty, sorted, non-overlapping and within 0..24h; at least one
// weekday must be worked, so that every deadline falls somewhere; override
// dates must be valid and distinct, their kinds known.
func New(loc *time.Location, workWeek [7]bool, hours []Hours, overrides []Override) (*Calendar, error) {
	if loc == nil {
		return nil, fmt.Errorf("calendar: nil location")
	}
	if workWeek == ([7]bool{}) {
		return nil, fmt.Errorf("calendar: no weekday is worked")
	}
	if len(hours) == 0 {
		return nil, fmt.Errorf("calendar: no working hours")
	}
	for i, h := range hours {
		switch {
		case h.Start < 0 || h.End > 24*time.Hour:
			return nil, fmt.Errorf("calendar: hours[%d] %s is outside 00:00-24:00", i, h)
		case h.Start >= h.End:
			return nil, fmt.Errorf("calendar: hours[%d] %s is empty or reversed", i, h)
		case i > 0 && h.Start < hours[i-1].End:
			return nil, fmt.Errorf("calendar: hours[%d] %s overlaps or precedes hours[%d] %s", i, h, i-1, hours[i-1])
		}
	}
	seen := make(map[Date]int, len(overrides))
	for i, o := range overrides {
		if err := o.validate(); err != nil {
			return nil, fmt.Errorf("calendar: overrides[%d]: %w", i, err)
		}
		if j, dup := seen[o.Date]; dup {
			return nil, fmt.Errorf("calendar: overrides[%d]: duplicate date %s (first at overrides[%d])", i, o.Date, j)
		}
		seen[o.Date] = i
	}
	c := &Calendar{loc: loc, week: workWeek, hours: append([]Hours(nil), hours...)}
	for _, h := range c.hours {
		c.cum = append(c.cum, c.dayLen)
		c.dayLen += h.End - h.Start
	}
	for w := range 7 {
		var n int64
		for k := range 7 {
			c.weekCount[w][k] = n
			if workWeek[(w+k)%7] {
				c.weekNth[w][n] = int64(k)
				n++
			}
		}
		c.perWeek = int(n)
	}
	c.setOverrides(overrides)
	return c, nil
}

// setOverrides stores a copy of list sorted by date and derives the
// arithmetic's view of it. The dates must be distinct and valid.
func (c *Calendar) setOverrides(list []Override) {
	c.overrides = append([]Override(nil), list...)
	sort.Slice(c.overrides, func(i, j int) bool { return c.overrides[i].Date.before(c.overrides[j].Date) })
	n := len(c.overrides)
	c.ovDay = make([]int64, n)
	c.ovWork = make([]bool, n)
	c.ovPrefix = make([]int64, n+1)
	c.years = make(map[int]bool)
	for i, o := range c.overrides {
		d := o.Date.dayNumber()
		c.ovDay[i] = d
		c.ovWork[i] = o.Kind == Workday
		delta := int64(0)
		switch weekly := c.week[weekday(d)]; {
		case c.ovWork[i] && !weekly:
			delta = 1
		case !c.ovWork[i] && weekly:
			delta = -1
		}
		c.ovPrefix[i+1] = c.ovPrefix[i] + delta
		c.years[o.Date.Year] = true
	}
}

// WithOverrides returns a copy of c with extra overrides on top of its own,
// such as a county's local days on top of the national schedule. Where a date
// appears twice, the later entry wins: extra over c, and later entries of
// extra over earlier ones. Entries with an invalid date or an unknown kind are
// ignored; ParseOverrides and New report them.
func (c *Calendar) WithOverrides(extra []Override) *Calendar {
	byDate := make(map[Date]Override, len(c.overrides)+len(extra))
	for _, o := range c.overrides {
		byDate[o.Date] = o
	}
	for _, o := range extra {
		if o.validate() == nil {
			byDate[o.Date] = o
		}
	}
	merged := make([]Override, 0, len(byDate))
	for _, o := range byDate {
		merged = append(merged, o)
	}
	cc := *c
	cc.setOverrides(merged)
	return &cc
}

//go:embed cn-2025-2026.csv
var chinaCSV string

var china = sync.OnceValue(func() *Calendar {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// A binary without tzdata still gets China right: it has kept UTC+8
		// without daylight saving since 1991.
		loc = time.FixedZone("CST", 8*3600)
	}
	ov, err := ParseOverrides(strings.NewReader(chinaCSV))
	if err != nil {
		panic("calendar: embedded cn-2025-2026.csv: " + err.Error())
	}
	week := [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}
	hours := []Hours{
		{Start: 8*time.Hour + 30*time.Minute, End: 12 * time.Hour},
		{Start: 14 * time.Hour, End: 17*time.Hour + 30*time.Minute},
	}
	c, err := New(loc, week, hours, ov)
	if err != nil {
		panic("calendar: China: " + err.Error())
	}
	return c
})

// China returns the calendar of a Chinese government office: Asia/Shanghai,
// Monday to Friday, 08:30-12:00 and 14:00-17:30, with the State Council's
// holiday schedule for 2025 and 2026. Later years follow the weekly rule until
// their schedule is added with WithOverrides; Covers tells which years are
// covered. The calendar is built once and shared.
func China() *Calendar { return china() }

// Location returns the time zone of the calendar's clock times and results.
func (c *Calendar) Location() *time.Location { return c.loc }

// Overrides returns a copy of the calendar's overrides in date order.
func (c *Calendar) Overrides() []Override { return append([]Override(nil), c.overrides...) }

// DayLength returns the working time in one working day, counted in clock
// time: a day whose working hours contain a daylight-saving change lasts an
// hour more or less in real time.
func (c *Calendar) DayLength() time.Duration { return c.dayLen }

// IsWorkday reports whether the date of t in the calendar's location is a
// working day: an override decides if there is one, else the weekly rule.
func (c *Calendar) IsWorkday(t time.Time) bool {
	// Not through wall(), which clamps: the date of any instant is known.
	return c.isWork(DateOf(t.In(c.loc)).dayNumber())
}

// Covers reports whether the calendar's overrides cover the year of t in the
// calendar's location, that is whether any override falls in that year. In a
// year not covered, holidays are unknown and the weekly rule applies: a
// deadline there may be too early, and callers should say so. Coverage is
// read from the data, so one override in a year, even a county's local day,
// marks the year covered.
func (c *Calendar) Covers(t time.Time) bool {
	return c.years[t.In(c.loc).Year()]
}

// String formats h as "08:30-12:00".
func (h Hours) String() string {
	return clock(h.Start) + "-" + clock(h.End)
}

func clock(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	s := fmt.Sprintf("%s%02d:%02d", sign, d/time.Hour, d%time.Hour/time.Minute)
	if rest := d % time.Minute; rest != 0 {
		s += fmt.Sprintf(":%02d", rest/time.Second)
		if rest%time.Second != 0 {
			s += fmt.Sprintf(".%09d", rest%time.Second)
		}
	}
	return s
}

func (o Override) validate() error {
	if !o.Date.valid() {
		return fmt.Errorf("invalid date %s", o.Date)
	}
	if o.Kind != Holiday && o.Kind != Workday {
		return fmt.Errorf("unknown kind %q", o.Kind)
	}
	return nil
}
