package boston

import (
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
)

// Report is what a replay of the data through Wangge should reach, computed
// offline. Shares are in [0, 1]; each says over which rows it is taken.
type Report struct {
	Rows       int // requests in the file
	WithTarget int // rows with the city's target_dt
	// DeadlineMatch is the share of WithTarget rows whose Model.Deadline
	// with the model's limit is within an hour of target_dt.
	DeadlineMatch float64
	// CatalogueMatch is the same computed the platform's way: the limit as
	// the catalogue stores it (Model.CatalogueLimit) on the calendar built
	// from CalendarSpec, through wangge.StepClock, StepLimit, the calendar's
	// Start and Add. It is what a replay through the server reaches.
	CatalogueMatch float64
	// CalendarOnlyMatch is the same on a whole-day Monday-Friday calendar
	// without the start rule: what the platform would reach with working
	// days alone.
	CalendarOnlyMatch float64
	// OnTimeRows are the closed rows with an ONTIME/OVERDUE verdict;
	// OnTimeAgreement is the share of them where "closed <= our deadline"
	// (computed as for CatalogueMatch) agrees with the city.
	OnTimeRows      int
	OnTimeAgreement float64
	// OnTimeAgreementWithTarget is the same over the rows that also have a
	// target_dt, where the city's verdict is exactly closed <= target_dt.
	OnTimeAgreementWithTarget float64
	// OnTimeAgreementNoSLA is the agreement over all OnTimeRows when the
	// rows without a target_dt are held to no deadline (the city calls all
	// 10,981 of them ONTIME): what the replay reaches if it posts those
	// requests without a handling limit.
	OnTimeAgreementNoSLA float64
	// DepartmentMatch is the share of all rows that Routing.Department
	// (type and source) sends to the city's department;
	// DepartmentMatchByType the share for the by-type rule alone.
	DepartmentMatch       float64
	DepartmentMatchByType float64
}

// Evaluate computes the report of m on d.
func Evaluate(d *Data, m *Model) Report {
	r := Report{Rows: len(d.Requests)}
	cal := m.Calendar()
	city, err := m.CalendarSpec().Build()
	if err != nil {
		panic(err) // the spec is a constant but for the zone, which d has loaded
	}
	var noSLA, dl, catM, calM, onN, onOK, onTN, onTOK, dep, depT int
	for i := range d.Requests {
		q := &d.Requests[i]
		lim := m.Limits[q.Type]
		cl := m.CatalogueLimit(q.Type)
		ours := PlatformDeadline(city, q.Open, cl)
		if q.Target != nil {
			r.WithTarget++
			if lim.Value > 0 && near(m.Deadline(q.Open, lim), *q.Target) {
				dl++
			}
			if near(ours, *q.Target) {
				catM++
			}
			if near(cal.Add(q.Open, cl.Duration(cal.DayLength())), *q.Target) {
				calM++
			}
		}
		if q.Closed != nil && (q.OnTime == "ONTIME" || q.OnTime == "OVERDUE") {
			agree := !q.Closed.After(ours) == (q.OnTime == "ONTIME")
			onN++
			if agree {
				onOK++
			}
			if q.Target == nil {
				noSLA++
			} else {
				onTN++
				if agree {
					onTOK++
				}
			}
		}
		if m.Routing.Department(q.Type, q.Source) == q.Department {
			dep++
		}
		if m.Routing.ByType[q.Type] == q.Department {
			depT++
		}
	}
	r.OnTimeRows = onN
	r.DeadlineMatch = share(dl, r.WithTarget)
	r.CatalogueMatch = share(catM, r.WithTarget)
	r.CalendarOnlyMatch = share(calM, r.WithTarget)
	r.OnTimeAgreement = share(onOK, onN)
	r.OnTimeAgreementWithTarget = share(onTOK, onTN)
	r.OnTimeAgreementNoSLA = share(onTOK+noSLA, onN)
	r.DepartmentMatch = share(dep, r.Rows)
	r.DepartmentMatchByType = share(depT, r.Rows)
	return r
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// PlatformDeadline is the handling deadline the platform computes for a
// request accepted and dispatched at open with the handling limit l, on the
// city's calendar built from CalendarSpec: wangge.Retime's.
func PlatformDeadline(city *calendar.Calendar, open time.Time, l wangge.Limit) time.Time {
	cat := &wangge.Category{Limits: wangge.Limits{Accept: l, Dispatch: l, Handle: l, Verify: l}}
	prev := wangge.Case{Status: wangge.StatusAccepted}
	next := prev
	next.Status = wangge.StatusDispatched
	wangge.Retime(prev, &next, wangge.ActDispatch, 0, cat, city, open)
	return *next.DueAt
}
