// Package webui_test drives the web interfaces in headless Chromium: the
// whole case loop across the roles, the grid worker's offline outbox, the
// language switch and the geographic scope. WANGGE_SCREENSHOTS=1 also
// writes the screenshots of docs/screenshots/ from the demo county.
package webui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/app"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/password"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
	"github.com/wangge/wangge/internal/territory"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const pass = "demo12345"

// chromium finds the browser: WANGGE_CHROMIUM, then chromium on the PATH.
// Without one the tests skip, except in CI, where they fail.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("WANGGE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI installs it with: apt-get install -y chromium")
	}
	t.Skip("browser tests skipped: chromium is not installed (apt-get install -y chromium)")
	return ""
}

var (
	browserOnce sync.Once
	browserCtx  context.Context
	browserErr  error
)

// browser starts one headless Chromium for the package, with a fresh
// profile and without the background traffic that would hammer a closed
// network.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := chromium(t)
	browserOnce.Do(func() {
		dir, err := os.MkdirTemp("", "wangge-chromium-")
		if err != nil {
			browserErr = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.UserDataDir(dir),
			chromedp.Headless, chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
			chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.WindowSize(1440, 900))
		actx, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		browserCtx, _ = chromedp.NewContext(actx)
		browserErr = chromedp.Do(browserCtx) // starts it
	})
	if browserErr != nil {
		t.Fatalf("start chromium: %v", browserErr)
	}
	return browserCtx
}

// tab opens a tab in its own browser context (its own cookies and
// storage), as a separate person on a separate device.
func tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// do runs actions, each group within 20 s; a failure saves a screenshot.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		shot, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if len(shot) > 0 {
			p := filepath.Join(os.TempDir(), "wangge-webui-failure.png")
			os.WriteFile(p, shot, 0o644)
			t.Logf("screenshot of the failure: %s", p)
		}
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is true.
func waitJS(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		do(t, ctx, what, func(context.Context, *chromedp.Target) (chromedp.Void, error) { return chromedp.Void{}, err })
	}
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// login logs in on the page at base+path.
func login(t *testing.T, ctx context.Context, base, path, user string) {
	t.Helper()
	do(t, ctx, "login as "+user,
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(css(`#login-form`)),
		chromedp.SendKeys(css(`#login-form input[name=username]`), user),
		chromedp.SendKeys(css(`#login-form input[name=password]`), pass),
		chromedp.Click(css(`#login-form button[type=submit]`)),
		chromedp.WaitNotPresent(css(`#login-form`)))
}

func logout(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "logout", chromedp.Click(css(`#logout`)), chromedp.WaitVisible(css(`#login-form`)))
}

// act takes an action on the open case page and waits for the page to
// show the new status.
func act(t *testing.T, ctx context.Context, action string, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(css(`[data-action="` + action + `"]`)), chromedp.Click(css(`[data-action="` + action + `"]`)),
		chromedp.WaitVisible(css(`form[data-form="` + action + `"]`))}
	steps = append(steps, fill...)
	steps = append(steps, chromedp.Click(css(`form[data-form="`+action+`"] button[type=submit]`)), chromedp.WaitNotPresent(css(`form[data-form="`+action+`"]`)))
	do(t, ctx, action, steps...)
}

// --- the server ---

// Codes of the small test county: one street, two communities, grids and
// micro-grids laid out so that the middle of the map is in grid 1.
const (
	county = "360730"
	street = "360730100"
	grid1  = "360730100001001"
	grid2  = "360730100001002"
)

type fixture struct {
	srv    *app.Server
	base   string
	dept   int64
	mu     sync.Mutex
	tokens map[string]string
}

func rect(x0, y0, x1, y1 float64) geo.MultiPolygon {
	const lon, lat, d = 116.00, 26.46, 0.004
	p := func(x, y float64) geo.Point { return geo.Point{X: lon + x*d, Y: lat + y*d} }
	return geo.MultiPolygon{geo.Polygon{geo.Ring{p(x0, y0), p(x1, y0), p(x1, y1), p(x0, y1), p(x0, y0)}}}
}

