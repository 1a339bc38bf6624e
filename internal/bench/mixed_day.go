package bench

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

// The shape of a day. Each ratio says where it comes from; DESIGN.md's
// "Figures from the field" gives the first four, the rest are this bench's
// assumptions, stated so that they can be argued with.
const (
	// ZhejiangMattersPerDay: Zhejiang, 12.1 million matters in 2022.
	ZhejiangMattersPerDay = 33_000
	// Channels: grid workers file 70 % (the figure); the other
	// 30 % are split by assumption between the resident page, the hotline
	// (an operator filing for a caller) and Open311 (another system).
	shareGridWorker = 0.70
	shareResident   = 0.12
	shareHotline    = 0.12 // the rest, 0.06, is Open311
	// selfResolveShare: Jiangsu, 90 % of hazards and disputes resolved
	// inside the grid (小事不出格): of the grid workers' reports, this share
	// is resolved by the grid worker, the rest go to the centre.
	selfResolveShare = 0.90
	// closedShare: Zhejiang, 91.2 % of matters closed; the others stop
	// at a random step and stay open.
	closedShare = 0.912
	// DefaultVisitsPerMatter: door-to-door visits by the care tiers (high-risk
	// weekly, key monthly, general quarterly) of the demo county's 279,855
	// residents in 73,684 households, a general household visited once a
	// quarter: 4,667/7 + 13,718/30.4 + 73,684/91.3 = 1,924 visits a day in
	// 181 grids, 10.6 a grid; Zhejiang's 33,000 matters in 85,000 grids are
	// 0.388 a grid: 27.4 visits for each matter.
	DefaultVisitsPerMatter = 27.4
	// visitsPerListRead: a grid worker opens the list of residents due
	// once and records the day's visits from it (worker.js does not reload
	// it after a visit): 10.6 a day.
	visitsPerListRead = 10.6
	// Assumptions, no field figure: 5 % of dispatches are returned as not
	// the department's (and dispatched elsewhere), 5 % of verifications
	// fail (rework), 3 % of the centre's cases are escalated a level
	// before dispatch, a console reloads its map (every open case's point)
	// once in 10 matters, and every matter refreshes one operator's
	// dashboard (the console refreshes on the live feed's events, 1.5 s
	// debounced).
	returnShare   = 0.05
	reworkShare   = 0.05
	escalateShare = 0.03
	mapShare      = 0.10
)

// mixedRatios says in the result where each ratio comes from.
var mixedRatios = []string{
	"matters: scale × 33,000 a day (Zhejiang, 12.1 million in 2022), Poisson arrivals",
	"channels: grid worker 70 % (issue), resident page 12 %, hotline 12 %, Open311 6 % (assumed)",
	"90 % of grid workers' reports self-resolved in the grid (Jiangsu); the others and every other channel accepted and dispatched by the centre",
	"91.2 % of matters closed (Zhejiang); the others stop at a random step",
	"visits per matter (27.4 by default): the demo county's care tiers (high-risk weekly, key monthly, general households quarterly) per grid over Zhejiang's matters per grid; one due-list read per 10.6 visits",
	"each transition is taken from the case page (case, timeline, photos) by its actor; grid workers and departments open their task list first",
	"one dashboard refresh (3 stats, overdue count, satisfaction, open list) per matter; a map reload (web/points) per 10 matters (assumed)",
	"5 % of dispatches returned, 5 % of verifications failed, 3 % escalated (assumed); closed cases rated: residents through their tracking code, others by the centre (回访)",
}

// mstep is one planned operation of a matter.
type mstep struct {
	at    time.Duration // planned start, from the run's start
	kind  string
	write bool
	do    func(ctx context.Context, m *matter) error
}

// matter is one matter's script, or a lone operation (a visit, a
// dashboard refresh): its steps run in order, each at its planned time or
// as soon as the one before is done.
type matter struct {
	steps   []mstep
	gw      *actor // the grid worker of the matter's grid
	handler *actor
	id      int64
	number  string
	code    string // a resident's tracking code
	channel wangge.Channel
	at      time.Time // when it was reported
}

