package gen

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/catalogue"
)

// The mixes of the generated cases. Shares are of all cases unless said.
var (
	// kindShares: most matters are events of the street scene; disputes,
	// hazards and service requests follow.
	kindShares = map[wangge.Kind]float64{
		wangge.KindEvent: 0.45, wangge.KindFacility: 0.20, wangge.KindDispute: 0.15, wangge.KindHazard: 0.12, wangge.KindService: 0.08,
	}
	// channels: grid workers find most matters; the 12345 hotline, residents
	// and departments bring the rest.
	channels = []struct {
		ch    wangge.Channel
		share float64
		zh    string
	}{
		{wangge.ChannelGridWorker, 0.60, "网格员巡查发现："},
		{wangge.ChannelHotline, 0.20, "群众来电反映（12345）："},
		{wangge.ChannelResident, 0.15, "群众随手拍反映："},
		{wangge.ChannelDepartment, 0.05, "部门移交："},
	}
	// ratings of closed cases, 1..5 stars, without and with an overdue step.
	ratings        = [5]float64{0.02, 0.02, 0.06, 0.18, 0.72}
	overdueRatings = [5]float64{0.08, 0.08, 0.16, 0.28, 0.40}
)

const (
	rejectShare      = 0.015 // not accepted (不予受理)
	selfResolveShare = 0.70  // of grid-level matters found by a grid worker: 小事不出格
	escalateShare    = 0.03  // reported up one level
	reworkShare      = 0.04  // sent back once at verification
	urgentShare      = 0.02
	rateShare        = 0.60 // of closed cases, rated by the resident within three days
	// A case gets stuck (waits at a step with no end in sight) with a
	// probability that falls with its age, from 14.5 % for a case reported
	// today to 2.5 % for one two years old: about 4 % of all cases, which with
	// the cases still in their normal course leaves some 95 % closed.
	stuckBase, stuckRecent, stuckDays = 0.025, 0.12, 90.0
	suspendShare                      = 0.10 // of stuck cases, suspended (挂起)
)

// stepFactor is the log-normal spread of the time a step takes, as a
// fraction of its limit: the median and sigma of the fraction. Accepting,
// dispatching and verifying rarely run late (about 1 %), handling does in
// about one case in ten.
var stepFactor = map[wangge.Status][2]float64{
	wangge.StatusReported: {0.15, 0.8}, wangge.StatusAccepted: {0.15, 0.8},
	wangge.StatusDispatched: {0.4, 0.7}, wangge.StatusHandled: {0.2, 0.7},
}

// Cases generates the historical cases of a province: case i is a function
// of i and the parameters alone, as LoadCases requires, and ReportedAt
// grows with i, so that ids follow report time as they would have.
type Cases struct {
	p        *Province
	n        int
	seed     uint64
	now      time.Time
	start    time.Time
	cal      *calendar.Calendar
	cats     []*wangge.Category
	catCum   []float64 // cumulative share of cats
	gridCum  []float64 // cumulative activity of grids
	hourCum  []float64 // cumulative report rate of the span's hours
	unitID0  int64
	catDept  []int     // per cat: index into depts
	depts    []string  // department codes of the catalogue
	deptIDs  [][]int64 // [county][dept] database id
	ladder   map[wangge.Level]wangge.Level
	descByCh [][]string // [channel][cat] description
}

// DepartmentsFor returns the departments a province needs for cat: for
// every department code the catalogue names, one at the province (with
// the catalogue's code, as the catalogue refers to it) and one in each
// county (code + county code), which routing sends that county's cases to.
func (p *Province) DepartmentsFor(cat *wangge.Catalogue) []wangge.Department {
	codes := catalogue.Departments(cat)
	out := make([]wangge.Department, 0, len(codes)*(1+p.lv[lvCounty].n()))
	for _, d := range codes {
		zh, en := deptName(d)
		out = append(out, wangge.Department{Code: d, NameZH: "浙江省" + zh, NameEN: "Zhejiang " + en, UnitCode: ProvinceCode})
	}
	for k := range p.lv[lvCounty].n() {
		county := p.code(lvCounty, k)
		czh, cen := p.name(lvCounty, k)
		for _, d := range codes {
			zh, en := deptName(d)
			out = append(out, wangge.Department{Code: d + county, NameZH: czh + zh, NameEN: cen + " " + en, UnitCode: county})
		}
	}
	return out
}

