package caseflow

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"time"

	"github.com/wangge/wangge"
)

// ReportAnonymous files a resident's report made without an account and
// returns it with a tracking code, shown once, that lets the reporter
// follow and rate the case.
func (s *Service) ReportAnonymous(ctx context.Context, c *wangge.Case, now time.Time) (*wangge.Case, string, error) {
	c.Channel, c.ReporterID = wangge.ChannelResident, nil
	out, err := s.Report(system(ctx), c, now)
	if err != nil {
		return nil, "", err
	}
	b := make([]byte, 10)
	rand.Read(b)
	code := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	if err := s.DB.SetTrackingCode(ctx, out.ID, code); err != nil {
		return nil, "", err
	}
	return out, code, nil
}

// Track returns the case a number and tracking code name.
func (s *Service) Track(ctx context.Context, number, code string) (*wangge.Case, error) {
	return s.DB.CaseByTracking(ctx, number, code)
}

// RateAnonymous records the rating of the reporter who holds the tracking
// code: the platform rates on their behalf, as after a return visit.
func (s *Service) RateAnonymous(ctx context.Context, number, code string, rating int, note string, now time.Time) (*wangge.Case, error) {
	c, err := s.Track(ctx, number, code)
	if err != nil {
		return nil, err
	}
	sys := system(ctx)
	step := wangge.Step{Action: wangge.ActRate, Actor: wangge.UserFromContext(sys), Rating: rating, Note: note}
	out, err := s.DB.UpdateCase(sys, c.ID, 0, true, func(cur wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
		next, ev, err := s.apply(sys, cur, step, now)
		ev.Data = map[string]any{"rating": rating, "by": "reporter (tracking code)"}
		ev.ActorID = nil
		return next, ev, err
	})
	if err == nil {
		s.Broker.Publish(Event{Action: string(wangge.ActRate), Case: out})
	}
	return out, err
}
