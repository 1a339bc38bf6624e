package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/sqlstore"
)

// filler makes the cases of the scheduler bench from what the database
// holds: its deepest units, the leaf categories of its catalogue and its
// departments. Case i is a function of i alone, as LoadCases requires.
type filler struct {
	units []*wangge.Unit
	cats  []*wangge.Category
	depts []int64
	cal   *calendar.Calendar
	seed  uint64

	now0, horizon time.Time     // background: "now", and the earliest next look
	start         time.Time     // stream: the first next look
	every         time.Duration // stream: between next looks
}

func newFiller(ctx context.Context, db *sqlstore.DB, svc *caseflow.Service, seed uint64) (*filler, error) {
	sys := wangge.NewContextWithUser(ctx, &wangge.User{Username: "system", Role: wangge.RoleAdmin})
	f := &filler{cal: svc.Calendar, seed: seed}
	for _, lv := range []wangge.Level{wangge.LevelMicroGrid, wangge.LevelGrid, wangge.LevelCommunity, wangge.LevelStreet, wangge.LevelCounty} {
		us, _, err := db.FindUnits(sys, wangge.UnitFilter{Level: lv, Limit: 1000})
		if err != nil {
			return nil, err
		}
		if len(us) > 0 {
			f.units = us
			break
		}
	}
	cat, err := db.Catalogue(sys)
	if err != nil {
		return nil, err
	}
	for i := range cat.Categories {
		if c := &cat.Categories[i]; c.Leaf() {
			f.cats = append(f.cats, c)
		}
	}
	ds, err := db.Departments(sys)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		f.depts = append(f.depts, d.ID)
	}
	if len(f.units) == 0 || len(f.cats) == 0 || len(f.depts) == 0 {
		return nil, fmt.Errorf("the database needs units, a catalogue and departments to put cases in (has %d, %d, %d)", len(f.units), len(f.cats), len(f.depts))
	}
	return f, nil
}

// mix hashes i into 64 random-looking bits (SplitMix64).
func (f *filler) mix(i int, salt uint64) uint64 {
	z := f.seed + uint64(i)*0x9e3779b97f4a7c15 + salt
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// base fills what every bench case has.
func (f *filler) base(i int, c *wangge.Case, h uint64) *wangge.Category {
	u := f.units[h%uint64(len(f.units))]
	cat := f.cats[(h>>20)%uint64(len(f.cats))]
	c.UnitID, c.UnitCode = u.ID, u.Code
	c.Category, c.Kind, c.Level = cat.Code, cat.Kind, cat.Level
	c.Channel = wangge.ChannelGridWorker
	c.Description = "压测案件 (bench case)"
	if u.BBox != nil {
		b := u.BBox
		c.Lon, c.Lat = (b[0]+b[2])/2, (b[1]+b[3])/2
	}
	return cat
}

// background is open case i as the case loop would have left it at now0:
// reported in the last ten days, in a status of the loop, with its clock
// ticked at now0. Its next look is pushed past horizon, so that only the
// stream comes due during the run.
func (f *filler) background(i int, c *wangge.Case) {
	h := f.mix(i, 1)
	cat := f.base(i, c, h)
	c.ReportedAt = f.now0.Add(-time.Duration((h>>32)%(10*24*3600)) * time.Second)
	c.StepStartedAt = c.ReportedAt
	switch p := (h >> 8) % 100; {
	case p < 10:
		c.Status = wangge.StatusReported
	case p < 20:
		c.Status = wangge.StatusAccepted
	case p < 50:
		c.Status = wangge.StatusDispatched
	case p < 85:
		c.Status = wangge.StatusInProgress
	case p < 95:
		c.Status = wangge.StatusHandled
	default:
		c.Status, c.SuspendedFrom = wangge.StatusSuspended, wangge.StatusInProgress
	}
	switch c.Status {
	case wangge.StatusReported, wangge.StatusAccepted:
	default:
		d := f.depts[(h>>44)%uint64(len(f.depts))]
		c.DepartmentID = &d
		c.StepStartedAt = c.ReportedAt.Add(time.Duration((h>>50)%7200) * time.Second)
	}
	c.StepLimit = wangge.StepLimit(c.Status, cat, f.cal, false)
	if c.Status == wangge.StatusSuspended {
		c.StepLimit = wangge.StepLimit(wangge.StatusInProgress, cat, f.cal, false)
		c.StepUsed = c.StepLimit / 3
	}
	wangge.Tick(c, cat, f.cal, f.now0)
	if c.NextCheckAt != nil && c.NextCheckAt.Before(f.horizon) {
		t := f.horizon.Add(time.Duration(h%(20*24*3600)) * time.Second)
		c.NextCheckAt = &t
	}
}

// stream is case i of those coming due during the run: a handling step
// started 30 days before its next look, with at most five working days
// allowed, so that at its next look it is overdue.
func (f *filler) stream(i int, c *wangge.Case) {
	h := f.mix(i, 2)
	cat := f.base(i, c, h)
	next := f.start.Add(time.Duration(i) * f.every)
	c.Status = wangge.StatusDispatched
	if h%2 == 0 {
		c.Status = wangge.StatusInProgress
	}
	d := f.depts[(h>>44)%uint64(len(f.depts))]
	c.DepartmentID = &d
	c.StepStartedAt = next.Add(-30 * 24 * time.Hour)
	c.ReportedAt = c.StepStartedAt.Add(-2 * time.Hour)
	c.StepLimit = min(wangge.StepLimit(c.Status, cat, f.cal, false), 5*f.cal.DayLength())
	c.Light, c.DueAt, c.NextCheckAt = "yellow", &next, &next
}
