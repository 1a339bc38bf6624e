package webui_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wangge/wangge/internal/app"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// TestFirstPaint measures the command centre's first useful paint (the
// console's performance mark "wangge-useful": boundaries, KPIs and the case
// list drawn) for the demo county with 10,000 open cases, when
// WANGGE_MEASURE_PAINT=1. It logs each run and the median; it asserts
// nothing (docs/PERFORMANCE.md records the figure).
func TestFirstPaint(t *testing.T) {
	if os.Getenv("WANGGE_MEASURE_PAINT") != "1" {
		t.Skip("set WANGGE_MEASURE_PAINT=1 to measure the command centre's first paint")
	}
	browser(t)
	db := sqlstoretest.MustOpenDB(t, filepath.Join(t.TempDir(), "demo.db"))
	db.Now = func() time.Time { return time.Now().UTC() }
	if _, err := app.SeedDemo(context.Background(), db, pass, quiet); err != nil {
		t.Fatal(err)
	}
	srv, err := app.Start(context.Background(), db, "127.0.0.1:0", quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := &fixture{srv: srv, base: srv.URL, tokens: map[string]string{}}
	fileCases(t, f, 10000)

	desk := tab(t)
	do(t, desk, "viewport", chromedp.EmulateViewport(1600, 1000))
	login(t, desk, f.base, "/", "operator")
	do(t, desk, "warm", chromedp.WaitReady(css(`body[data-points="1"]`)))
	var runs []float64
	for range 7 {
		do(t, desk, "reload", chromedp.Navigate(f.base+"/#/dashboard"), chromedp.Reload())
		waitJS(t, desk, "useful paint", `performance.getEntriesByName('wangge-useful').length > 0`)
		ms := eval[float64](t, desk, `performance.getEntriesByName('wangge-useful')[0].startTime`)
		runs = append(runs, ms)
		parts := eval[map[string]float64](t, desk, `Object.fromEntries(['w-bounds','w-kpis','w-list'].map(n => [n, Math.round((performance.getEntriesByName(n)[0]||{}).startTime||0)]).concat([['dom', Math.round(performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd)]]))`)
		t.Logf("first useful paint: %.0f ms (DOMContentLoaded %.0f, boundaries %.0f, KPIs %.0f, list %.0f)", ms, parts["dom"], parts["w-bounds"], parts["w-kpis"], parts["w-list"])
	}
	sort.Float64s(runs)
	t.Logf("median of %d: %.0f ms (min %.0f, max %.0f)", len(runs), runs[len(runs)/2], runs[0], runs[len(runs)-1])
}
