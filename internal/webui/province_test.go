package webui_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/app"
	"github.com/wangge/wangge/internal/gen"
	"github.com/wangge/wangge/internal/password"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// generatedProvince serves a generated province of the given grids with
// about open open cases (the open ones among the province's generated
// history, loaded alone), its administrator "admin" and an operator of
// its first county, "operator". It returns the fixture and that county.
func generatedProvince(t *testing.T, grids, open int) (*fixture, string) {
	t.Helper()
	ctx := app.System(context.Background())
	db := sqlstoretest.MustOpenDB(t, filepath.Join(t.TempDir(), "province.db"))
	db.Now = func() time.Time { return time.Now().UTC() }
	now := time.Now()
	if _, err := app.Generate(ctx, db, gen.Params{Grids: grids, Cases: 0, Seed: 1, Now: now}, 1000, pass, func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	prov, err := gen.NewProvince(1, grids)
	if err != nil {
		t.Fatal(err)
	}
	root, err := db.Unit(ctx, gen.ProvinceCode)
	if err != nil {
		t.Fatal(err)
	}
	depts, err := db.Departments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, d := range depts {
		ids[d.Code] = d.ID
	}
	// About one generated case in twenty is still open: generate twenty
	// times as many and load the open ones.
	cases, err := gen.NewCases(prov, 25*open, 1, now, catalogue.Default(), calendar.China(), root.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	var pick []int
	var c wangge.Case
	for i := 0; i < cases.Len() && len(pick) < open; i++ {
		cases.Case(i, &c)
		if c.Status.Open() {
			pick = append(pick, i)
		}
	}
	if len(pick) < open*9/10 {
		t.Fatalf("only %d open cases among %d generated", len(pick), cases.Len())
	}
	if _, err := db.LoadCases(ctx, len(pick), func(i int, c *wangge.Case) { cases.Case(pick[i], c) }); err != nil {
		t.Fatal(err)
	}
	county := prov.Counties()[0]
	if err := db.LoadUsers(ctx, []wangge.User{{Username: "operator", Name: "坐席", Role: wangge.RoleOperator, Units: []string{county}}}, password.Hash(pass)); err != nil {
		t.Fatal(err)
	}
	srv, err := app.Start(context.Background(), db, "127.0.0.1:0", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &fixture{srv: srv, base: srv.URL, tokens: map[string]string{}}, county
}

// boundaryRequests lists the /api/v1/boundaries requests the page made
// before its first useful paint (before: true) or after.
func boundaryRequests(t *testing.T, ctx context.Context, before bool) []string {
	t.Helper()
	cmp := ">="
	if before {
		cmp = "<"
	}
	return eval[[]string](t, ctx, `(() => {
		const useful = performance.getEntriesByName('wangge-useful')[0].startTime
		return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/boundaries?') && e.startTime `+cmp+` useful)
			.map(e => e.name.slice(e.name.indexOf('/api/')))
	})()`)
}

// query returns the parameter of a request's URL.
func query(t *testing.T, path, key string) string {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(key)
}

// TestProvinceMap: the command centre of a province's administrator first
// fetches the cities and counties only, shows the open cases as counts per
// unit (the statistics' figures) as there are more than the map draws one
// by one, and, zoomed into a street, fetches that street's communities and
// grids and the cases' points of the view alone. The operator of a county
// gets its streets and communities and every case's point, as before.
func TestProvinceMap(t *testing.T) {
	browser(t)
	f, county := generatedProvince(t, 3000, 6000)
	var all struct{ Open int }
	f.api(t, "admin", "GET", "/api/v1/stats?unit=33", nil, &all)
	if all.Open <= 5000 {
		t.Fatalf("the province has %d open cases; the test needs more than the map's 5,000", all.Open)
	}

	desk := tab(t)
	do(t, desk, "viewport", chromedp.EmulateViewport(1400, 1000))
	login(t, desk, f.base, "/", "admin")
	eval[bool](t, desk, `(() => { window.addEventListener('error', e => { (window.__errors ||= []).push(String(e.message)) }); window.addEventListener('unhandledrejection', e => { (window.__errors ||= []).push(String(e.reason)) }); return true })()`)
	do(t, desk, "dashboard", chromedp.WaitReady(css(`body[data-points="1"]`)))

	// The live feed's refresh is debounced, yet runs under a steady stream
	// of events.
	eval[bool](t, desk, `(() => { import(window.STATIC + '/js/core.js').then(({ debounce }) => {
		window.__fired = 0
		const d = debounce(() => { window.__fired++ }, 200, 500)
		const start = performance.now()
		const tick = setInterval(() => { d(); if (performance.now() - start > 1600) clearInterval(tick) }, 50)
	}); return true })()`)
	waitJS(t, desk, "debounced under a stream", `window.__fired >= 3`)

	// The first paint: the cities and the counties, nothing finer.
	reqs := boundaryRequests(t, desk, true)
	var levels []string
	features := 0
	for _, r := range reqs {
		levels = append(levels, query(t, r, "level"))
		var fc struct{ Features []json.RawMessage }
		f.api(t, "admin", "GET", r, nil, &fc)
		features += len(fc.Features)
	}
	slices.Sort(levels)
	var cities, counties struct{ Total int }
	f.api(t, "admin", "GET", "/api/v1/units?level=city&limit=1", nil, &cities)
	f.api(t, "admin", "GET", "/api/v1/units?level=county&limit=1", nil, &counties)
	if strings.Join(levels, " ") != "city county" || features != cities.Total+counties.Total {
		t.Errorf("before the first paint the page fetched %v (%d features); want the %d cities and %d counties", reqs, features, cities.Total, counties.Total)
	}

	// Counts per unit, as the statistics have them.
	type bubble struct {
		Code      string
		Open, Red int
	}
	bubbles := eval[[]bubble](t, desk, `document.querySelector('#map').wangge.bubbles.items.map(b => ({ code: b.code, open: b.open, red: b.red }))`)
	if len(bubbles) < 10 {
		t.Fatalf("want count bubbles over the province, got %v", bubbles)
	}
	if n := eval[int](t, desk, `document.querySelector('#map').wangge.clusters.points.length`); n != 0 {
		t.Errorf("the province view draws %d case points besides the counts", n)
	}
	depth := len(bubbles[0].Code)
	var st struct {
		Groups []struct {
			Key       string
			Open, Red int
		}
	}
	f.api(t, "admin", "GET", fmt.Sprintf("/api/v1/stats?unit=33&group_by=unit&unit_depth=%d", depth), nil, &st)
	want := map[string]bubble{}
	for _, g := range st.Groups {
		if g.Open > 0 {
			want[g.Key] = bubble{g.Key, g.Open, g.Red}
		}
	}
	for _, b := range bubbles {
		if want[b.Code] != b {
			t.Errorf("bubble %+v; the statistics say %+v", b, want[b.Code])
		}
	}
	if len(bubbles) != len(want) {
		t.Errorf("%d bubbles for the %d units of code length %d with open cases", len(bubbles), len(want), depth)
	}
	if depth == 4 {
		var ch struct{ Groups []struct{ Key string } }
		f.api(t, "admin", "GET", "/api/v1/stats?unit=33&group_by=children", nil, &ch)
		if len(ch.Groups) != len(st.Groups) {
			t.Errorf("group_by=children has %d groups, unit_depth=4 %d", len(ch.Groups), len(st.Groups))
		}
	}

	// Into the street with the most open cases.
	var streets struct {
		Groups []struct {
			Key  string
			Open int
		}
	}
	f.api(t, "admin", "GET", "/api/v1/stats?unit=33&group_by=unit&unit_depth=9", nil, &streets)
	slices.SortFunc(streets.Groups, func(a, b struct {
		Key  string
		Open int
	}) int {
		return b.Open - a.Open
	})
	street := streets.Groups[0].Key
	var su struct{ BBox [4]float64 }
	f.api(t, "admin", "GET", "/api/v1/units/"+street, nil, &su)
	b := su.BBox
	mark := eval[float64](t, desk, `performance.now()`)
	eval[bool](t, desk, fmt.Sprintf(`(() => { document.querySelector('#map').wangge.map.fitBounds(L.latLngBounds([[%v, %v], [%v, %v]]), { animate: false }); return true })()`, b[1], b[0], b[3], b[2]))
	var comms struct {
		Features []struct{ Properties struct{ Code string } }
	}
	f.api(t, "admin", "GET", "/api/v1/boundaries?level=community&under="+street, nil, &comms)
	if len(comms.Features) == 0 {
		t.Fatalf("street %s has no communities", street)
	}
	codes, _ := json.Marshal(func() []string {
		var s []string
		for _, g := range comms.Features {
			s = append(s, g.Properties.Code)
		}
		return s
	}())
	waitJS(t, desk, "the street's communities and the view's points", fmt.Sprintf(`(() => {
		const w = document.querySelector('#map').wangge
		return %s.every(c => w.bounds.unit(c)) && w.clusters.points.length > 0 && w.bubbles.items.length === 0 &&
			performance.getEntriesByType('resource').some(e => e.name.includes('/api/v1/web/points?') && e.name.includes('bbox=') && e.startTime > %v && e.responseEnd > 0)
	})()`, codes, mark))
	pointsReq := eval[string](t, desk, fmt.Sprintf(`(() => { const e = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/web/points?') && e.startTime > %v).pop(); return e.name.slice(e.name.indexOf('/api/')) })()`, mark))
	var pts struct {
		Total int
		Rows  [][6]float64
	}
	f.api(t, "admin", "GET", pointsReq, nil, &pts)
	var box [4]float64
	fmt.Sscanf(strings.ReplaceAll(query(t, pointsReq, "bbox"), ",", " "), "%g %g %g %g", &box[0], &box[1], &box[2], &box[3])
	if pts.Total == 0 || pts.Total >= all.Open || pts.Total > 5000 || box[0] > b[0] || box[1] > b[1] || box[2] < b[2] || box[3] < b[3] {
		t.Errorf("the view of street %s (%v) asked for %d points in %v, of the province's %d", street, b, pts.Total, box, all.Open)
	}
	if n := eval[int](t, desk, `document.querySelector('#map').wangge.clusters.points.length`); n != len(pts.Rows) {
		t.Errorf("the map holds %d points, the view's request %d", n, len(pts.Rows))
	}
	for _, r := range pts.Rows {
		if r[2] < box[0] || r[2] > box[2] || r[1] < box[1] || r[1] > box[3] {
			t.Errorf("point %v outside the view's box %v", r, box)
			break
		}
	}
	// A step closer, the grids in view come too.
	eval[bool](t, desk, `(() => { const m = document.querySelector('#map').wangge.map; m.setZoom(m.getZoom() + 1, { animate: false }); return true })()`)
	waitJS(t, desk, "grids", `(() => { const w = document.querySelector('#map').wangge; return w.bounds.inView('grid').length > 0 && w.bounds.shown.includes('grid') })()`)
	// The finer boundaries came for the view: by box, not for the province.
	for _, r := range boundaryRequests(t, desk, false) {
		if query(t, r, "bbox") == "" {
			t.Errorf("after the first paint the page fetched %s without a box", r)
		}
	}
	if errs := eval[[]string](t, desk, `window.__errors || []`); len(errs) > 0 {
		t.Errorf("script errors: %v", errs)
	}

	// A county's operator: the county's streets and communities first, and
	// every open case's point.
	op := tab(t)
	do(t, op, "viewport", chromedp.EmulateViewport(1400, 1000))
	login(t, op, f.base, "/", "operator")
	do(t, op, "operator's dashboard", chromedp.WaitReady(css(`body[data-points="1"]`)))
	levels = nil
	for _, r := range boundaryRequests(t, op, true) {
		levels = append(levels, query(t, r, "level")+" under "+query(t, r, "under"))
	}
	slices.Sort(levels)
	if got, want := strings.Join(levels, ", "), "community under "+county+", street under "+county; got != want {
		t.Errorf("the operator's first paint fetched %s; want %s", got, want)
	}
	var cs struct{ Open int }
	f.api(t, "operator", "GET", "/api/v1/stats", nil, &cs)
	if n := eval[int](t, op, `document.querySelector('#map').wangge.clusters.points.length`); n != cs.Open || n == 0 {
		t.Errorf("the operator's map holds %d points; the county has %d open cases", n, cs.Open)
	}
	if n := eval[int](t, op, `document.querySelector('#map').wangge.bubbles.items.length`); n != 0 {
		t.Errorf("the operator's map draws %d count bubbles", n)
	}
}

// TestProvinceFirstPaint measures the command centre of a province's
// administrator over the database WANGGE_MEASURE_PROVINCE names (made by
// `wangge gen`, administrator password in WANGGE_MEASURE_PROVINCE_PASSWORD,
// default provadmin1): the first useful paint, the time until the map's
// cases are drawn, and the requests and bytes fetched by then and once the
// page is quiet. WANGGE_MEASURE_MAP_BASELINE=DIR also serves an older
// front end from DIR (web/static of another commit, checked out with git
// archive) over the same database, and alternates the runs between the two;
// WANGGE_MEASURE_MAP_BASELINE_URL does so with a server already running
// (an older binary, say, over a copy of the database at its schema).
// WANGGE_MEASURE_MAP_RUNS sets the runs of each (3). The last run of each
// leaves a screenshot in the temporary directory. It asserts nothing.
func TestProvinceFirstPaint(t *testing.T) {
	path := os.Getenv("WANGGE_MEASURE_PROVINCE")
	if path == "" {
		t.Skip("set WANGGE_MEASURE_PROVINCE to a generated province's database to measure its command centre")
	}
	pw := cmp.Or(os.Getenv("WANGGE_MEASURE_PROVINCE_PASSWORD"), "provadmin1")
	browser(t)
	db, err := sqlstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	type site struct {
		name, base string
		desk       context.Context
		runs       []map[string]float64
	}
	start := func(name string) *site {
		srv, err := app.Start(context.Background(), db, "127.0.0.1:0", quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return &site{name: name, base: srv.URL}
	}
	sites := []*site{start("current")}
	if dir := os.Getenv("WANGGE_MEASURE_MAP_BASELINE"); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("WANGGE_WEB_DIR", abs)
		sites = append(sites, start("baseline "+dir))
	}
	if u := os.Getenv("WANGGE_MEASURE_MAP_BASELINE_URL"); u != "" {
		sites = append(sites, &site{name: "baseline " + u, base: u})
	}
	runs := 3
	if n, err := strconv.Atoi(os.Getenv("WANGGE_MEASURE_MAP_RUNS")); err == nil && n > 0 {
		runs = n
	}
	// The page's fetches under way, for "quiet" (resource timings list a
	// request only once it has ended).
	const inflight = `(() => { let n = 0; window.__quietSince = performance.now(); const f = window.fetch
		window.__inflight = () => n
		window.fetch = (...a) => { n++; return f(...a).finally(() => { n--; window.__quietSince = performance.now() }) } })()`
	for _, s := range sites {
		s.desk = tab(t)
		do(t, s.desk, "fetch counter", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: inflight})
			return chromedp.Void{}, err
		})
		do(t, s.desk, "viewport", chromedp.EmulateViewport(1600, 1000))
		do(t, s.desk, "login",
			chromedp.Navigate(s.base+"/"),
			chromedp.WaitVisible(css(`#login-form`)),
			chromedp.SendKeys(css(`#login-form input[name=username]`), "admin"),
			chromedp.SendKeys(css(`#login-form input[name=password]`), pw),
			chromedp.Click(css(`#login-form button[type=submit]`)),
			chromedp.WaitNotPresent(css(`#login-form`)))
	}
	for i := range runs {
		for _, s := range sites {
			sctx, cancel := context.WithTimeout(s.desk, 12*time.Minute)
			err := chromedp.Do(sctx, chromedp.Navigate(s.base+"/#/dashboard"), chromedp.Reload())
			if err == nil {
				_, err = chromedp.Run(sctx, chromedp.Poll[bool](`document.body.dataset.points === '1'`, chromedp.WithPollingTimeout(5*time.Minute)))
			}
			if err != nil {
				cancel()
				t.Fatalf("%s: %v", s.name, err)
			}
			// Quiet: no fetch under way for three seconds (the old page
			// fetches the grids after the points).
			_, err = chromedp.Run(sctx, chromedp.Poll[bool](`window.__inflight() === 0 && performance.now() - window.__quietSince > 3000`,
				chromedp.WithPollingTimeout(10*time.Minute), chromedp.WithPollingInterval(500*time.Millisecond)))
			cancel()
			if err != nil {
				t.Fatalf("%s: quiet: %v", s.name, err)
			}
			m := eval[map[string]float64](t, s.desk, `(() => {
				const at = n => (performance.getEntriesByName(n)[0] || {}).startTime || 0
				const useful = at('wangge-useful'); const points = at('wangge-points')
				const api = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/'))
				const sum = (list, f) => list.reduce((a, e) => a + f(e), 0)
				const by = t => api.filter(e => e.startTime < t)
				return { useful, points, reqUseful: by(useful).length, kbUseful: sum(by(useful), e => e.transferSize) / 1024,
					reqPoints: by(points).length, kbPoints: sum(by(points), e => e.transferSize) / 1024,
					reqAll: api.length, kbAll: sum(api, e => e.transferSize) / 1024,
					boundaries: api.filter(e => e.name.includes('/api/v1/boundaries')).length }
			})()`)
			s.runs = append(s.runs, m)
			if i == runs-1 {
				if shot, err := chromedp.Run(s.desk, chromedp.CaptureScreenshot()); err == nil {
					p := filepath.Join(os.TempDir(), "wangge-province-"+strings.Fields(s.name)[0]+".png")
					os.WriteFile(p, shot, 0o644)
					t.Logf("%s: screenshot %s", s.name, p)
				}
			}
			t.Logf("%s, run %d: first useful paint %.0f ms, cases drawn %.0f ms; by the paint %.0f requests %.0f kB, by the cases %.0f requests %.0f kB, when quiet %.0f requests (%.0f of boundaries) %.0f kB",
				s.name, i+1, m["useful"], m["points"], m["reqUseful"], m["kbUseful"], m["reqPoints"], m["kbPoints"], m["reqAll"], m["boundaries"], m["kbAll"])
		}
	}
	for _, s := range sites {
		med := func(k string) float64 {
			v := make([]float64, len(s.runs))
			for i, r := range s.runs {
				v[i] = r[k]
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		t.Logf("%s, median of %d: first useful paint %.0f ms, cases drawn %.0f ms; by the paint %.0f requests %.0f kB, by the cases %.0f requests %.0f kB, when quiet %.0f requests (%.0f of boundaries) %.0f kB",
			s.name, len(s.runs), med("useful"), med("points"), med("reqUseful"), med("kbUseful"), med("reqPoints"), med("kbPoints"), med("reqAll"), med("boundaries"), med("kbAll"))
	}
}
