package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/wangge/wangge"
)

// DashboardOptions configures the dashboard bench.
type DashboardOptions struct {
	Rounds  int      // times each request is made, per view
	Clients int      // command-centre screens refreshing at once
	Units   []string // the views: "" is the whole territory; empty: it, a county and a street of it
}

// Validate refuses nonsense.
func (o *DashboardOptions) Validate() error {
	if o.Rounds < 1 || o.Rounds > 100000 {
		return wangge.FieldError("rounds", "from 1 to 100,000")
	}
	if o.Clients < 1 || o.Clients > 1024 {
		return wangge.FieldError("clients", "from 1 to 1,024")
	}
	return nil
}

// dashboardCall is one request the command centre makes when it opens or
// refreshes (web/static/js/console.js): the KPI cards, the charts and the
// case list; the map's requests depend on the view (mapCalls).
type dashboardCall struct {
	name  string
	query func(unit string, now time.Time) string
}

func chinaDay(t time.Time) string { return t.In(wangge.ChinaTime).Format("2006-01-02") }

var dashboardCalls = []dashboardCall{
	{"kpi: all time", func(u string, _ time.Time) string { return "/api/v1/stats?" + unitQuery(u, nil) }},
	{"kpi: last 30 days", func(u string, now time.Time) string {
		return "/api/v1/stats?" + unitQuery(u, url.Values{"from": {chinaDay(now.AddDate(0, 0, -29))}, "to": {chinaDay(now.AddDate(0, 0, 1))}})
	}},
	{"kpi: today", func(u string, now time.Time) string {
		return "/api/v1/stats?" + unitQuery(u, url.Values{"from": {chinaDay(now)}, "to": {chinaDay(now.AddDate(0, 0, 1))}})
	}},
	{"chart: trend by day", func(u string, now time.Time) string {
		return "/api/v1/stats?" + unitQuery(u, url.Values{"from": {chinaDay(now.AddDate(0, 0, -29))}, "to": {chinaDay(now.AddDate(0, 0, 1))}, "group_by": {"day"}})
	}},
	{"chart: by major class", func(u string, now time.Time) string {
		return "/api/v1/stats?" + unitQuery(u, url.Values{"from": {chinaDay(now.AddDate(0, 0, -29))}, "to": {chinaDay(now.AddDate(0, 0, 1))}, "group_by": {"major"}})
	}},
	{"chart: by unit below", func(u string, _ time.Time) string {
		return "/api/v1/stats?" + unitQuery(u, url.Values{"group_by": {"children"}})
	}},
	{"case list: open, newest", func(u string, _ time.Time) string {
		return "/api/v1/cases?" + unitQuery(u, url.Values{"open": {"true"}, "limit": {"30"}})
	}},
}

// maxPoints is the console's MAX_POINTS: above it the map draws counts per
// unit, and points only of a view that holds no more.
const maxPoints = 5000

// dashView is a view of the command centre: the unit its figures are of
// ("" for the whole territory) and the unit its map starts from (the first
// unit of the tree for the whole territory, as the console takes it).
type dashView struct {
	unit string
	root *wangge.Unit
}