// deptName names a department of the default catalogue by its code.
func deptName(code string) (zh, en string) {
	if n, ok := deptNames[code]; ok {
		return n[0], n[1]
	}
	return code, code
}

var deptNames = map[string][2]string{
	"gaj": {"公安局", "Public Security Bureau"}, "cgj": {"城市管理局", "Urban Management Bureau"},
	"mzj": {"民政局", "Civil Affairs Bureau"}, "scjgj": {"市场监督管理局", "Market Supervision Administration"},
	"sthjj": {"生态环境分局", "Ecology and Environment Bureau"}, "xfjy": {"消防救援大队", "Fire and Rescue Brigade"},
	"swj": {"水务局", "Water Affairs Bureau"}, "gdgs": {"供电公司", "Power Supply Company"},
	"zjj": {"住房和城乡建设局", "Housing and Urban-Rural Development Bureau"}, "sfj": {"司法局", "Justice Bureau"},
	"wjw": {"卫生健康局", "Health Bureau"}, "jtj": {"交通运输局", "Transport Bureau"},
}

// NewCases prepares n cases of the province reported in the two years
// before now, filed under the leaf categories of cat, timed on cal. unitID0
// is the database id of unit 0 (the province; units have consecutive ids in
// code order) and deptIDs the database ids of DepartmentsFor by code.
func NewCases(p *Province, n int, seed uint64, now time.Time, cat *wangge.Catalogue, cal *calendar.Calendar, unitID0 int64, deptIDs map[string]int64) (*Cases, error) {
	if err := (Params{Grids: p.NumGrids(), Cases: n, Now: now}).Validate(); err != nil {
		return nil, err
	}
	g := &Cases{p: p, n: n, seed: seed, now: now, start: now.Add(-Span), cal: cal, unitID0: unitID0,
		depts: catalogue.Departments(cat)}
	g.ladder = map[wangge.Level]wangge.Level{}
	for i := 0; i+1 < len(wangge.EscalationLadder); i++ {
		g.ladder[wangge.EscalationLadder[i]] = wangge.EscalationLadder[i+1]
	}
	// Categories: the kind's share, then Zipf (1/rank) over the kind's
	// leaves in catalogue order, which lists the common matters first.
	byKind := map[wangge.Kind][]*wangge.Category{}
	for _, c := range catalogue.Leaves(cat) {
		if c.Department == "" {
			return nil, fmt.Errorf("gen: category %s has no department to route to", c.Code)
		}
		byKind[c.Kind] = append(byKind[c.Kind], c)
	}
	var kinds float64
	for k, cs := range byKind {
		if len(cs) > 0 {
			kinds += kindShares[k]
		}
	}
	acc := 0.0
	for _, k := range wangge.Kinds {
		cs := byKind[k]
		var h float64
		for r := range cs {
			h += 1 / float64(r+1)
		}
		for r, c := range cs {
			acc += kindShares[k] / kinds / float64(r+1) / h
			g.cats = append(g.cats, c)
			g.catCum = append(g.catCum, acc)
		}
	}
	if len(g.cats) == 0 {
		return nil, fmt.Errorf("gen: the catalogue has no categories of the known kinds")
	}
	g.catCum[len(g.catCum)-1] = 1
	deptIdx := map[string]int{}
	for i, d := range g.depts {
		deptIdx[d] = i
	}
	for _, c := range g.cats {
		g.catDept = append(g.catDept, deptIdx[c.Department])
	}
	g.deptIDs = make([][]int64, p.lv[lvCounty].n())
	for k := range g.deptIDs {
		county := p.code(lvCounty, k)
		g.deptIDs[k] = make([]int64, len(g.depts))
		for j, d := range g.depts {
			id, ok := deptIDs[d+county]
			if !ok {
				return nil, fmt.Errorf("gen: no id for department %s", d+county)
			}
			g.deptIDs[k][j] = id
		}
	}
	g.descByCh = make([][]string, len(channels))
	for ch := range channels {
		for _, c := range g.cats {
			g.descByCh[ch] = append(g.descByCh[ch], channels[ch].zh+c.NameZH)
		}
	}

	// Grids: activity in proportion to households, times a log-normal
	// factor (a market street reports far more than a quiet village).
	g.gridCum = make([]float64, p.NumGrids())
	acc = 0
	for i := range g.gridCum {
		h := hash(seed, 11, uint64(i))
		acc += float64(p.lv[lvGrid].house[i]) * math.Exp(0.6*normal(h, mix(h)))
		g.gridCum[i] = acc
	}
	// Hours: working days and working hours busier, a season, and a growth
	// of a quarter over the two years as the platform takes hold.
	hours := int(Span / time.Hour)
	g.hourCum = make([]float64, hours)
	acc = 0
	for k := range hours {
		t := g.start.Add(time.Duration(k) * time.Hour).In(wangge.ChinaTime)
		w := hourRate[t.Hour()]
		switch t.Weekday() {
		case time.Saturday:
			w *= 0.7
		case time.Sunday:
			w *= 0.6
		}
		w *= 1 + 0.15*math.Sin(2*math.Pi*float64(t.YearDay()-120)/365)
		w *= 1 + 0.25*float64(k)/float64(hours)
		acc += w
		g.hourCum[k] = acc
	}
	return g, nil
}

