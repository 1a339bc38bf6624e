package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/app"
	"github.com/wangge/wangge/internal/bench"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
	"github.com/wangge/wangge/internal/territory"
)

// databases are the --db values every bench runs on: SQLite in a temporary
// directory, and the PostgreSQL of WANGGE_TEST_POSTGRES when it is set (the
// command makes its own schema there). A PostgreSQL that cannot be reached
// fails the test.
func databases() map[string]string {
	dbs := map[string]string{"sqlite": ""}
	if dsn := os.Getenv("WANGGE_TEST_POSTGRES"); dsn != "" {
		dbs["postgres"] = dsn
	}
	return dbs
}

// run runs `wangge bench args...` and returns its standard output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := app.Run(context.Background(), append([]string{"bench"}, args...), strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), err
}

func decode(t *testing.T, out string) *bench.Result {
	t.Helper()
	var r bench.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, field := range []string{`"ops"`, `"seconds"`, `"ops_per_sec"`, `"p50_ms"`, `"p99_ms"`, `"max_rss_mb"`} {
		if !strings.Contains(out, field) {
			t.Errorf("JSON lacks %s: %s", field, out)
		}
	}
	if r.MaxRSSMB <= 0 || r.RSSOf == "" {
		t.Errorf("max_rss_mb = %v of %q", r.MaxRSSMB, r.RSSOf)
	}
	return &r
}

// TestIntake runs the intake bench end to end at a tiny size, through
// Open311 and through the JSON API, against the bare handler.
func TestIntake(t *testing.T) {
	for name, dsn := range databases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, via := range []string{bench.ViaOpen311, bench.ViaAPI} {
				args := []string{"intake", "--db", dsn, "--via", via, "--clients", "4", "--seconds", "0.5", "--warmup", "0.2", "--json"}
				if via == bench.ViaAPI {
					args = append(args, "--no-baseline")
				}
				out, err := run(t, args...)
				if err != nil {
					t.Fatal(err)
				}
				r := decode(t, out)
				// On a loaded machine a report may take longer than the tiny
				// window, so the figures are checked for sense, not size.
				if r.Errors != 0 || r.P99ms < r.P50ms || r.Clients != 4 || !strings.HasPrefix(r.Via, via) {
					t.Errorf("%s: result %+v", via, r)
				}
				if via == bench.ViaOpen311 && (r.Baseline == nil || r.Baseline.Ops == 0 || (r.Ops > 0) != (r.Ratio > 0)) {
					t.Errorf("%s: bare-handler baseline %+v, ratio %v", via, r.Baseline, r.Ratio)
				}
				if via == bench.ViaOpen311 && (r.RawDB == nil || r.RawDB.Ops == 0 || r.RawDB.Errors != 0 || (r.Ops > 0) != (r.RatioRawDB > 0)) {
					t.Errorf("%s: raw-database baseline %+v, ratio %v", via, r.RawDB, r.RatioRawDB)
				}
				if len(r.Notes) == 0 || !strings.HasPrefix(r.Notes[0], "every acknowledged report is a stored case") || strings.HasPrefix(r.Notes[0], "every acknowledged report is a stored case (0,") {
					t.Errorf("%s: notes %q", via, r.Notes)
				}
			}
		})
	}
}

// TestLocate runs the locate bench: in-process and over HTTP.
func TestLocate(t *testing.T) {
	out, err := run(t, "locate", "--clients", "4", "--seconds", "0.3", "--warmup", "0", "--json")
	if err != nil {
		t.Fatal(err)
	}
	r := decode(t, out)
	if r.Errors != 0 || r.InProcess == nil || r.InProcess.Ops < 1000 {
		t.Errorf("result %+v, in-process %+v", r, r.InProcess)
	}
	out, err = run(t, "locate", "--clients", "2", "--seconds", "0.2")
	if err != nil || !strings.Contains(out, "GET /api/v1/locate:") || !strings.Contains(out, "in-process (one goroutine)") {
		t.Errorf("human output: %v\n%s", err, out)
	}
}

// TestScheduler fills a small database and checks that the scheduler acted
// on every case that came due, with lag and CPU figures.
func TestScheduler(t *testing.T) {
	for name, dsn := range databases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, "scheduler", "--db", dsn, "--cases", "3000", "--rate", "100", "--seconds", "1", "--tick", "100ms", "--json")
			if err != nil {
				t.Fatal(err)
			}
			r := decode(t, out)
			s := r.Scheduler
			if s == nil || s.OpenCases != 3000 || s.Due != 100 || s.ActedDue != 100 || s.Missed != 0 || s.Ticks == 0 {
				t.Fatalf("scheduler stats %+v", s)
			}
			if s.Actions["overdue"]+s.Actions["auto_escalate"] != 100 {
				t.Errorf("actions %v: every due case is overdue", s.Actions)
			}
			if r.Ops < 100 || r.P50ms <= 0 || r.MaxMs < r.P99ms || r.MaxMs > 60000 {
				t.Errorf("lag p50 %v p99 %v max %v ms over %d cases", r.P50ms, r.P99ms, r.MaxMs, r.Ops)
			}
		})
	}
}

