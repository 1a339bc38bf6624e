package wangge

import (
	"time"

	"github.com/wangge/wangge/calendar"
)

// StepLimit is the working time allowed for the step a case in status s
// waits on: accepting a report, dispatching it, handling it (dispatched and
// in progress share one clock), verifying it. Other statuses have no clock.
// Urgent cases get half the time.
func StepLimit(s Status, cat *Category, day time.Duration, urgent bool) time.Duration {
	var l Limit
	switch s {
	case StatusReported:
		l = cat.Limits.Accept
	case StatusAccepted:
		l = cat.Limits.Dispatch
	case StatusDispatched, StatusInProgress:
		l = cat.Limits.Handle
	case StatusHandled:
		l = cat.Limits.Verify
	default:
		return 0
	}
	d := l.Duration(day)
	if urgent {
		d /= 2
	}
	return d
}

// Retime sets the clock fields of next, the case after action was applied
// to prev at now: a new step starts a new clock; starting work keeps the
// handling clock; suspension banks the working time used and stops the
// clock; resumption continues it; an approved extension adds working time.
// ext is the extension granted (approve_extension only).
func Retime(prev Case, next *Case, action Action, ext time.Duration, cat *Category, cal *calendar.Calendar, now time.Time) {
	day := cal.DayLength()
	switch {
	case action == ActSuspend:
		next.StepUsed = prev.StepUsed + cal.Elapsed(prev.StepStartedAt, now)
		next.NextCheckAt = nil
		return
	case action == ActResume:
		next.StepStartedAt = now
	case action == ActApproveExtension:
		next.StepLimit = prev.StepLimit + ext
	case action == ActUrgent:
		// Half of what is left: the clock keeps running from where it is.
		used := prev.StepUsed + cal.Elapsed(prev.StepStartedAt, now)
		if left := prev.StepLimit - used; left > 0 {
			next.StepLimit = used + left/2
		}
	case next.Status != prev.Status && !(prev.Status == StatusDispatched && next.Status == StatusInProgress):
		next.StepStartedAt, next.StepUsed = now, 0
		next.StepLimit = StepLimit(next.Status, cat, day, next.Urgent)
	}
	if !next.Status.Open() {
		closed := now
		if next.ClosedAt == nil && (next.Status == StatusClosed || next.Status == StatusRejected || next.Status == StatusMerged) {
			next.ClosedAt = &closed
		}
		next.DueAt, next.NextCheckAt, next.Light = nil, nil, ""
		return
	}
	Tick(next, cal, now)
}

// Tick recomputes the traffic light of a case at now and the next instant
// at which it changes (80 % of the limit, then the deadline), which is when
// the scheduler looks again. A red case needs no more looks.
func Tick(c *Case, cal *calendar.Calendar, now time.Time) {
	if c.StepLimit <= 0 || c.Status == StatusSuspended {
		c.DueAt, c.NextCheckAt, c.Light = nil, nil, ""
		return
	}
	left := c.StepLimit - c.StepUsed
	due := cal.Add(c.StepStartedAt, left)
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