// planner draws the day.
type planner struct {
	w   *mixedWorld
	o   *MixedOptions
	rng *rand.Rand
	gap time.Duration
	// think is the time from opening a list to opening the page, and from
	// opening the page to acting on it: 200 ms, or the gap if shorter.
	think time.Duration
}

// plan draws the matters arriving in [0, run) at rate per second, each with
// its steps, visits and reads.
func (p *planner) plan(rate float64, run time.Duration) []*matter {
	var out []*matter
	var t time.Duration
	for {
		t += time.Duration(p.rng.ExpFloat64() / rate * float64(time.Second))
		if t >= run {
			return out
		}
		out = append(out, p.matterAt(t)...)
	}
}

// next moves t, the end of a matter's last step, to the start of its next
// one: a moment to look at the page, then the time until the next person's
// turn.
func (p *planner) next(t *time.Duration) time.Duration {
	*t += p.think + time.Duration(p.rng.ExpFloat64()*float64(p.gap))
	return *t
}

// matterAt is the matter reported at t and the lone operations it brings.
func (p *planner) matterAt(t time.Duration) []*matter {
	w, rng := p.w, p.rng
	m := &matter{gw: w.workers[rng.IntN(len(w.workers))]}
	switch x := rng.Float64(); {
	case x < shareGridWorker:
		m.channel = wangge.ChannelGridWorker
	case x < shareGridWorker+shareResident:
		m.channel = wangge.ChannelResident
	case x < shareGridWorker+shareResident+shareHotline || w.apiKey == "":
		m.channel = wangge.ChannelHotline
	default:
		m.channel = wangge.ChannelOpen311
	}
	op := w.operator
	var s []mstep
	add := func(at time.Duration, kind string, write bool, do func(context.Context, *matter) error) {
		s = append(s, mstep{at, kind, write, do})
	}
	// act is a transition taken from the case page by who: the operator,
	// the matter's grid worker or its department's handler (known once it
	// is dispatched), after a look at their task list for the latter two.
	at := t // the end of the matter's last step so far
	act := func(who wangge.Role, a wangge.Action, extra map[string]any) {
		actor := func(m *matter) *actor {
			switch who {
			case wangge.RoleGridWorker:
				return m.gw
			case wangge.RoleDepartment:
				return m.handler
			}
			return op
		}
		start := p.next(&at)
		switch {
		case who != wangge.RoleOperator:
			add(start, "task list ("+strings.ReplaceAll(string(who), "_", " ")+")", false, func(ctx context.Context, m *matter) error { return w.taskList(ctx, actor(m)) })
		case a == wangge.ActAccept && (m.channel == wangge.ChannelResident || m.channel == wangge.ChannelOpen311):
			// The operator finds the report in the list of new ones.
			add(start, "new reports (operator)", false, func(ctx context.Context, m *matter) error { return w.findNew(ctx, m) })
		}
		add(start+p.think, "case page", false, func(ctx context.Context, m *matter) error { return w.casePage(ctx, actor(m), m.id) })
		add(start+2*p.think, string(a), true, func(ctx context.Context, m *matter) error { return w.act(ctx, actor(m), m, a, extra) })
		at = start + 2*p.think
	}
	opr, gw, hd := wangge.RoleOperator, wangge.RoleGridWorker, wangge.RoleDepartment
	rating := map[string]any{"rating": 3 + rng.IntN(3)}

	cat := w.categories[rng.IntN(len(w.categories))]
	if m.channel == wangge.ChannelResident {
		cat = w.publicCats[rng.IntN(len(w.publicCats))]
	}
	pt := m.gw.points[rng.IntN(len(m.gw.points))]
	add(t, "report ("+string(m.channel)+")", true, func(ctx context.Context, m *matter) error { return w.report(ctx, m, cat, pt) })
	if m.channel == wangge.ChannelGridWorker && rng.Float64() < selfResolveShare {
		act(gw, wangge.ActSelfResolve, nil)
	} else {
		act(opr, wangge.ActAccept, nil)
		if rng.Float64() < escalateShare {
			act(opr, wangge.ActEscalate, map[string]any{"note": "压测: 转报上级"})
		}
		act(opr, wangge.ActDispatch, nil)
		if rng.Float64() < returnShare {
			act(hd, wangge.ActReturn, map[string]any{"note": "压测: 非本部门职责"})
			act(opr, wangge.ActDispatch, map[string]any{"other": true})
		}
		act(hd, wangge.ActStart, nil)
		act(hd, wangge.ActFinish, nil)
		if rng.Float64() < reworkShare {
			act(gw, wangge.ActVerifyFail, map[string]any{"note": "压测: 仍未修好"})
			act(hd, wangge.ActFinish, nil)
		}
	}
	act(gw, wangge.ActVerifyOK, nil)
	act(opr, wangge.ActClose, nil)
	if m.channel == wangge.ChannelResident {
		p.next(&at)
		add(at, "track (resident)", false, func(ctx context.Context, m *matter) error { return w.track(ctx, m) })
		at += p.think
		add(at, "rate (resident)", true, func(ctx context.Context, m *matter) error { return w.rateAsResident(ctx, m, rating["rating"].(int)) })
	} else {
		act(opr, wangge.ActRate, rating)
	}
	if rng.Float64() >= closedShare {
		// Stops after the report or a later step, before the close.
		last := 0
		for i, st := range s {
			if st.kind == string(wangge.ActClose) {
				last = i
			}
		}
		s = s[:1+rng.IntN(last)]
	}
	m.steps = s
	out := []*matter{m}

	// What else the matter's day brings, at random moments of its life.
	life := at - t
	lone := func(kind string, write bool, do func(context.Context, *matter) error) {
		out = append(out, &matter{steps: []mstep{{t + time.Duration(rng.Float64()*float64(life)), kind, write, do}}})
	}
	lone("dashboard refresh", false, func(ctx context.Context, _ *matter) error { return w.dashboard(ctx, op) })
	if rng.Float64() < mapShare {
		lone("map points", false, func(ctx context.Context, _ *matter) error { return w.mapPoints(ctx, op) })
	}
	vpm := p.o.VisitsPerMatter
	n := int(vpm)
	if rng.Float64() < vpm-float64(n) {
		n++
	}
	for range n {
		a := w.workers[rng.IntN(len(w.workers))]
		v := &matter{gw: a}
		vt := t + time.Duration(rng.Float64()*float64(life))
		if rng.Float64() < 1/visitsPerListRead {
			v.steps = append(v.steps, mstep{vt - p.think, "visit list", false, func(ctx context.Context, m *matter) error { return w.visitList(ctx, m.gw) }})
		}
		v.steps = append(v.steps, mstep{vt, "visit", true, func(ctx context.Context, m *matter) error { return w.visit(ctx, m.gw) }})
		out = append(out, v)
	}
	return out
}

