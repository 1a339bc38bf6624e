// Package caseflow runs the closed loop: it places reported cases in the
// territory and the catalogue, applies the workflow with its deadlines on
// the working calendar, routes dispatches, and acts on deadlines.
package caseflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
)

// Service is the case loop over a database and a locator.
type Service struct {
	DB       *sqlstore.DB
	Locator  *territory.Locator
	Calendar *calendar.Calendar
	// A new case of the same category within DuplicateRadius metres and
	// DuplicateWindow of an open one is flagged as its probable duplicate.
	DuplicateRadius float64
	DuplicateWindow time.Duration
	Logger          *slog.Logger
	Broker          *Broker // committed changes, for live listeners

	mu         sync.Mutex
	categories map[string]*wangge.Category
	calendars  []unitCalendar // longest unit code first; nil until loaded
	// when they were read: they are read again after configTTL, in case
	// another server's word of a change was lost (see WatchConfig)
	categoriesAt, calendarsAt time.Time
}

// unitCalendar is the working calendar of a unit's subtree.
type unitCalendar struct {
	code string
	cal  *calendar.Calendar
}

// New returns a service on the Chinese national calendar.
func New(db *sqlstore.DB, loc *territory.Locator) *Service {
	return &Service{DB: db, Locator: loc, Calendar: calendar.China(), DuplicateRadius: 50, DuplicateWindow: 24 * time.Hour, Logger: slog.Default(), Broker: NewBroker()}
}

// system acts with the platform's own authority (the scheduler, intake).
func system(ctx context.Context) context.Context {
	return wangge.NewContextWithUser(ctx, &wangge.User{Username: "system", Role: wangge.RoleAdmin})
}

// Category returns a leaf category of the stored catalogue.
func (s *Service) Category(ctx context.Context, code string) (*wangge.Category, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.categories == nil || time.Since(s.categoriesAt) > configTTL {
		cat, err := s.DB.Catalogue(ctx)
		if err != nil {
			return nil, err
		}
		s.categories, s.categoriesAt = map[string]*wangge.Category{}, time.Now()
		for i := range cat.Categories {
			s.categories[cat.Categories[i].Code] = &cat.Categories[i]
		}
	}
	c := s.categories[code]
	if c == nil || !c.Leaf() {
		return nil, wangge.FieldError("category", fmt.Sprintf("unknown category %q", code))
	}
	return c, nil
}

// CalendarFor returns the working calendar of a unit: the stored calendar of
// the nearest unit at or above it (unit codes extend their parent's code),
// else the service's default Calendar.
func (s *Service) CalendarFor(ctx context.Context, unitCode string) (*calendar.Calendar, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calendars == nil || time.Since(s.calendarsAt) > configTTL {
		stored, err := s.DB.Calendars(ctx)
		if err != nil {
			return nil, err
		}
		list := []unitCalendar{}
		for _, sc := range stored {
			cal, err := sc.Calendar.Build()
			if err != nil {
				// Stored calendars were built when they were saved; one that
				// no longer builds (a time zone gone from the system's
				// database) must not silently fall back to another clock.
				return nil, fmt.Errorf("calendar of unit %s: %w", sc.UnitCode, err)
			}
			list = append(list, unitCalendar{sc.UnitCode, cal})
		}
		sort.Slice(list, func(i, j int) bool { return len(list[i].code) > len(list[j].code) })
		s.calendars, s.calendarsAt = list, time.Now()
	}
	for _, uc := range s.calendars {
		if strings.HasPrefix(unitCode, uc.code) {
			return uc.cal, nil
		}
	}
	return s.Calendar, nil
}

// CalendarsChanged drops the cached calendars, here and (PostgreSQL) on
// the other servers.
func (s *Service) CalendarsChanged() {
	s.forget("calendars")
	s.tell("calendars")
}

// CatalogueChanged drops the cached catalogue, here and (PostgreSQL) on the
// other servers.
func (s *Service) CatalogueChanged() {
	s.forget("catalogue")
	s.tell("catalogue")
}

func (s *Service) forget(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch kind {
	case "calendars":
		s.calendars = nil
	case "catalogue":
		s.categories = nil
	case "units":
		s.DB.Forget(kind)
		if s.Locator != nil {
			s.Locator.Poke() // a report filed here next is placed in the new units
		}
	default:
		s.DB.Forget(kind)
	}
}