// smallCounty serves a county of 2 communities, 3 grids and 6 micro-grids
// with the default catalogue, one department and an account per role.
func smallCounty(t *testing.T) *fixture {
	t.Helper()
	db := sqlstoretest.MustOpenDB(t, filepath.Join(t.TempDir(), "web.db"))
	db.Now = func() time.Time { return time.Now().UTC() }
	sys := app.System(context.Background())
	unit := func(code, parent string, level wangge.Level, name string, mp geo.MultiPolygon) wangge.Unit {
		u := wangge.Unit{Code: code, ParentCode: parent, Level: level, NameZH: name, NameEN: name, Households: 100, Population: 300}
		u.Boundary, u.BBox = territory.Boundary(mp, geo.WGS84)
		return u
	}
	units := []wangge.Unit{
		{Code: "36", Level: wangge.LevelProvince, NameZH: "江西省", NameEN: "Jiangxi"},
		{Code: "3607", ParentCode: "36", Level: wangge.LevelCity, NameZH: "赣州市", NameEN: "Ganzhou"},
		unit(county, "3607", wangge.LevelCounty, "宁都县", rect(0, 0, 3, 3)),
		unit(street, county, wangge.LevelStreet, "梅江镇", rect(0, 0, 3, 3)),
		unit("360730100001", street, wangge.LevelCommunity, "测试一社区", rect(0, 0, 2, 3)),
		unit("360730100002", street, wangge.LevelCommunity, "测试二社区", rect(2, 0, 3, 3)),
		unit(grid1, "360730100001", wangge.LevelGrid, "一社区第1网格", rect(0, 1, 2, 3)),
		unit(grid2, "360730100001", wangge.LevelGrid, "一社区第2网格", rect(0, 0, 2, 1)),
		unit("360730100002001", "360730100002", wangge.LevelGrid, "二社区第1网格", rect(2, 0, 3, 3)),
		unit(grid1+"001", grid1, wangge.LevelMicroGrid, "一网格微网格1", rect(0, 1, 1, 3)),
		unit(grid1+"002", grid1, wangge.LevelMicroGrid, "一网格微网格2", rect(1, 1, 2, 3)),
		unit(grid2+"001", grid2, wangge.LevelMicroGrid, "二网格微网格1", rect(0, 0, 1, 1)),
		unit(grid2+"002", grid2, wangge.LevelMicroGrid, "二网格微网格2", rect(1, 0, 2, 1)),
		unit("360730100002001001", "360730100002001", wangge.LevelMicroGrid, "二社区微网格1", rect(2, 0, 3, 1.5)),
		unit("360730100002001002", "360730100002001", wangge.LevelMicroGrid, "二社区微网格2", rect(2, 1.5, 3, 3)),
	}
	if err := db.CreateUnits(sys, units); err != nil {
		t.Fatal(err)
	}
	d := wangge.Department{Code: "cgj", NameZH: "城市管理局", NameEN: "Urban Management", UnitCode: county}
	if err := db.CreateDepartment(sys, &d); err != nil {
		t.Fatal(err)
	}
	cat := catalogue.Default()
	for i := range cat.Categories {
		cat.Categories[i].Department = ""
	}
	for i := range cat.Items {
		cat.Items[i].Department = ""
	}
	if err := db.SaveCatalogue(sys, cat); err != nil {
		t.Fatal(err)
	}
	users := []wangge.User{
		{Username: "admin", Name: "管理员", Role: wangge.RoleAdmin, Units: []string{county}},
		{Username: "operator", Name: "坐席", Role: wangge.RoleOperator, Units: []string{county}},
		{Username: "gw1", Name: "网格员甲", Role: wangge.RoleGridWorker, Units: []string{grid1}},
		{Username: "gw2", Name: "网格员乙", Role: wangge.RoleGridWorker, Units: []string{grid2}},
		{Username: "dept", Name: "城管队员", Role: wangge.RoleDepartment, DepartmentID: &d.ID, Units: []string{}},
	}
	if err := db.LoadUsers(sys, users, password.Hash(pass)); err != nil {
		t.Fatal(err)
	}
	srv, err := app.Start(context.Background(), db, "127.0.0.1:0", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &fixture{srv: srv, base: srv.URL, dept: d.ID, tokens: map[string]string{}}
}

// api calls the JSON API as a user, for the checks behind the screens.
func (f *fixture) api(t *testing.T, user, method, path string, body, out any) int {
	t.Helper()
	token := ""
	if user != "" {
		f.mu.Lock()
		token = f.tokens[user]
		f.mu.Unlock()
		if token == "" { // logins are limited per address: log in once per user
			var r struct{ Token string }
			f.api(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pass}, &r)
			token = r.Token
			f.mu.Lock()
			f.tokens[user] = token
			f.mu.Unlock()
		}
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

type caseList struct {
	Items []struct {
		ID          int64
		Number      string
		Status      string
		Description string
		UnitCode    string `json:"unit_code"`
	}
	Total int
}

// --- the tests ---

// TestCaseLoop: a resident reports on the public page, the operator
// accepts and dispatches, the department handles, the grid worker
// verifies, the operator closes and the resident rates — every step
// through the screens, each person in their own browser context.
func TestCaseLoop(t *testing.T) {
	f := smallCounty(t)

	// The resident pins the middle of the map (grid 1) and reports.
	res := tab(t)
	do(t, res, "resident report",
		chromedp.Navigate(f.base+"/report"),
		chromedp.WaitReady(css(`#resident-form select[name=category] option[value="0101"]`)),
		chromedp.SetValue(css(`#resident-form select[name=category]`), "0101"),
		chromedp.SendKeys(css(`#resident-form textarea[name=description]`), "小区门口垃圾堆积三天无人清理"),
		chromedp.SendKeys(css(`#resident-form input[name=phone]`), "123"),
		chromedp.Sleep(500*time.Millisecond))
	waitJS(t, res, "outline drawn", `document.querySelectorAll('#resident-map path').length > 0 || !!document.querySelector('#resident-map canvas')`)
	do(t, res, "pin", chromedp.Click(css(`#resident-map`)), chromedp.WaitVisible(css(`.leaflet-marker-icon`)))
	// A bad phone is refused next to the field, and what was typed stays.
	do(t, res, "bad phone", chromedp.Click(css(`#resident-form button[type=submit]`)), chromedp.WaitVisible(css(`.field-error[data-for=phone]`)))
	if v := eval[string](t, res, `document.querySelector('#resident-form textarea[name=description]').value`); !strings.Contains(v, "垃圾") {
		t.Fatalf("description lost after a refused submit: %q", v)
	}
	do(t, res, "good phone",
		chromedp.SetValue(css(`#resident-form input[name=phone]`), "13800138000"),
		chromedp.Click(css(`#resident-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#report-result`)))
	number := eval[string](t, res, `document.querySelector('#case-number').textContent`)
	code := eval[string](t, res, `document.querySelector('#tracking-code').textContent`)
	if number == "" || code == "" {
		t.Fatalf("no case number (%q) or tracking code (%q)", number, code)
	}
	var cl caseList
	f.api(t, "operator", "GET", "/api/v1/cases?open=true", nil, &cl)
	if cl.Total != 1 || cl.Items[0].Number != number || !strings.HasPrefix(cl.Items[0].UnitCode, grid1) {
		t.Fatalf("after the report the operator sees %+v", cl)
	}
	id := cl.Items[0].ID
	casePath := fmt.Sprintf("/#/case/%d", id)

	// The operator accepts and dispatches to the department.
	op := tab(t)
	login(t, op, f.base, "/", "operator")
	do(t, op, "dashboard", chromedp.WaitVisible(css(`#kpis .kpi`)), chromedp.WaitVisible(css(`a[data-case="`+number+`"]`)),
		chromedp.Click(css(`a[data-case="`+number+`"]`)), chromedp.WaitVisible(css(`#case-number`)))
	act(t, op, "accept")
	act(t, op, "dispatch", chromedp.SetValue(css(`select[name=department_id]`), fmt.Sprint(f.dept)))

	// The department starts and finishes.
	dept := tab(t)
	login(t, dept, f.base, "/", "dept")
	do(t, dept, "department task list", chromedp.WaitVisible(css(`#case-table`)), chromedp.Click(css(`#case-table a`)), chromedp.WaitVisible(css(`#case-number`)))
	act(t, dept, "start")
	act(t, dept, "finish", chromedp.SendKeys(css(`form[data-form=finish] textarea[name=note]`), "已清运"))

	// The grid worker verifies on the phone app.
	gw := tab(t)
	login(t, gw, f.base, "/m/", "gw1")
	do(t, gw, "worker task", chromedp.WaitVisible(css(`a[data-case="`+number+`"]`)), chromedp.Click(css(`a[data-case="`+number+`"]`)), chromedp.WaitVisible(css(`#case-number`)))
	act(t, gw, "verify_ok")

	// The operator closes.
	do(t, op, "reload case", chromedp.Navigate("about:blank"), chromedp.Navigate(f.base+casePath), chromedp.WaitVisible(css(`[data-action=close]`)))
	act(t, op, "close")

	// The resident follows the case and rates it.
	do(t, res, "track",
		chromedp.Navigate(f.base+"/report#track/"+number+"/"+code),
		chromedp.WaitVisible(css(`#rate-form`)),
		chromedp.Click(css(`#rate-form input[name=rating][value="5"]`)),
		chromedp.Click(css(`#rate-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#my-rating`)))
	if st := eval[string](t, res, `document.querySelector('#track-status').dataset.status`); st != "rated" {
		t.Fatalf("status after rating = %q", st)
	}
	var tl []struct{ Action string }
	f.api(t, "operator", "GET", fmt.Sprintf("/api/v1/cases/%d/timeline", id), nil, &tl)
	var got []string
	for _, e := range tl {
		got = append(got, e.Action)
	}
	want := "report accept dispatch start finish verify_ok close rate"
	if strings.Join(got, " ") != want {
		t.Errorf("timeline = %v, want %s", got, want)
	}

	// Scope: the worker of the next grid cannot open this case.
	other := tab(t)
	login(t, other, f.base, "/m/", "gw2")
	do(t, other, "other grid's case", chromedp.Navigate(f.base+fmt.Sprintf("/m/#task/%d", id)), chromedp.WaitVisible(css(`#view .form-error`)))
	if n := eval[int](t, other, `document.querySelectorAll('#case-number').length`); n != 0 {
		t.Error("a grid worker opened another grid's case")
	}
	if f.api(t, "gw2", "GET", fmt.Sprintf("/api/v1/cases/%d", id), nil, nil) != 404 {
		t.Error("the API shows another grid's case")
	}
}

// TestOfflineQueue: a report made without network waits in the outbox and
// arrives once when the network returns.
func TestOfflineQueue(t *testing.T) {
	f := smallCounty(t)
	gw := tab(t)
	login(t, gw, f.base, "/m/", "gw1")
	do(t, gw, "report tab", chromedp.Navigate(f.base+"/m/#report"), chromedp.WaitReady(css(`#report-form select[name=category] option[value="0101"]`)))
	offline := func(off bool) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return chromedp.Void{}, err
			}
			_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
			return chromedp.Void{}, err
		}
	}
	do(t, gw, "offline report",
		offline(true),
		chromedp.SetValue(css(`#report-form select[name=category]`), "0101"),
		chromedp.SendKeys(css(`#report-form textarea[name=description]`), "离线上报：井盖缺失"),
		chromedp.Click(css(`#report-form button[type=submit]`)))
	waitJS(t, gw, "queued", `document.querySelector('#netbar').dataset.pending === '1'`)
	var cl caseList
	f.api(t, "operator", "GET", "/api/v1/cases", nil, &cl)
	if cl.Total != 0 {
		t.Fatalf("a case arrived while offline: %+v", cl)
	}
	do(t, gw, "online", offline(false))
	waitJS(t, gw, "sent", `document.querySelector('#netbar').dataset.pending === '0'`)
	// Another flush (the app's timer, a second online event) sends nothing more.
	eval[any](t, gw, `window.dispatchEvent(new Event('online'))`)
	time.Sleep(time.Second)
	f.api(t, "operator", "GET", "/api/v1/cases", nil, &cl)
	if cl.Total != 1 || cl.Items[0].Description != "离线上报：井盖缺失" || !strings.HasPrefix(cl.Items[0].UnitCode, grid1) {
		t.Fatalf("after going online: %+v", cl)
	}
}