// The operations, as the web UI makes them.

func (w *mixedWorld) report(ctx context.Context, m *matter, cat string, pt geo.Point) error {
	desc := "压测: 一天的事项 " + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	switch m.channel {
	case wangge.ChannelResident:
		var r struct {
			Number string `json:"number"`
			Code   string `json:"tracking_code"`
		}
		body := map[string]any{"category": cat, "description": desc, "lat": pt.Y, "lon": pt.X}
		if err := apiCall(ctx, w.public, "POST", w.base+"/api/v1/public/reports", "", body, &r, 201); err != nil {
			return err
		}
		m.number, m.code = r.Number, r.Code
	case wangge.ChannelOpen311:
		form := url.Values{"api_key": {w.apiKey}, "service_code": {cat}, "lat": {coord(pt.Y)}, "long": {coord(pt.X)}, "description": {desc}}
		var r []struct {
			ID string `json:"service_request_id"`
		}
		if err := postForm(ctx, w.c, w.base+"/open311/v2/requests.json", form, &r); err != nil {
			return err
		}
		if len(r) != 1 {
			return fmt.Errorf("open311: %d answers to one request", len(r))
		}
		id, err := strconv.ParseInt(r[0].ID, 10, 64)
		if err != nil {
			return fmt.Errorf("open311: service_request_id %q", r[0].ID)
		}
		m.id = id
	default:
		who := m.gw
		if m.channel == wangge.ChannelHotline {
			who = w.operator
		}
		var c wangge.Case
		body := map[string]any{"category": cat, "description": desc, "lat": pt.Y, "lon": pt.X}
		if err := apiCall(ctx, w.c, "POST", w.base+"/api/v1/cases", who.token, body, &c, 201); err != nil {
			return err
		}
		m.id, m.number = c.ID, c.Number
	}
	m.at = time.Now()
	return nil
}

