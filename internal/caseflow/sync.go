package caseflow

import (
	"context"
	"errors"
	"time"

	"github.com/wangge/wangge"
)

// Another system may own part of a case's life: a city's 311 system whose
// history is replayed into the platform, or a hotline platform (12345) that
// files cases already accepted and later reports them closed. Such a system
// speaks through an Open311 key allowed to sync (sqlstore.APIKey.Replay).
// What it reports is applied as the workflow's own steps, each taken by the
// role the workflow requires and recorded on the timeline with "via": the
// key's name, at the instant the system gives.

// ReportSynced files a case that the source system has already accepted: it
// is reported, accepted and, where exactly one routing rule applies,
// dispatched at now, all in one transaction. Otherwise it waits, accepted,
// for the operator to choose the department. The source watches the
// deadlines of the steps it takes: the scheduler does not act on the case
// until someone here takes a step, but a step the source reports after its
// deadline still marks the case overdue. noSLA files a case that the source
// holds to no deadline at all: its handling step has no clock.
func (s *Service) ReportSynced(ctx context.Context, c *wangge.Case, now time.Time, source string, noSLA bool) (*wangge.Case, error) {
	return s.report(ctx, c, now, &syncOpts{source: source, noSLA: noSLA})
}

// syncOpts says how a report from another system is filed.
type syncOpts struct {
	source string
	noSLA  bool
}

// Sync brings a case to closed at now, as the source system reports: from
// wherever it stands it takes the remaining steps (accept, dispatch, start,
// finish, verify, close; resume if suspended) in one transaction. A case
// that cannot be dispatched without an operator's choice is refused with a
// conflict, and a case already closed or rated is returned unchanged.
func (s *Service) Sync(ctx context.Context, id int64, now time.Time, source, note string) (*wangge.Case, error) {
	var evs []wangge.CaseEvent
	c, err := s.DB.UpdateCaseSteps(system(ctx), id, 0, true, func(cur wangge.Case) (wangge.Case, []wangge.CaseEvent, error) {
		if cur.Status == wangge.StatusClosed || cur.Status == wangge.StatusRated {
			return cur, nil, errAlreadyClosed
		}
		if now.Before(cur.ReportedAt) {
			return cur, nil, ErrBeforeReport
		}
		var err error
		evs, err = s.syncSteps(ctx, &cur, nil, source, now, towardsClose...)
		if err != nil {
			return cur, nil, err
		}
		if cur.Status != wangge.StatusClosed {
			return cur, nil, wangge.Errorf(wangge.ECONFLICT, "case %s is %s and cannot be closed by %s", cur.Number, cur.Status, source)
		}
		if note != "" {
			evs[len(evs)-1].Note = note
		}
		return cur, evs, nil
	})
	if errors.Is(err, errAlreadyClosed) {
		return s.DB.Case(system(ctx), id)
	}
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		s.Broker.Publish(Event{Action: ev.Action, Case: c})
	}
	return c, nil
}

var errAlreadyClosed = wangge.Errorf(wangge.ECONFLICT, "already closed")

// ErrBeforeReport refuses a step reported at an instant before the case was.
var ErrBeforeReport = wangge.Errorf(wangge.EINVALID, "before the case was reported")

// towardsClose is the order of the steps from report to close; syncSteps
// takes, of these, the ones the case's status allows.
var towardsClose = []wangge.Action{wangge.ActResume, wangge.ActAccept, wangge.ActDispatch, wangge.ActStart,
	wangge.ActFinish, wangge.ActVerifyOK, wangge.ActClose}

// syncSteps applies, in order, each of the actions that the case's status
// allows, as the source system, and appends their timeline rows to evs. A
// dispatch that the routing rules leave ambiguous stops the walk there.
func (s *Service) syncSteps(ctx context.Context, c *wangge.Case, evs []wangge.CaseEvent, source string, now time.Time, actions ...wangge.Action) ([]wangge.CaseEvent, error) {
	sys := system(ctx)
	for _, a := range actions {
		if !wangge.Takes(a, c.Status) {
			continue
		}
		next, ev, err := s.apply(sys, *c, wangge.Step{Action: a, Actor: wangge.SyncActor(a, source)}, now)
		if a == wangge.ActDispatch && wangge.ErrorFields(err)["department_id"] != "" {
			break // the operator chooses
		}
		if err != nil {
			return nil, err
		}
		if ev.Data == nil {
			ev.Data = map[string]any{}
		}
		ev.Data["via"] = source
		*c = next
		evs = append(evs, ev)
	}
	return evs, nil
}
