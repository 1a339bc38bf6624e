package wangge

import (
	"time"

	"github.com/wangge/wangge/calendar"
)

// stepLimit is the limit of the step a case in status s waits on: accepting
// a report, dispatching it, handling it (dispatched and in progress share
// one clock), verifying it. Other statuses have no clock.
func stepLimit(s Status, cat *Category) (Limit, bool) {
	if cat == nil {
		return Limit{}, false
	}
	switch s {
	case StatusReported:
		return cat.Limits.Accept, true
	case StatusAccepted:
		return cat.Limits.Dispatch, true
	case StatusDispatched, StatusInProgress:
		return cat.Limits.Handle, true
	case StatusHandled:
		return cat.Limits.Verify, true
	}
	return Limit{}, false
}

// StepClock returns the calendar the clock of status s runs on, cal itself
// or, for a limit in natural time, cal.Natural().
func StepClock(s Status, cat *Category, cal *calendar.Calendar) *calendar.Calendar {
	if l, ok := stepLimit(s, cat); ok && l.Natural() {
		return cal.Natural()
	}
	return cal
}

// StepLimit is the time allowed for the step a case in status s waits on,
// as time on StepClock(s, cat, cal); 0 for a status with no clock. Urgent
// cases get half the time.
func StepLimit(s Status, cat *Category, cal *calendar.Calendar, urgent bool) time.Duration {
	l, ok := stepLimit(s, cat)
	if !ok {
		return 0
	}
	d := l.Duration(StepClock(s, cat, cal).DayLength())
	if urgent {
		d /= 2
	}
	return d
}

// StartClock starts the clock of a new case at now: its first step counts
// from the calendar's start rule (Calendar.Start).
func StartClock(c *Case, cat *Category, cal *calendar.Calendar, now time.Time) {
	clk := StepClock(c.Status, cat, cal)
	c.StepStartedAt, c.StepUsed = clk.Start(now), 0
	c.StepLimit = StepLimit(c.Status, cat, cal, c.Urgent)
	Tick(c, cat, cal, now)
}

// Retime sets the clock fields of next, the case after action was applied
// to prev at now: a new step starts a new clock; starting work keeps the
// handling clock; suspension banks the working time used and stops the
// clock; resumption continues it; an approved extension adds working time.
// ext is the extension granted (approve_extension only). A step that ends
// after its deadline marks the case overdue, whether or not the scheduler saw
// it go red. cal is the county's working calendar; a step whose limit is in
// natural time runs on cal.Natural().
func Retime(prev Case, next *Case, action Action, ext time.Duration, cat *Category, cal *calendar.Calendar, now time.Time) {
	prevClk := StepClock(prev.Status, cat, cal)
	if prev.Status == StatusSuspended {
		prevClk = StepClock(prev.SuspendedFrom, cat, cal)
	}
	switch {
	case action == ActSuspend:
		next.StepUsed = prev.StepUsed + prevClk.Elapsed(prev.StepStartedAt, now)
		next.NextCheckAt = nil
		return
	case action == ActResume:
		next.StepStartedAt = now
	case action == ActApproveExtension:
		next.StepLimit = prev.StepLimit + ext
	case action == ActUrgent:
		// Half of what is left: the clock keeps running from where it is.
		used := prev.StepUsed + prevClk.Elapsed(prev.StepStartedAt, now)
		if left := prev.StepLimit - used; left > 0 {
			next.StepLimit = used + left/2
		}
	case next.Status != prev.Status && !(prev.Status == StatusDispatched && next.Status == StatusInProgress):
		if prev.DueAt != nil && now.After(*prev.DueAt) {
			next.Overdue = true
		}
		next.StepStartedAt, next.StepUsed = StepClock(next.Status, cat, cal).Start(now), 0
		next.StepLimit = StepLimit(next.Status, cat, cal, next.Urgent)
	}
	if !next.Status.Open() {
		closed := now
		if next.ClosedAt == nil && (next.Status == StatusClosed || next.Status == StatusRejected || next.Status == StatusMerged) {
			next.ClosedAt = &closed
		}
		next.DueAt, next.NextCheckAt, next.Light = nil, nil, ""
		return
	}
	Tick(next, cat, cal, now)
}

// Tick recomputes the traffic light of a case at now and the next instant
// at which it changes (80 % of the limit, then the deadline), which is when
// the scheduler looks again. A red case needs no more looks. cal is the
// county's working calendar (see StepClock).
func Tick(c *Case, cat *Category, cal *calendar.Calendar, now time.Time) {
	if c.StepLimit <= 0 || c.Status == StatusSuspended {
		c.DueAt, c.NextCheckAt, c.Light = nil, nil, ""
		return
	}
	cal = StepClock(c.Status, cat, cal)
	left := c.StepLimit - c.StepUsed
	due := addTime(cal, c.StepStartedAt, left)
	c.DueAt = &due
	used := c.StepUsed + cal.Elapsed(c.StepStartedAt, now)
	c.Light = string(calendar.TrafficLight(used, c.StepLimit))
	switch c.Light {
	case string(calendar.Green):
		yellow := cal.Add(c.StepStartedAt, c.StepLimit*4/5-c.StepUsed)
		c.NextCheckAt = &yellow
	case string(calendar.Yellow):
		c.NextCheckAt = &due
	default:
		c.NextCheckAt = nil
		c.Overdue = true
	}
}

// addTime is cal.Add, except that whole days keep the clock reading ("five
// days from Monday 10:00" ends at 10:00) across a daylight-saving change,
// where Add counts real time. Both agree everywhere else.
func addTime(cal *calendar.Calendar, start time.Time, d time.Duration) time.Time {
	if day := cal.DayLength(); d > 0 && d%day == 0 {
		return cal.AddDays(start, int(d/day))
	}
	return cal.Add(start, d)
}