func (s *Service) tell(kind string) {
	if s.DB.Dialect() != sqlstore.Postgres {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.DB.Notify(ctx, sqlstore.ConfigTopic, kind); err != nil {
		s.Logger.Warn("tell the other servers", "changed", kind, "err", err)
	}
}

// configTTL bounds how long a server keeps the catalogue and calendars it
// read, should word of another server's change be lost.
const configTTL = 5 * time.Minute

// WatchConfig forgets what this server remembers of the catalogue,
// calendars, units, API keys and routing when another server on the same
// PostgreSQL changes them, until ctx ends; ready is closed once it listens.
// A notification sent while its connection was down is lost; the memos'
// lifetimes (configTTL here, shorter in sqlstore) bound what that costs.
func (s *Service) WatchConfig(ctx context.Context, ready chan<- struct{}) error {
	err := s.DB.Listen(ctx, sqlstore.ConfigTopic, ready, func(kind string) { s.forget(kind) })
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Report files a new case. The case carries what was reported: description,
// category, channel, reporter, and either a point (Lon, Lat in CRS) or a
// unit code. It is placed in the deepest unit containing the point, gets
// its category's kind and handling level, its first deadline, and a
// probable-duplicate mark. A retried report with the same idempotency key
// returns the first one.
func (s *Service) Report(ctx context.Context, c *wangge.Case, now time.Time) (*wangge.Case, error) {
	return s.report(ctx, c, now, nil)
}

// report is Report; a case synced from another system (sync not nil) is
// also accepted and, where one routing rule applies, dispatched at now, in
// the same transaction (see ReportSynced).
func (s *Service) report(ctx context.Context, c *wangge.Case, now time.Time, sync *syncOpts) (*wangge.Case, error) {
	if err := c.ValidateReport(); err != nil {
		return nil, err
	}
	cat, err := s.Category(ctx, c.Category)
	if err != nil {
		return nil, err
	}
	if err := s.place(ctx, c); err != nil {
		return nil, err
	}
	cal, err := s.CalendarFor(ctx, c.UnitCode)
	if err != nil {
		return nil, err
	}
	c.Kind, c.Level = cat.Kind, cat.Level
	c.Status, c.ReportedAt = wangge.StatusReported, now
	wangge.StartClock(c, cat, cal, now)
	ev := wangge.CaseEvent{At: now, ActorID: c.ReporterID, Action: "report", To: wangge.StatusReported,
		Data: map[string]any{"channel": c.Channel}}
	if sync != nil {
		ev.Data["via"] = sync.source
	}
	evs := []wangge.CaseEvent{ev}
	if sync != nil {
		var err error
		if evs, err = s.syncSteps(ctx, c, evs, sync.source, now, wangge.ActAccept, wangge.ActDispatch); err != nil {
			return nil, err
		}
		c.NextCheckAt = nil
		if sync.noSLA {
			c.StepLimit, c.DueAt, c.Light = 0, nil, ""
		}
	}
	// The duplicate lookup runs in the transaction that files the case: two
	// reports of one matter at the same moment see each other, and the
	// writer's warm cache answers faster than a fresh read transaction.
	created, err := s.DB.CreateCaseChecked(ctx, c, func(tx *sqlstore.Tx) error {
		dup, err := s.duplicateOf(ctx, tx, c, now)
		if err != nil || dup == nil {
			return err
		}
		c.DuplicateOf = &dup.ID
		evs[0].Data["probable_duplicate_of"] = dup.ID // the report's row
		return nil
	}, evs...)
	if err != nil {
		return nil, err
	}
	if created {
		for _, ev := range evs {
			s.Broker.Publish(Event{Action: ev.Action, Case: c})
		}
	}
	return c, nil
}

// place sets the case's unit from its point or its unit code.
func (s *Service) place(ctx context.Context, c *wangge.Case) error {
	if c.Lat == 0 && c.Lon == 0 {
		if c.UnitCode == "" {
			return wangge.FieldError("lat", "a point (lat, lon) or a unit_code is required")
		}
		u, err := s.DB.Unit(system(ctx), c.UnitCode)
		if err != nil {
			return wangge.FieldError("unit_code", "unknown unit")
		}
		c.UnitID, c.CRS = u.ID, ""
		return nil
	}
	if c.Lat < -90 || c.Lat > 90 || math.IsNaN(c.Lat) {
		return wangge.FieldError("lat", "out of range")
	}
	if c.Lon < -180 || c.Lon > 180 || math.IsNaN(c.Lon) {
		return wangge.FieldError("lon", "out of range")
	}
	crs, err := geo.ParseCRS(c.CRS)
	if err != nil {
		return err
	}
	p := geo.Convert(geo.Point{X: c.Lon, Y: c.Lat}, crs, geo.WGS84)
	hits := s.Locator.Locate(p)
	if len(hits) == 0 {
		return wangge.FieldError("lat", "the point lies outside every unit of the platform")
	}
	deepest := hits[len(hits)-1]
	c.Lon, c.Lat, c.CRS = p.X, p.Y, string(crs)
	c.UnitID, c.UnitCode = deepest.ID, deepest.Code
	return nil
}

// duplicateOf finds an open case of the same category near the new one.
func (s *Service) duplicateOf(ctx context.Context, tx *sqlstore.Tx, c *wangge.Case, now time.Time) (*wangge.Case, error) {
	if s.DuplicateRadius <= 0 || (c.Lat == 0 && c.Lon == 0) {
		return nil, nil
	}
	dLat := s.DuplicateRadius / 111_320
	dLon := dLat / math.Max(0.01, math.Cos(c.Lat*math.Pi/180))
	near, err := tx.RecentCasesNear(ctx, c.Category, now.Add(-s.DuplicateWindow), [4]float64{c.Lon - dLon, c.Lat - dLat, c.Lon + dLon, c.Lat + dLat})
	if err != nil {
		return nil, err
	}
	for _, o := range near {
		if geo.Distance(geo.Point{X: o.Lon, Y: o.Lat}, geo.Point{X: c.Lon, Y: c.Lat}) <= s.DuplicateRadius {
			return o, nil
		}
	}
	return nil, nil
}

// Act applies a step to a case as the context's user. version, when not
// zero, must be the case's current version. A dispatch without a
// department is routed by the rules: one matching department is used,
// otherwise the operator must choose.
func (s *Service) Act(ctx context.Context, id int64, version int, step wangge.Step, now time.Time) (*wangge.Case, error) {
	step.Actor = wangge.UserFromContext(ctx)
	c, err := s.DB.UpdateCase(ctx, id, version, false, func(cur wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
		return s.apply(ctx, cur, step, now)
	})
	if err == nil {
		s.Broker.Publish(Event{Action: string(step.Action), Case: c})
	}
	return c, err
}

func (s *Service) apply(ctx context.Context, cur wangge.Case, step wangge.Step, now time.Time) (wangge.Case, wangge.CaseEvent, error) {
	cat, err := s.Category(ctx, cur.Category)
	if err != nil {
		return cur, wangge.CaseEvent{}, err
	}
	data := map[string]any{}
	if step.Action == wangge.ActDispatch && step.Department == nil {
		ds, err := s.DB.Route(ctx, cur.Category, cur.Level, cur.UnitCode)
		if err != nil {
			return cur, wangge.CaseEvent{}, err
		}
		if len(ds) != 1 {
			return cur, wangge.CaseEvent{}, wangge.FieldError("department_id", "no single routing rule applies: choose the department")
		}
		step.Department = &ds[0]
		data["routed"] = true
	}
	if step.Action == wangge.ActMerge {
		if _, err := s.DB.Case(ctx, step.SurvivorID); err != nil {
			return cur, wangge.CaseEvent{}, wangge.FieldError("survivor_id", "no such case")
		}
	}
	next, err := wangge.Apply(cur, step)
	if err != nil {
		return cur, wangge.CaseEvent{}, err
	}
	if step.Action == wangge.ActMerge {
		next.MergedInto = &step.SurvivorID
		data["merged_into"] = step.SurvivorID
	}
	if step.Department != nil {
		data["department_id"] = *step.Department
	}
	if step.Card != "" {
		data["card"] = step.Card
	}
	if step.Rating != 0 {
		data["rating"] = step.Rating
	}
	if step.Extension != 0 {
		data["extension_hours"] = step.Extension.Hours()
	}
	if next.Level != cur.Level {
		data["level"] = next.Level
	}
	cal, err := s.CalendarFor(ctx, cur.UnitCode)
	if err != nil {
		return cur, wangge.CaseEvent{}, err
	}
	wangge.Retime(cur, &next, step.Action, step.Extension, cat, cal, now)
	var actor *int64
	if step.Actor != nil && step.Actor.ID != 0 {
		actor = &step.Actor.ID
	}
	ev := wangge.CaseEvent{At: now, ActorID: actor, Action: string(step.Action), From: cur.Status, To: next.Status, Note: step.Note}
	if len(data) > 0 {
		ev.Data = data
	}
	return next, ev, nil
}

// errNothingDue tells UpdateCase that a claimed case needs nothing now
// (another server got there first).
var errNothingDue = errors.New("nothing due")

// Tick acts on every case whose next look is due at now: the light turns
// yellow or red, an event is written, and a category that says so
// escalates its overdue cases. It returns how many cases it changed. Its
// cost grows with the cases coming due, not with the cases open. Each case
// is its own transaction; tickWorkers of them run at once, so that on SQLite
// they share commits (group commit) and on PostgreSQL their round trips
// overlap.
func (s *Service) Tick(ctx context.Context, now time.Time, batch int) (int, error) {
	ids, err := s.DB.DueCases(ctx, now, batch)
	if err != nil {
		return 0, err
	}
	var (
		n  atomic.Int64
		wg sync.WaitGroup
	)
	next := make(chan int64)
	for range min(tickWorkers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				changed, err := s.tickCase(ctx, id, now)
				switch {
				case err != nil && ctx.Err() == nil:
					// One case that fails must not hold up the others, which
					// are due after it: it is looked at again in a minute.
					s.Logger.Error("scheduler: case", "case", id, "err", err)
					if err := s.DB.DeferCheck(ctx, id, now.Add(time.Minute)); err != nil {
						s.Logger.Error("scheduler: defer case", "case", id, "err", err)
					}
				case changed:
					n.Add(1)
				}
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return int(n.Load()), ctx.Err()
}

// Interval is how often the server's scheduler looks for due cases. A look
// costs an index probe (about 0.1 ms), so a deadline waits at most this
// long for its action.
const Interval = 250 * time.Millisecond

// tickWorkers is how many due cases the scheduler acts on at once.
const tickWorkers = 8

// tickCase acts on one due case, under its row lock, if it is still due.
func (s *Service) tickCase(ctx context.Context, id int64, now time.Time) (bool, error) {
	var action string
	c, err := s.DB.UpdateCase(sqlstore.ClaimContext(system(ctx)), id, 0, true, func(cur wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
		if cur.NextCheckAt == nil || cur.NextCheckAt.After(now) {
			return cur, wangge.CaseEvent{}, errNothingDue
		}
		cat, err := s.Category(ctx, cur.Category)
		if err != nil {
			return cur, wangge.CaseEvent{}, err
		}
		cal, err := s.CalendarFor(ctx, cur.UnitCode)
		if err != nil {
			return cur, wangge.CaseEvent{}, err
		}
		next := cur
		wangge.Tick(&next, cat, cal, now)
		ev := wangge.CaseEvent{At: now, Action: next.Light, From: cur.Status, To: next.Status,
			Data: map[string]any{"due_at": next.DueAt}}
		if next.Light == "red" {
			ev.Action = "overdue"
			// A level that cannot resolve a case in time reports it up; a slow
			// accept or dispatch is the centre's delay, not a reason to escalate.
			handling := cur.Status == wangge.StatusDispatched || cur.Status == wangge.StatusInProgress
			if cat.AutoEscalate && handling {
				esc, err := wangge.Apply(next, wangge.Step{Action: wangge.ActEscalate, Actor: &wangge.User{Role: wangge.RoleAdmin}, ToLevel: cat.SkipToLevel})
				if err == nil {
					wangge.Retime(next, &esc, wangge.ActEscalate, 0, cat, cal, now)
					ev.Action, ev.To = "auto_escalate", esc.Status
					ev.Data["level"] = esc.Level
					next = esc
				}
			}
		}
		action = ev.Action
		return next, ev, nil
	})
	switch {
	case errors.Is(err, errNothingDue), errors.Is(err, sqlstore.ErrLocked):
		return false, nil
	case err != nil:
		return false, err
	}
	s.Broker.Publish(Event{Action: action, Case: c})
	return true, nil
}

// Run ticks every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration, now func() time.Time) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for {
				n, err := s.Tick(ctx, now(), 500)
				if err != nil && ctx.Err() == nil {
					s.Logger.Error("scheduler tick", "err", err)
				}
				if err != nil || n < 500 {
					break
				}
			}
		}
	}
}