// TestNonsense checks that meaningless parameters are refused with exit
// status 2 and a message that names the flag.
func TestNonsense(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"intake", "--clients", "0"}, "--clients"},
		{[]string{"intake", "--seconds", "-1"}, "--seconds"},
		{[]string{"intake", "--via", "carrier-pigeon"}, "--via"},
		{[]string{"locate", "--clients", "-3"}, "--clients"},
		{[]string{"scheduler", "--cases", "abc"}, "-cases"},
		{[]string{"scheduler", "--cases", "10", "--rate", "100", "--seconds", "1"}, "--cases"},
		{[]string{"scheduler", "--tick", "0s"}, "--tick"},
		{[]string{"scheduler", "--target", "http://127.0.0.1:1"}, "--target is not supported"},
		{[]string{"intake", "--target", "http://x", "--db", "postgres://y"}, "--target"},
		{[]string{"teleport"}, "unknown bench"},
		{nil, "bench what? intake, locate"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || app.ExitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench %v: %v (exit %d), want exit 2 naming %s", tc.args, err, app.ExitCode(err), tc.want)
		}
	}
}

// TestTargetDown checks that a target that is not up is reported at once.
func TestTargetDown(t *testing.T) {
	start := time.Now()
	_, err := run(t, "intake", "--target", "http://127.0.0.1:1", "--api-key", "k", "--seconds", "1")
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s to give up", d)
	}
}

// TestTarget benches a server started outside the bench, as --target does
// with a running one: points are found with /api/v1/locate around --near
// and service codes from the Open311 service list.
func TestTarget(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		sys := app.System(context.Background())
		square := `{"type":"Polygon","coordinates":[[[116.0,26.4],[116.02,26.4],[116.02,26.42],[116.0,26.42],[116.0,26.4]]]}`
		mp, err := geo.ParseGeometry([]byte(square))
		if err != nil {
			t.Fatal(err)
		}
		units := []wangge.Unit{
			{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县"},
			{Code: "360730100", ParentCode: "360730", Level: wangge.LevelStreet, NameZH: "梅江镇"},
			{Code: "360730100001", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "中山南路社区"},
			{Code: "360730100001001", ParentCode: "360730100001", Level: wangge.LevelGrid, NameZH: "第1网格"},
		}
		for i := range units {
			units[i].Boundary, units[i].BBox = territory.Boundary(mp, geo.WGS84)
		}
		if err := db.CreateUnits(sys, units); err != nil {
			t.Fatal(err)
		}
		cat := catalogue.Default()
		for _, d := range catalogue.Departments(cat) {
			if err := db.CreateDepartment(sys, &wangge.Department{Code: d, NameZH: d, UnitCode: "360730"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SaveCatalogue(sys, cat); err != nil {
			t.Fatal(err)
		}
		key, err := db.CreateAPIKey(sys, "bench")
		if err != nil {
			t.Fatal(err)
		}
		db.Now = func() time.Time { return time.Now().UTC() }
		srv, err := app.Start(context.Background(), db, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		out, err := run(t, "intake", "--target", srv.URL, "--api-key", key, "--near", "26.41,116.01", "--radius", "1500",
			"--clients", "4", "--seconds", "0.3", "--warmup", "0", "--no-baseline", "--json")
		if err != nil {
			t.Fatal(err)
		}
		r := decode(t, out)
		if r.Errors != 0 || r.Target != srv.URL || r.Baseline != nil || !strings.Contains(r.RSSOf, "load generator only") {
			t.Errorf("result %+v", r)
		}
		_, err = run(t, "intake", "--target", srv.URL, "--api-key", "wrong", "--near", "26.41,116.01", "--seconds", "0.3")
		if err == nil || !strings.Contains(err.Error(), "first report was refused") || !strings.Contains(err.Error(), "api_key") {
			t.Errorf("a wrong key: %v", err)
		}
		_, err = run(t, "intake", "--target", srv.URL, "--api-key", key, "--near", "40.0,10.0", "--seconds", "0.3")
		if err == nil || !strings.Contains(err.Error(), "--near") {
			t.Errorf("points outside the territory: %v", err)
		}
	})
}