// mapCalls are the map's first requests in a view: the boundaries of the
// two levels below the root (a page of each), then either the points of
// every open case or, above maxPoints, counts per unit of the lower level,
// and the points of a box the size of street (box) once zoomed in.
func (t *Target) mapCalls(ctx context.Context, c *http.Client, v dashView, open int, box *[4]float64) ([]dashboardCall, error) {
	var calls []dashboardCall
	if v.root == nil {
		return nil, nil
	}
	var lower *wangge.Unit
	for _, l := range wangge.Levels[min(v.root.Level.Rank()+1, len(wangge.Levels)):] {
		if len(calls) == 2 {
			break
		}
		var page struct {
			Items []wangge.Unit `json:"items"`
		}
		q := url.Values{"level": {string(l)}, "under": {v.root.Code}, "limit": {"1"}}
		if err := t.getJSON(ctx, c, "/api/v1/units?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		if len(page.Items) == 0 {
			continue
		}
		lower = &page.Items[0]
		path := "/api/v1/boundaries?" + url.Values{"level": {string(l)}, "under": {v.root.Code}, "limit": {"1000"}}.Encode()
		calls = append(calls, dashboardCall{"map: boundaries of the " + string(l) + " level", func(string, time.Time) string { return path }})
	}
	if open <= maxPoints || lower == nil {
		calls = append(calls, dashboardCall{"map: open case points", func(u string, _ time.Time) string {
			return "/api/v1/web/points?" + unitQuery(u, url.Values{"open": {"true"}})
		}})
		return calls, nil
	}
	depth := strconv.Itoa(len(lower.Code))
	calls = append(calls, dashboardCall{"map: open cases per " + string(lower.Level), func(string, time.Time) string {
		return "/api/v1/web/counts?" + url.Values{"unit": {v.root.Code}, "unit_depth": {depth}}.Encode()
	}})
	if box != nil {
		bbox := fmt.Sprintf("%.6f,%.6f,%.6f,%.6f", box[0], box[1], box[2], box[3])
		calls = append(calls, dashboardCall{"map: open case points of a street's box", func(u string, _ time.Time) string {
			return "/api/v1/web/points?" + unitQuery(u, url.Values{"open": {"true"}, "bbox": {bbox}})
		}})
	}
	return calls, nil
}

func unitQuery(unit string, v url.Values) string {
	if v == nil {
		v = url.Values{}
	}
	if unit != "" {
		v.Set("unit", unit)
	}
	return v.Encode()
}

// Dashboard times every request of the command centre, for the whole
// territory and for smaller views, each Rounds times from Clients screens
// at once, as the viewer of t.ViewerToken. The headline is every request
// together; Endpoints has each request of each view.
func Dashboard(ctx context.Context, t *Target, o DashboardOptions) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if t.ViewerToken == "" {
		return nil, wangge.FieldError("token", "a bearer token of an administrator or command-centre operator of the target")
	}
	c := NewClient(o.Clients)
	if err := probe(ctx, c, t.URL); err != nil {
		return nil, err
	}
	units := o.Units
	if len(units) == 0 {
		var err error
		if units, err = t.dashboardViews(ctx, c); err != nil {
			return nil, err
		}
	}
	r := newResult("dashboard", t)
	r.Clients = o.Clients
	now := time.Now().In(wangge.ChinaTime) // days are China days, whatever the host's zone
	var all []time.Duration
	var allErrs int64
	var firstErr string
	start := time.Now()
	views, box, err := t.resolveViews(ctx, c, units)
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		u := v.unit
		view := "territory"
		if u != "" {
			view = u
		}
		var all0 wangge.Stats
		if err := t.getJSON(ctx, c, "/api/v1/stats?"+unitQuery(u, nil), &all0); err != nil {
			return nil, fmt.Errorf("%s: %w", view, err)
		}
		maps, err := t.mapCalls(ctx, c, v, all0.Open, box)
		if err != nil {
			return nil, fmt.Errorf("%s, the map: %w", view, err)
		}
		for _, call := range append(slices.Clone(dashboardCalls), maps...) {
			path := call.query(u, now)
			// One untimed request first: a server's first answer of a
			// kind pays for warming caches that every later one shares.
			if err := t.get(ctx, c, path); err != nil {
				return nil, fmt.Errorf("%s, %s: %w", view, call.name, err)
			}
			lat, errs, first, window := t.repeat(ctx, c, path, o)
			m := summarize(view+" · "+call.name, lat, errs, first, window)
			r.Endpoints = append(r.Endpoints, m)
			all = append(all, lat...)
			allErrs += errs
			if firstErr == "" {
				firstErr = first
			}
		}
	}
	r.Measure = summarize("every request", all, allErrs, firstErr, time.Since(start))
	worst := slices.MaxFunc(r.Endpoints, func(a, b Measure) int { return int(1000 * (a.P99ms - b.P99ms)) })
	r.Notes = append(r.Notes, fmt.Sprintf("slowest p99: %s, %.1f ms", worst.Name, worst.P99ms))
	r.finish(t)
	return r, nil
}

