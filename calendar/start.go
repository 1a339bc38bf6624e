package calendar

import (
	"fmt"
	"sync"
	"time"
)

// StartRule says from which instant a request's clock counts. The zero rule
// counts from the request itself, and Add then begins at the next working
// moment: a report made at night counts from 08:30, as a Chinese office
// counts.
//
// Some clocks count otherwise. Boston's 311 clock, measured on its 2011
// requests, keeps the clock reading across days off (a request made on
// Saturday at 10:00 counts from Monday at 10:00) and sends requests made at
// or after 17:00 to 08:30 of the next working day. With whole-day working
// hours (00:00-24:00) that is KeepClock with Cutoff 17:00 and Morning 08:30.
type StartRule struct {
	// KeepClock: a request made on a day off counts from the next working
	// day at the same clock reading.
	KeepClock bool
	// Cutoff, when not zero: a request made on a working day at or after this
	// clock reading counts from Morning of the next working day.
	Cutoff, Morning time.Duration
}

func (r StartRule) validate() error {
	switch {
	case r.Cutoff < 0 || r.Cutoff >= 24*time.Hour:
		return fmt.Errorf("cutoff %s is outside 00:00-24:00", clock(r.Cutoff))
	case r.Morning < 0 || r.Morning >= 24*time.Hour:
		return fmt.Errorf("morning %s is outside 00:00-24:00", clock(r.Morning))
	case r.Cutoff == 0 && r.Morning != 0:
		return fmt.Errorf("morning is set without a cutoff")
	}
	return nil
}

// WithStart returns a copy of c that counts requests from r.Start.
func (c *Calendar) WithStart(r StartRule) (*Calendar, error) {
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("calendar: start rule: %w", err)
	}
	cc := *c
	cc.start = r
	return &cc, nil
}

// StartRule returns the calendar's start rule.
func (c *Calendar) StartRule() StartRule { return c.start }

// Start returns the instant from which the clock of a request made at t
// counts under the calendar's start rule; t itself under the zero rule. The
// result is in the calendar's location.
func (c *Calendar) Start(t time.Time) time.Time {
	t = t.In(c.loc)
	r := c.start
	if r == (StartRule{}) {
		return t
	}
	if r.KeepClock {
		for i := 0; !c.IsWorkday(t) && i < maxDayOffRun; i++ {
			t = sameClockNextDay(t, c.loc)
		}
	}
	if r.Cutoff > 0 && c.IsWorkday(t) {
		y, m, d := t.Date()
		midnight := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
		if t.Sub(midnight) >= r.Cutoff {
			next := time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
			for i := 0; !c.IsWorkday(next) && i < maxDayOffRun; i++ {
				next = time.Date(next.Year(), next.Month(), next.Day()+1, 0, 0, 0, 0, c.loc)
			}
			t = next.Add(r.Morning)
		}
	}
	return t
}

// maxDayOffRun bounds the walk over days off: New requires a worked weekday,
// but overrides may remove weeks of them (a calendar of holidays only would
// otherwise loop for ever).
const maxDayOffRun = 3660

// sameClockNextDay is t one civil day later at the same clock reading (a
// reading the daylight-saving change skips resolves as in time.Date).
func sameClockNextDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

var (
	naturalMu sync.Mutex
	naturals  = map[string]*Calendar{}
)

// Natural returns the calendar of plain elapsed time in c's location: every
// day worked, all day, no overrides, the zero start rule. Limits stated in
// natural days (自然日) run on it; its DayLength is 24 hours. Calendars of
// one zone share one value.
func (c *Calendar) Natural() *Calendar {
	name := c.loc.String()
	naturalMu.Lock()
	defer naturalMu.Unlock()
	if n := naturals[name]; n != nil {
		return n
	}
	n, err := New(c.loc, [7]bool{true, true, true, true, true, true, true}, []Hours{{Start: 0, End: 24 * time.Hour}}, nil)
	if err != nil {
		panic("calendar: natural calendar: " + err.Error()) // the arguments above are valid
	}
	naturals[name] = n
	return n
}
