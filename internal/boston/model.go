package boston

import (
	"fmt"
	"sort"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
)

// Model is the working-time model of the city's SLA clock, measured on the
// 2011 H2 file (see Evaluate for the agreement it reaches):
//
//   - Working days are Monday to Friday. No public holiday of the window was
//     skipped: thousands of deadlines land on Labor Day, Columbus Day,
//     Veterans Day, Thanksgiving and Christmas observed, and the working-day
//     counts across each of them are those of an ordinary weekday (see
//     HolidayEvidence). The calendar therefore has no overrides.
//   - A request opened on a weekend starts on the next working day at the
//     same clock reading (Saturday 10:00 counts from Monday 10:00).
//   - A request opened at or after the cut-off, 17:00, starts at 08:30 of the
//     next working day; one opened before 08:30 keeps its clock reading.
//     That is why deadlines pile up at exactly 08:30.
//   - A limit of N days then adds N working days keeping the clock reading.
//   - Some types run on plain calendar time instead (120 days for
//     Unsatisfactory Living Conditions whatever the weekday): their limit is
//     in hours and is added as elapsed wall-clock days.
//
// The platform says the same with a calendar.Spec (CalendarSpec: whole
// Monday-Friday days with a start rule that keeps the clock reading and has
// the 17:00 cut-off) and natural-time limits (CatalogueLimit). Deadline here
// is the model written out independently, which the evaluation checks the
// platform's arithmetic against.
type Model struct {
	Location *time.Location
	// Cutoff is the clock reading from which a working day's request counts
	// from the next working morning; Morning is that morning's clock reading.
	Cutoff, Morning time.Duration
	// Limits is the handling limit of each request type: "days" are city
	// working days, "hours" plain elapsed hours (calendar time); see
	// CatalogueLimit for the platform's units.
	Limits map[string]wangge.Limit
	// Routing is the department of each type.
	Routing *Routing
	cal     *calendar.Calendar
}

// Candidate holidays of the window: the Massachusetts state holidays from
// July to December 2011 and the first of January 2012 (deadlines of late
// December land in January). Bunker Hill Day (June 17) and Evacuation Day
// (March 17) are Suffolk County holidays outside the window.
var candidateHolidays = []string{
	"2011-07-04", "2011-09-05", "2011-10-10", "2011-11-11", "2011-11-24",
	"2011-11-25", "2011-12-26", "2012-01-02",
}

var monFri = [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}

// NewModel returns the city's clock with the given holidays (the measured
// model has none) and no limits yet.
func NewModel(loc *time.Location, holidays []calendar.Override) (*Model, error) {
	// Whole days: AddDays on a 00:00-24:00 calendar keeps the clock reading,
	// across daylight saving too, which is how the city counts.
	cal, err := calendar.New(loc, monFri, []calendar.Hours{{Start: 0, End: 24 * time.Hour}}, holidays)
	if err != nil {
		return nil, err
	}
	return &Model{
		Location: loc, Cutoff: 17 * time.Hour, Morning: 8*time.Hour + 30*time.Minute,
		Limits: map[string]wangge.Limit{}, cal: cal,
	}, nil
}

// CalendarSpec is the city's clock as the platform stores it (PUT
// /api/v1/calendars/{unit}): America/New_York, Monday to Friday, whole days,
// no holidays, requests on days off keep their clock reading, requests from
// 17:00 count from 08:30 of the next working day.
func (m *Model) CalendarSpec() calendar.Spec {
	return calendar.Spec{
		Zone: m.Location.String(), Weekdays: []int{1, 2, 3, 4, 5}, Hours: []string{"00:00-24:00"},
		Start: &calendar.StartSpec{KeepClock: true, Cutoff: clockString(m.Cutoff), Morning: clockString(m.Morning)},
	}
}

func clockString(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", d/time.Hour, d%time.Hour/time.Minute)
}

// Calendar returns the working calendar of the city's clock: America/New_York,
// Monday to Friday, whole days, no holidays. It decides which days count;
// the start rule lives in Deadline. Given to the platform on its own (whose
// deadline is Calendar.Add from open) it reproduces the city only for requests
// opened on a working day before 17:00; Report.CalendarOnlyMatch says how
// many that is.
func (m *Model) Calendar() *calendar.Calendar { return m.cal }

// Start returns the instant from which the city's clock counts a request
// opened at open: weekend opens move to the next working day at the same
// clock reading, opens at or after the cut-off to the next working morning.
func (m *Model) Start(open time.Time) time.Time {
	t := open.In(m.Location)
	for !m.cal.IsWorkday(t) {
		t = t.AddDate(0, 0, 1)
	}
	y, mo, d := t.Date()
	midnight := time.Date(y, mo, d, 0, 0, 0, 0, m.Location)
	if clock := t.Sub(midnight); clock >= m.Cutoff {
		next := midnight.AddDate(0, 0, 1)
		for !m.cal.IsWorkday(next) {
			next = next.AddDate(0, 0, 1)
		}
		y, mo, d = next.Date()
		t = time.Date(y, mo, d, 0, 0, 0, 0, m.Location).Add(m.Morning)
	}
	return t
}