// dashboardViews picks the whole territory, its first county and that
// county's first street.
func (t *Target) dashboardViews(ctx context.Context, c *http.Client) ([]string, error) {
	views := []string{""}
	parent := ""
	for _, level := range []wangge.Level{wangge.LevelCounty, wangge.LevelStreet} {
		var page struct {
			Items []wangge.Unit `json:"items"`
		}
		q := url.Values{"level": {string(level)}, "limit": {"1"}}
		if parent != "" {
			q.Set("under", parent)
		}
		if err := t.getJSON(ctx, c, "/api/v1/units?"+q.Encode(), &page); err != nil {
			return nil, fmt.Errorf("find a %s to view: %w", level, err)
		}
		if len(page.Items) == 0 {
			break
		}
		parent = page.Items[0].Code
		views = append(views, parent)
	}
	return views, nil
}

// resolveViews finds each view's map root, and the box of the smallest
// view's root (a street, normally) for the points of a zoomed-in map.
func (t *Target) resolveViews(ctx context.Context, c *http.Client, units []string) ([]dashView, *[4]float64, error) {
	var views []dashView
	var box *[4]float64
	for _, u := range units {
		code := u
		if code == "" {
			var page struct {
				Items []wangge.Unit `json:"items"`
			}
			if err := t.getJSON(ctx, c, "/api/v1/units?limit=1", &page); err != nil {
				return nil, nil, err
			}
			if len(page.Items) == 0 {
				views = append(views, dashView{unit: u})
				continue
			}
			code = page.Items[0].Code
		}
		var got struct { // the answer's boundary is GeoJSON, not Unit's string
			Code  string       `json:"code"`
			Level wangge.Level `json:"level"`
			BBox  *[4]float64  `json:"bbox"`
		}
		if err := t.getJSON(ctx, c, "/api/v1/units/"+url.PathEscape(code), &got); err != nil {
			return nil, nil, fmt.Errorf("the unit %s: %w", code, err)
		}
		root := wangge.Unit{Code: got.Code, Level: got.Level, BBox: got.BBox}
		views = append(views, dashView{unit: u, root: &root})
		if root.BBox != nil && root.Level.Rank() >= wangge.LevelStreet.Rank() {
			box = root.BBox
		}
	}
	return views, box, nil
}

// repeat makes the request Rounds times from each of Clients goroutines.
func (t *Target) repeat(ctx context.Context, c *http.Client, path string, o DashboardOptions) (lat []time.Duration, errs int64, first string, window time.Duration) {
	type out struct {
		lat  []time.Duration
		errs int64
		err  string
	}
	res := make(chan out, o.Clients)
	start := time.Now()
	for range o.Clients {
		go func() {
			var x out
			for range o.Rounds {
				t0 := time.Now()
				if err := t.get(ctx, c, path); err != nil {
					x.errs++
					if x.err == "" {
						x.err = err.Error()
					}
					continue
				}
				x.lat = append(x.lat, time.Since(t0))
			}
			res <- x
		}()
	}
	for range o.Clients {
		x := <-res
		lat = append(lat, x.lat...)
		errs += x.errs
		if first == "" {
			first = x.err
		}
	}
	return lat, errs, first, time.Since(start)
}

// get makes an authenticated GET and reads the whole answer.
func (t *Target) get(ctx context.Context, c *http.Client, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", t.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.ViewerToken)
	req.Header.Set("Accept-Encoding", "gzip") // as a browser would: the map's points are large
	return do(c, req, 200)
}

func (t *Target) getJSON(ctx context.Context, c *http.Client, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", t.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.ViewerToken)
	return readJSON(c, req, out)
}