// TestLanguageSwitch: zh-CN by default, English one click away, kept
// across a reload.
func TestLanguageSwitch(t *testing.T) {
	f := smallCounty(t)
	c := tab(t)
	do(t, c, "login page", chromedp.Navigate(f.base+"/"), chromedp.WaitVisible(css(`#login-form`)))
	if s := eval[string](t, c, `document.querySelector('#login-form button').textContent`); s != "登录" {
		t.Fatalf("default language button = %q", s)
	}
	do(t, c, "switch", chromedp.Click(css(`#lang-switch`)))
	waitJS(t, c, "English login", `document.querySelector('#login-form button')?.textContent === 'Log in'`)
	login(t, c, f.base, "/", "operator")
	do(t, c, "dashboard in English", chromedp.WaitVisible(css(`#kpis .kpi`)))
	if s := eval[string](t, c, `document.querySelector('[data-nav=dashboard]').textContent + '|' + document.documentElement.lang`); s != "Command centre|en" {
		t.Fatalf("nav after reload = %q", s)
	}
	do(t, c, "back to Chinese", chromedp.Click(css(`#lang-switch`)), chromedp.WaitVisible(css(`#kpis .kpi`)))
	if s := eval[string](t, c, `document.querySelector('[data-nav=dashboard]').textContent`); s != "指挥中心" {
		t.Fatalf("nav after switching back = %q", s)
	}
}