// Deadline returns the city's deadline for a request opened at open with the
// handling limit limit: N "days" are N working days from Start(open) at the
// same clock reading; "hours" are elapsed calendar time from open itself,
// whole days of it keeping the clock reading across daylight saving.
func (m *Model) Deadline(open time.Time, limit wangge.Limit) time.Time {
	if limit.Unit == "hours" {
		o := open.In(m.Location)
		if limit.Value%24 == 0 {
			return o.AddDate(0, 0, limit.Value/24)
		}
		return o.Add(time.Duration(limit.Value) * time.Hour)
	}
	return m.cal.AddDays(m.Start(open), limit.Value)
}

// within is the tolerance of deadline_match: the city's target_dt is often a
// few seconds before open + n days, and a daylight-saving change may move a
// calendar-time deadline by an hour.
const within = time.Hour

func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d <= within && d >= -within
}

// InferLimits finds, for each request type, the limit whose deadline from
// open matches the city's target_dt on most of the type's rows. Candidates
// are the three most common spans in whole hours, as calendar time, and the
// working-day counts near each span. Ties prefer days, then the smaller
// value. Types without any target_dt get no limit here.
func InferLimits(d *Data, m *Model) map[string]wangge.Limit {
	byType := map[string][]*Request{}
	for i := range d.Requests {
		q := &d.Requests[i]
		if q.Target != nil {
			byType[q.Type] = append(byType[q.Type], q)
		}
	}
	best := map[string]wangge.Limit{}
	for ty, rs := range byType {
		spans := map[int]int{}
		for _, q := range rs {
			spans[int(q.Target.Sub(q.Open).Round(time.Hour)/time.Hour)]++
		}
		type kv struct{ h, n int }
		var common []kv
		for h, n := range spans {
			common = append(common, kv{h, n})
		}
		sort.Slice(common, func(i, j int) bool {
			if common[i].n != common[j].n {
				return common[i].n > common[j].n
			}
			return common[i].h < common[j].h
		})
		var cands []wangge.Limit
		seen := map[wangge.Limit]bool{}
		add := func(l wangge.Limit) {
			if l.Value > 0 && !seen[l] {
				seen[l] = true
				cands = append(cands, l)
			}
		}
		for _, c := range common[:min(3, len(common))] {
			// Working days first, so that a tie goes to them.
			base := c.h * 5 / (24 * 7)
			for n := max(1, base-3); n <= base+3; n++ {
				add(wangge.Limit{Value: n, Unit: "days"})
			}
		}
		for _, c := range common[:min(3, len(common))] {
			add(wangge.Limit{Value: c.h, Unit: "hours"})
		}
		bestN := -1
		for _, l := range cands {
			n := 0
			for _, q := range rs {
				if near(m.Deadline(q.Open, l), *q.Target) {
					n++
				}
			}
			if n > bestN {
				best[ty], bestN = l, n
			}
		}
	}
	return best
}

// HolidayVote is the evidence on one candidate holiday: among the rows of
// working-day types whose clock runs across the date (and across no other
// candidate), how many match the city if the date is worked and how many if
// it is skipped.
type HolidayVote struct {
	Date            calendar.Date
	Worked, Skipped int
}

// HolidayEvidence tests each candidate holiday of the window against the
// city's deadlines, with the limits m already holds. A date the city's clock
// skipped would show Skipped > Worked.
func HolidayEvidence(d *Data, m *Model) []HolidayVote {
	var dates []time.Time
	for _, s := range candidateHolidays {
		t, _ := time.ParseInLocation("2006-01-02", s, m.Location)
		dates = append(dates, t)
	}
	votes := make([]HolidayVote, len(dates))
	for i, t := range dates {
		votes[i].Date = calendar.DateOf(t)
	}
	for i := range d.Requests {
		q := &d.Requests[i]
		l, ok := m.Limits[q.Type]
		if q.Target == nil || !ok || l.Unit != "days" {
			continue
		}
		start := m.Start(q.Open)
		worked := m.Deadline(q.Open, l)
		// The other hypothesis: one more working day when the date lies in
		// the window, as the skipped date would push the count.
		skipped := m.cal.AddDays(start, l.Value+1)
		in := -1
		for j, t := range dates {
			if t.After(start) && !t.After(worked) {
				if in >= 0 {
					in = -2
					break
				}
				in = j
			}
		}
		if in < 0 {
			continue
		}
		if near(worked, *q.Target) {
			votes[in].Worked++
		}
		if near(skipped, *q.Target) {
			votes[in].Skipped++
		}
	}
	return votes
}

// Infer builds the measured model from the data: the clock of NewModel with
// no holidays, the limits of InferLimits and the routing of InferRouting.
func Infer(d *Data) (*Model, error) {
	m, err := NewModel(d.Location, nil)
	if err != nil {
		return nil, err
	}
	m.Limits = InferLimits(d, m)
	m.Routing = InferRouting(d)
	return m, nil
}
