package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/wangge/wangge/internal/app"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// demoServer seeds the demo county into db and serves it on 127.0.0.1:0.
func demoServer(t *testing.T, db *sqlstore.DB) *app.Server {
	t.Helper()
	created, err := app.SeedDemo(context.Background(), db, "admin-pass-1", quiet)
	if err != nil || !created {
		t.Fatalf("SeedDemo = %v, %v", created, err)
	}
	srv, err := app.Start(context.Background(), db, "127.0.0.1:0", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func call(t *testing.T, srv *app.Server, token, method, path string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
}

func login(t *testing.T, srv *app.Server, user, pass string) string {
	t.Helper()
	var out struct{ Token string }
	call(t, srv, "", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pass}, 200, &out)
	return out.Token
}

// TestDemoCounty checks what the issue promises of the demo: the real 21
// communities of 梅江镇, 181 grids, 1,623 micro-grids, and a grid worker who
// sees only their own grid's households.
func TestDemoCounty(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 280,000 residents")
	}
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		srv := demoServer(t, db)
		admin := login(t, srv, "admin", "admin-pass-1")
		var pg struct {
			Items []struct {
				Code   string
				NameZH string `json:"name_zh"`
			}
			Total int
		}
		call(t, srv, admin, "GET", "/api/v1/units?level=community&parent=360730100", nil, 200, &pg)
		if pg.Total != 21 || pg.Items[0].Code != "360730100001" || !strings.HasPrefix(pg.Items[0].NameZH, "中山南路社区") {
			t.Errorf("communities: %d, first %+v", pg.Total, pg.Items[0])
		}
		call(t, srv, admin, "GET", "/api/v1/units?level=grid&limit=1", nil, 200, &pg)
		if pg.Total != 181 {
			t.Errorf("grids = %d, want 181", pg.Total)
		}
		call(t, srv, admin, "GET", "/api/v1/units?level=micro_grid&limit=1", nil, 200, &pg)
		if pg.Total != 1623 {
			t.Errorf("micro-grids = %d, want 1623", pg.Total)
		}
		var persons struct{ Total int }
		call(t, srv, admin, "GET", "/api/v1/persons?limit=1", nil, 200, &persons)
		if persons.Total < 270000 || persons.Total > 290000 {
			t.Errorf("residents = %d, want about 280,000", persons.Total)
		}

		gw := login(t, srv, "gw360730100001001", "demo12345")
		var hh struct {
			Items []struct {
				ID       int64
				UnitCode string `json:"unit_code"`
			}
			Total int
		}
		call(t, srv, gw, "GET", "/api/v1/households?limit=1000", nil, 200, &hh)
		if hh.Total < 300 || hh.Total > 500 {
			t.Errorf("grid worker sees %d households, want one grid's 300-500", hh.Total)
		}
		for _, h := range hh.Items {
			if !strings.HasPrefix(h.UnitCode, "360730100001001") {
				t.Fatalf("grid worker sees household in %s", h.UnitCode)
			}
		}
		call(t, srv, gw, "GET", "/api/v1/households/"+itoa(hh.Items[0].ID), nil, 200, nil)
		var other struct{ Items []struct{ ID int64 } }
		call(t, srv, admin, "GET", "/api/v1/households?unit=360730100002001&limit=1", nil, 200, &other)
		call(t, srv, gw, "GET", "/api/v1/households/"+itoa(other.Items[0].ID), nil, 404, nil)

		// The county seat lies in the demo's urban area: the chain reaches a micro-grid.
		var loc struct{ Units []struct{ Level string } }
		call(t, srv, "", "GET", "/api/v1/locate?lat=26.472054&lon=116.018782&crs=gcj02", nil, 200, &loc)
		if len(loc.Units) != 5 || loc.Units[0].Level != "county" || loc.Units[4].Level != "micro_grid" {
			t.Errorf("county seat chain = %+v", loc.Units)
		}

		// Seeding again changes nothing.
		if created, err := app.SeedDemo(context.Background(), db, "x", quiet); err != nil || created {
			t.Errorf("second seed = %v, %v", created, err)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// BenchmarkSeedDemo creates the demo county in a fresh SQLite database: the
// work `wangge demo` does between an empty directory and serving.
func BenchmarkSeedDemo(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		db := sqlstoretest.MustOpenDB(b, b.TempDir()+"/demo.db")
		b.StartTimer()
		if _, err := app.SeedDemo(context.Background(), db, "admin-pass-1", quiet); err != nil {
			b.Fatal(err)
		}
	}
}