// findNew is the operator's look at the newest reports of the channel, in
// which the resident's or the other system's report is found.
func (w *mixedWorld) findNew(ctx context.Context, m *matter) error {
	q := url.Values{"channel": {string(m.channel)}, "status": {"reported"}, "limit": {"100"},
		"from": {m.at.Add(-time.Minute).UTC().Format(time.RFC3339)}}
	for off := 0; off < 1000; off += 100 {
		q.Set("offset", strconv.Itoa(off))
		var pg struct {
			Items []struct {
				ID     int64  `json:"id"`
				Number string `json:"number"`
			} `json:"items"`
		}
		if err := apiCall(ctx, w.c, "GET", w.base+"/api/v1/cases?"+q.Encode(), w.operator.token, nil, &pg, 200); err != nil {
			return err
		}
		for _, c := range pg.Items {
			if (m.id == 0 && c.Number == m.number) || (m.id != 0 && c.ID == m.id) {
				m.id = c.ID
				return nil
			}
		}
		if len(pg.Items) < 100 {
			break
		}
	}
	return fmt.Errorf("%w: %s", errNoCase, m.number)
}

func (w *mixedWorld) act(ctx context.Context, a *actor, m *matter, action wangge.Action, extra map[string]any) error {
	body := map[string]any{"action": action}
	for k, v := range extra {
		if k != "other" {
			body[k] = v
		}
	}
	if extra["other"] == true && len(w.depts) > 1 {
		// Back from the wrong department: the operator chooses another.
		for {
			d := w.depts[rand.IntN(len(w.depts))]
			if m.handler == nil || d != m.handler.dept {
				body["department_id"] = d
				break
			}
		}
	}
	var c wangge.Case
	err := apiCall(ctx, w.c, "POST", w.base+"/api/v1/cases/"+itoa(m.id)+"/actions", a.token, body, &c, 200)
	if err != nil && action == wangge.ActDispatch && body["department_id"] == nil && strings.Contains(err.Error(), "department_id") {
		// No single routing rule decides: the operator chooses, as the
		// console asks them to.
		body["department_id"] = w.depts[rand.IntN(len(w.depts))]
		err = apiCall(ctx, w.c, "POST", w.base+"/api/v1/cases/"+itoa(m.id)+"/actions", a.token, body, &c, 200)
	}
	if err != nil {
		return err
	}
	if action == wangge.ActDispatch {
		if c.DepartmentID == nil || w.handlers[*c.DepartmentID] == nil {
			return fmt.Errorf("case %d dispatched to department %v, which has no bench handler", m.id, c.DepartmentID)
		}
		m.handler = w.handlers[*c.DepartmentID]
	}
	return nil
}

// casePage is what casepage.js loads: the case, its timeline and photos.
func (w *mixedWorld) casePage(ctx context.Context, a *actor, id int64) error {
	return all(ctx,
		func(ctx context.Context) error {
			return apiCall(ctx, w.c, "GET", w.base+"/api/v1/cases/"+itoa(id), a.token, nil, nil, 200)
		},
		func(ctx context.Context) error {
			return apiCall(ctx, w.c, "GET", w.base+"/api/v1/cases/"+itoa(id)+"/timeline", a.token, nil, nil, 200)
		},
		func(ctx context.Context) error {
			return apiCall(ctx, w.c, "GET", w.base+"/api/v1/cases/"+itoa(id)+"/photos", a.token, nil, nil, 200)
		})
}

// taskList is worker.js's task tab for a grid worker, the department's
// case list (50 a page) for a handler.
func (w *mixedWorld) taskList(ctx context.Context, a *actor) error {
	q := "/api/v1/cases?open=true&limit=200"
	if a.role == wangge.RoleDepartment {
		q = "/api/v1/cases?open=true&limit=50&department=" + itoa(a.dept)
	}
	return apiCall(ctx, w.c, "GET", w.base+q, a.token, nil, nil, 200)
}

