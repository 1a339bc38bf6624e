package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
// refreshes (web/static/js/console.js): the KPI cards, the charts, the case
// list and the map's points.
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
	{"map: open case points", func(u string, _ time.Time) string {
		return "/api/v1/web/points?" + unitQuery(u, url.Values{"open": {"true"}})
	}},
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
	for _, u := range units {
		view := "territory"
		if u != "" {
			view = u
		}
		for _, call := range dashboardCalls {
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