// hourRate is the relative report rate of each hour of the day (China time).
var hourRate = [24]float64{0.10, 0.06, 0.04, 0.04, 0.05, 0.10, 0.30, 0.70, 1.30, 1.60, 1.60, 1.40,
	0.90, 0.90, 1.40, 1.50, 1.50, 1.30, 0.90, 0.70, 0.60, 0.45, 0.30, 0.18}

// Len is the number of cases.
func (g *Cases) Len() int { return g.n }

// pick returns the index of the first cumulative weight above u×total.
func pick(cum []float64, u float64) int {
	x := u * cum[len(cum)-1]
	return min(sort.SearchFloat64s(cum, x), len(cum)-1)
}

// step is one stretch of a case's life: the status it waits in and how
// long it waits there (working time on the status's clock).
type step struct {
	status wangge.Status
	d      time.Duration
}

// Case fills c with case i: reported in the two years before now, in a
// grid, a point inside it, a category, and as far along the loop as its
// drawn step durations take it by now.
func (g *Cases) Case(i int, c *wangge.Case) {
	*c = wangge.Case{}
	r := caseRand{seed: g.seed, i: uint64(i)}
	// When: the (i + r)/n quantile of the report rate, so that report time
	// grows with i.
	u := (float64(i) + r.f()) / float64(g.n)
	k := pick(g.hourCum, u)
	lo := 0.0
	if k > 0 {
		lo = g.hourCum[k-1]
	}
	frac := (u*g.hourCum[len(g.hourCum)-1] - lo) / (g.hourCum[k] - lo)
	c.ReportedAt = g.start.Add(time.Duration(k)*time.Hour + time.Duration(clampF(frac, 0, 0.9999)*float64(time.Hour))).Truncate(time.Second).UTC()

	// Where and what.
	grid := pick(g.gridCum, r.f())
	ci := pick(g.catCum, r.f())
	cat := g.cats[ci]
	c.UnitID, c.UnitCode = g.unitID0+int64(g.p.GridPos(grid)), g.p.code(lvGrid, grid)
	pt := g.p.GridPoint(grid, r.f(), r.f(), r.f())
	c.Lon, c.Lat, c.CRS = pt.X, pt.Y, "wgs84"
	c.Category, c.Kind, c.Level = cat.Code, cat.Kind, cat.Level
	ch := 0
	for x, acc := r.f(), 0.0; ch < len(channels)-1; ch++ {
		if acc += channels[ch].share; x < acc {
			break
		}
	}
	c.Channel = channels[ch].ch
	c.Title = cat.NameZH
	c.Description = g.descByCh[ch][ci]
	c.Urgent = r.f() < urgentShare
	dept := g.deptIDs[g.p.countyOfGrid(grid)][g.catDept[ci]]

	// The path through the loop, and how long each step takes.
	age := g.now.Sub(c.ReportedAt)
	stuck := r.f() < stuckBase+stuckRecent*math.Exp(-age.Hours()/24/stuckDays)
	path := make([]step, 0, 6)
	switch {
	case r.f() < rejectShare:
		path = append(path, step{wangge.StatusReported, g.duration(&r, wangge.StatusReported, cat, c.Urgent)})
		path = append(path, step{status: wangge.StatusRejected})
	case cat.Level == wangge.LevelGrid && c.Channel == wangge.ChannelGridWorker && r.f() < selfResolveShare:
		path = append(path, step{wangge.StatusReported, g.duration(&r, wangge.StatusReported, cat, c.Urgent)})
		path = append(path, step{wangge.StatusHandled, g.duration(&r, wangge.StatusHandled, cat, c.Urgent)})
		path = append(path, step{status: wangge.StatusClosed})
	default:
		path = append(path, step{wangge.StatusReported, g.duration(&r, wangge.StatusReported, cat, c.Urgent)})
		path = append(path, step{wangge.StatusAccepted, g.duration(&r, wangge.StatusAccepted, cat, c.Urgent)})
		// Dispatched and in progress share the handling clock: the
		// department starts within the first tenth of it.
		handle := g.duration(&r, wangge.StatusDispatched, cat, c.Urgent)
		startAfter := time.Duration(r.f() * 0.1 * float64(handle))
		path = append(path, step{wangge.StatusDispatched, startAfter}, step{wangge.StatusInProgress, handle - startAfter})
		if r.f() < reworkShare {
			c.Reworks = 1
			path = append(path, step{wangge.StatusHandled, g.duration(&r, wangge.StatusHandled, cat, c.Urgent)},
				step{wangge.StatusInProgress, g.duration(&r, wangge.StatusDispatched, cat, c.Urgent)})
		}
		path = append(path, step{wangge.StatusHandled, g.duration(&r, wangge.StatusHandled, cat, c.Urgent)})
		path = append(path, step{status: wangge.StatusClosed})
		if r.f() < escalateShare {
			if up, ok := g.ladder[c.Level]; ok {
				c.Level, c.Escalations = up, 1
			}
		}
	}
	stuckAt := -1
	if stuck && len(path) > 2 {
		stuckAt = int(r.f() * float64(len(path)-1))
	}
	suspend := r.f() < suspendShare
	rate, x := r.f() < rateShare, r.f()

	// Walk the path up to now.
	t := c.ReportedAt
	c.Version = 1
	for s, st := range path {
		c.Status = st.status
		c.UpdatedAt = t
		if st.status == wangge.StatusDispatched || st.status == wangge.StatusInProgress {
			c.DepartmentID = &dept
		}
		if !st.status.Open() {
			c.StepStartedAt = t
			closed := t
			c.ClosedAt = &closed
			break
		}
		limit := wangge.StepLimit(st.status, cat, g.cal, c.Urgent)
		clk := wangge.StepClock(st.status, cat, g.cal)
		if st.status != wangge.StatusInProgress || path[s-1].status != wangge.StatusDispatched {
			c.StepStartedAt, c.StepUsed = t, 0
		}
		c.StepLimit = limit
		end := clk.Add(t, st.d)
		if s == stuckAt || end.After(g.now) {
			// Still at this step now.
			if s == stuckAt && suspend && (st.status == wangge.StatusDispatched || st.status == wangge.StatusInProgress) {
				c.StepUsed = clk.Elapsed(c.StepStartedAt, t.Add(time.Duration(r.f()*float64(g.now.Sub(t)))))
				c.SuspendedFrom, c.Status = c.Status, wangge.StatusSuspended
			}
			wangge.Tick(c, cat, g.cal, g.now)
			return
		}
		if st.status != wangge.StatusDispatched && clk.Elapsed(c.StepStartedAt, end)+c.StepUsed > limit {
			c.Overdue = true
		}
		t = end
		c.Version++
	}
	// Closed; perhaps rated since.
	if c.Status == wangge.StatusClosed && rate {
		at := c.ClosedAt.Add(time.Duration(r.f() * float64(72*time.Hour)))
		if at.Before(g.now) {
			c.Status, c.UpdatedAt, c.Version = wangge.StatusRated, at, c.Version+1
			table := &ratings
			if c.Overdue {
				table = &overdueRatings
			}
			c.Rating = 5
			acc := 0.0
			for stars := 1; stars <= 5; stars++ {
				if acc += table[stars-1]; x < acc {
					c.Rating = stars
					break
				}
			}
		}
	}
}

// duration draws the working time a step in status s takes.
func (g *Cases) duration(r *caseRand, s wangge.Status, cat *wangge.Category, urgent bool) time.Duration {
	limit := wangge.StepLimit(s, cat, g.cal, urgent)
	f := stepFactor[s]
	x := f[0] * math.Exp(f[1]*normal(r.u(), r.u()))
	return time.Duration(math.Min(x, 20) * float64(limit)).Truncate(time.Second)
}

// caseRand is the stream of random numbers of one case.
type caseRand struct {
	seed, i, n uint64
}

func (r *caseRand) u() uint64 {
	r.n++
	return hash(r.seed, 100+r.n, r.i)
}

func (r *caseRand) f() float64 { return unit01(r.u()) }