// dashboard is console.js's refresh on the live feed: the figures (three
// stats and the overdue count at once, then the satisfaction) and, at the
// same time, the open list.
func (w *mixedWorld) dashboard(ctx context.Context, a *actor) error {
	now := time.Now().In(wangge.ChinaTime)
	today := now.Format("2006-01-02")
	tomorrow := now.AddDate(0, 0, 1).Format("2006-01-02")
	month := now.AddDate(0, 0, -30)
	get := func(path string) func(context.Context) error {
		return func(ctx context.Context) error { return apiCall(ctx, w.c, "GET", w.base+path, a.token, nil, nil, 200) }
	}
	return all(ctx,
		func(ctx context.Context) error {
			if err := all(ctx, get("/api/v1/stats"), get("/api/v1/stats?from="+month.Format("2006-01-02")+"&to="+tomorrow),
				get("/api/v1/stats?from="+today+"&to="+tomorrow), get("/api/v1/cases?open=true&light=red&limit=1")); err != nil {
				return err
			}
			return get("/api/v1/cases?status=rated&limit=500&from=" + url.QueryEscape(month.UTC().Format(time.RFC3339)))(ctx)
		},
		get("/api/v1/cases?open=true&limit=30"))
}

// mapPoints is the console's map layer: every open case's point.
func (w *mixedWorld) mapPoints(ctx context.Context, a *actor) error {
	return apiCall(ctx, w.c, "GET", w.base+"/api/v1/web/points?open=true", a.token, nil, nil, 200)
}

func (w *mixedWorld) visitList(ctx context.Context, a *actor) error {
	return apiCall(ctx, w.c, "GET", w.base+"/api/v1/persons?visit_due=now&limit=100", a.token, nil, nil, 200)
}

// visit records a visit to the grid worker's next resident.
func (w *mixedWorld) visit(ctx context.Context, a *actor) error {
	if len(a.persons) == 0 {
		return fmt.Errorf("grid worker %s has no resident to visit", a.username)
	}
	p := a.persons[int(a.nextPers.Add(1)-1)%len(a.persons)]
	body := map[string]any{"note": "压测走访: 情况正常"}
	return apiCall(ctx, w.c, "POST", w.base+"/api/v1/persons/"+itoa(p)+"/visits", a.token, body, nil, 201)
}

func (w *mixedWorld) track(ctx context.Context, m *matter) error {
	return apiCall(ctx, w.public, "GET", w.base+"/api/v1/public/reports/"+url.PathEscape(m.number)+"?code="+url.QueryEscape(m.code), "", nil, nil, 200)
}

func (w *mixedWorld) rateAsResident(ctx context.Context, m *matter, rating int) error {
	body := map[string]any{"tracking_code": m.code, "rating": rating}
	return apiCall(ctx, w.public, "POST", w.base+"/api/v1/public/reports/"+url.PathEscape(m.number)+"/rate", "", body, nil, 200)
}

// postForm posts a form, as an Open311 client does, and decodes the 201
// answer.
func postForm(ctx context.Context, c *http.Client, u string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("POST %s: %s: %s", req.URL.Path, resp.Status, strings.TrimSpace(string(msg)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// all runs fs at once, as a page's Promise.all does, and returns the first
// error.
func all(ctx context.Context, fs ...func(context.Context) error) error {
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i+1] = f(ctx)
		}()
	}
	errs[0] = fs[0](ctx)
	wg.Wait()
	return errors.Join(errs...)
}

// The run.

// item is a matter's next step on the schedule.
type item struct {
	at time.Time
	m  *matter
	i  int
}

type schedule []item

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].at.Before(s[j].at) }
func (s schedule) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *schedule) Push(x any)        { *s = append(*s, x.(item)) }
func (s *schedule) Pop() any {
	old := *s
	x := old[len(old)-1]
	*s = old[:len(old)-1]
	return x
}

// kindStats collects one operation type's figures.
type kindStats struct {
	write    bool
	offered  int64
	lat      []time.Duration // done in time, from the planned start
	startLag []time.Duration
	errors   int64
	firstErr string
}

