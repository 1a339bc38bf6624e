package webui_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wangge/wangge/internal/app"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// TestScreenshots writes docs/screenshots/*.png from the demo county with
// a few thousand cases, when WANGGE_SCREENSHOTS=1 (seeding the county
// takes a while, so it is not part of every run).
func TestScreenshots(t *testing.T) {
	if os.Getenv("WANGGE_SCREENSHOTS") != "1" {
		t.Skip("set WANGGE_SCREENSHOTS=1 to regenerate docs/screenshots")
	}
	browser(t)
	f := demoCounty(t, 3000)

	out := filepath.Join("..", "..", "docs", "screenshots")
	os.MkdirAll(out, 0o755)
	save := func(ctx context.Context, name string) {
		time.Sleep(1500 * time.Millisecond)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	desk := tab(t)
	do(t, desk, "viewport", chromedp.EmulateViewport(1600, 1000), chromedp.Navigate(f.base+"/"), chromedp.WaitVisible(css(`#login-form`)))
	save(desk, "login")
	login(t, desk, f.base, "/", "operator")
	do(t, desk, "dashboard", chromedp.WaitVisible(css(`#kpis .kpi`)), chromedp.WaitReady(css(`body[data-points="1"]`)))
	save(desk, "command-centre")
	do(t, desk, "case list", chromedp.Navigate(f.base+"/#/cases"), chromedp.WaitVisible(css(`#case-table`)))
	save(desk, "case-list")
	do(t, desk, "case page", chromedp.Click(css(`#case-table tbody tr:nth-child(3) a`)), chromedp.WaitVisible(css(`#case-number`)),
		chromedp.Click(css(`.action-buttons button:nth-child(2)`)))
	save(desk, "case-page")
	do(t, desk, "english", chromedp.Click(css(`#lang-switch`)), chromedp.Navigate(f.base+"/#/dashboard"), chromedp.WaitReady(css(`body[data-points="1"]`)))
	save(desk, "command-centre-en")
	do(t, desk, "chinese", chromedp.Click(css(`#lang-switch`)))
	logout(t, desk)
	login(t, desk, f.base, "/", "admin")
	do(t, desk, "admin", chromedp.Navigate(f.base+"/#/admin/units?level=grid"), chromedp.WaitVisible(css(`#admin-units table`)))
	save(desk, "admin-units")

	phone := tab(t)
	do(t, phone, "phone", chromedp.EmulateViewport(412, 880, chromedp.EmulateScale(2)))
	login(t, phone, f.base, "/m/", "gw360730100001001")
	do(t, phone, "tasks", chromedp.WaitVisible(css(`#tasks`)))
	save(phone, "worker-tasks")
	do(t, phone, "grid", chromedp.Navigate(f.base+"/m/#grid"), chromedp.WaitVisible(css(`#grid-map`)))
	save(phone, "worker-grid")
	do(t, phone, "report", chromedp.Navigate(f.base+"/m/#report"), chromedp.WaitVisible(css(`#report-form`)))
	save(phone, "worker-report")
	do(t, phone, "visits", chromedp.Navigate(f.base+"/m/#visits"), chromedp.WaitVisible(css(`#visits`)))
	save(phone, "worker-visits")
	res := tab(t)
	do(t, res, "resident", chromedp.EmulateViewport(412, 880, chromedp.EmulateScale(2)), chromedp.Navigate(f.base+"/report"), chromedp.WaitVisible(css(`#resident-form`)))
	save(res, "resident-report")
}

// demoCounty serves the demo county (seeding it takes a while) with n
// cases filed through the API, until the test ends.
func demoCounty(t *testing.T, n int) *fixture {
	t.Helper()
	db := sqlstoretest.MustOpenDB(t, filepath.Join(t.TempDir(), "demo.db"))
	db.Now = func() time.Time { return time.Now().UTC() }
	if _, err := app.SeedDemo(context.Background(), db, pass, quiet); err != nil {
		t.Fatal(err)
	}
	srv, err := app.Start(context.Background(), db, "127.0.0.1:0", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f := &fixture{srv: srv, base: srv.URL, tokens: map[string]string{}}
	fileCases(t, f, n)
	return f
}

// fileCases reports n cases at random points of the demo's grids as the
// operator, and moves some along the loop.
func fileCases(t *testing.T, f *fixture, n int) {
	t.Helper()
	var fc struct {
		Features []struct {
			Geometry struct{ Coordinates [][][][2]float64 }
		}
	}
	f.api(t, "operator", "GET", "/api/v1/boundaries?level=grid&limit=1000", nil, &fc)
	descs := []string{"路边垃圾堆积，影响通行", "路灯不亮", "井盖缺失，存在安全隐患", "占道经营", "噪音扰民", "邻里纠纷需调解", "独居老人需要帮助", "下水道堵塞"}
	cats := []string{"0101", "0102", "0201", "0301", "0401", "0501"}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := w; i < n; i += 4 {
				ring := fc.Features[rng.Intn(len(fc.Features))].Geometry.Coordinates[0][0]
				p := ring[rng.Intn(len(ring)-1)]
				q := ring[(len(ring)-1)/2]
				k := 0.2 + 0.6*rng.Float64()
				var c struct{ ID int64 }
				f.api(t, "operator", "POST", "/api/v1/cases", map[string]any{"category": cats[rng.Intn(len(cats))], "description": descs[rng.Intn(len(descs))],
					"lat": p[1] + (q[1]-p[1])*k, "lon": p[0] + (q[0]-p[0])*k}, &c)
				if c.ID != 0 && rng.Intn(3) == 0 {
					f.api(t, "operator", "POST", fmt.Sprintf("/api/v1/cases/%d/actions", c.ID), map[string]any{"action": "accept"}, nil)
				}
			}
		}(w)
	}
	wg.Wait()
}