// runDay runs the matters from start: each step is started by one of
// clients workers at its planned time (or when the step before it is
// done, if that is later), and its latency is measured from its planned
// time, so that a slow server cannot hide its backlog (no coordinated
// omission). Steps planned in [from, end) are measured; steps planned
// after end are not run; those late at end get grace to finish.
func runDay(ctx context.Context, ms []*matter, clients int, start, from, end time.Time, grace time.Duration) (map[string]*kindStats, int) {
	stats := map[string]*kindStats{}
	kind := func(name string, write bool) *kindStats {
		k := stats[name]
		if k == nil {
			k = &kindStats{write: write}
			stats[name] = k
		}
		return k
	}
	var sched schedule
	for _, m := range ms {
		for _, st := range m.steps {
			if at := start.Add(st.at); !at.Before(from) && at.Before(end) {
				kind(st.kind, st.write).offered++
			}
		}
		heap.Push(&sched, item{start.Add(m.steps[0].at), m, 0})
	}
	runCtx, cancel := context.WithDeadline(ctx, end.Add(grace))
	defer cancel()
	var (
		mu        sync.Mutex // guards sched, stats, abandoned
		wake      = make(chan struct{}, 1)
		ready     = make(chan item, 1<<16)
		abandoned int
		inflight  atomic.Int64 // handed to the workers and not yet done
	)
	push := func(it item) {
		mu.Lock()
		heap.Push(&sched, it)
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ready {
				if runCtx.Err() != nil {
					inflight.Add(-1)
					continue
				}
				st := it.m.steps[it.i]
				t0 := time.Now()
				// Not runCtx: a request cut off mid-way would be an error on
				// the server's side. One that ends after the grace is simply
				// not done.
				err := st.do(ctx, it.m)
				t1 := time.Now()
				if runCtx.Err() != nil || ctx.Err() != nil {
					inflight.Add(-1)
					continue // cut off at the end: not done, not an error
				}
				measured := !it.at.Before(from) && it.at.Before(end)
				mu.Lock()
				if measured {
					k := kind(st.kind, st.write)
					if err != nil {
						k.errors++
						if k.firstErr == "" {
							k.firstErr = err.Error()
						}
					} else {
						k.lat = append(k.lat, t1.Sub(it.at))
						k.startLag = append(k.startLag, t0.Sub(it.at))
					}
				}
				if err != nil && it.i+1 < len(it.m.steps) {
					abandoned++
				}
				mu.Unlock()
				if err == nil && it.i+1 < len(it.m.steps) {
					at := start.Add(it.m.steps[it.i+1].at)
					if at.Before(end) {
						push(item{at, it.m, it.i + 1})
					}
				}
				inflight.Add(-1)
			}
		}()
	}
	// The dispatcher: hands each step to the workers at its time.
	timer := time.NewTimer(time.Hour)
	for runCtx.Err() == nil {
		mu.Lock()
		var due []item
		now := time.Now()
		for len(sched) > 0 && !sched[0].at.After(now) {
			due = append(due, heap.Pop(&sched).(item))
		}
		wait := time.Hour
		if len(sched) > 0 {
			wait = sched[0].at.Sub(now)
		}
		mu.Unlock()
		for _, it := range due {
			if it.at.Before(end) {
				inflight.Add(1)
				select {
				case ready <- it:
				case <-runCtx.Done():
					inflight.Add(-1)
				}
			}
		}
		if now.After(end) && len(due) == 0 && inflight.Load() == 0 && nothingBefore(&mu, &sched, end) {
			break
		}
		if len(due) > 0 {
			continue
		}
		if now.After(end) && wait > 50*time.Millisecond {
			wait = 50 * time.Millisecond // after the end, look often whether all is done
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-wake:
			if !timer.Stop() {
				<-timer.C
			}
		case <-runCtx.Done():
		}
	}
	timer.Stop()
	close(ready)
	// Workers still busy finish their step (at most the client's timeout).
	wg.Wait()
	return stats, abandoned
}

// nothingBefore reports whether nothing planned before end is left on the
// schedule.
func nothingBefore(mu *sync.Mutex, s *schedule, end time.Time) bool {
	mu.Lock()
	defer mu.Unlock()
	return len(*s) == 0 || !(*s)[0].at.Before(end)
}
