package app_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/app"
	"github.com/wangge/wangge/internal/gen"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// TestGenCommand runs `wangge gen` at a tiny size, then checks that it
// refuses to fill the database twice and refuses nonsense parameters.
func TestGenCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "gen.db")
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := app.Run(context.Background(), append([]string{"gen", "--db", dbPath, "--data", dir}, args...), strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := run("--grids", "40", "--cases", "2500", "--chunk", "1000", "--now", "2026-06-01T00:00:00+08:00", "--admin-password", "gen-admin-1")
	if err != nil {
		t.Fatalf("gen: %v\n%s", err, out)
	}
	for _, want := range []string{"40 grids", "cases loaded: 2500/2500", "admin password: gen-admin-1", "--near 2", "now 2026-06-01T00:00:00+08:00"} {
		if !strings.Contains(out, want) {
			t.Errorf("gen output lacks %q:\n%s", want, out)
		}
	}
	out, err = run("--grids", "40", "--cases", "10")
	if app.ExitCode(err) != 2 || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("gen into a filled database: %v (exit %d)\n%s", err, app.ExitCode(err), out)
	}
	refused := []struct {
		args []string
		msg  string
	}{
		{[]string{"--cases", "10"}, "--grids and --cases are required"},
		{[]string{"--grids", "0", "--cases", "10"}, "--grids: must be at least 1"},
		{[]string{"--grids", "1000001", "--cases", "10"}, "--grids: must be at most 1000000"},
		{[]string{"--grids", "10", "--cases", "-3"}, "--cases: must not be negative"},
		{[]string{"--grids", "10", "--cases", "10000001"}, "--cases: must be at most 10000000"},
		{[]string{"--grids", "10", "--cases", "10", "--now", "yesterday"}, "not an RFC3339 time"},
		{[]string{"--grids", "10", "--cases", "10", "--now", "1970-01-01T00:00:00Z"}, "--now: must lie between the years 2000 and 2100"},
		{[]string{"--grids", "10", "--cases", "10", "--chunk", "5"}, "--chunk must lie between"},
		{[]string{"--grids", "ten", "--cases", "10"}, "invalid value"},
		{[]string{"--grids", "10", "--cases", "10", "--sqlite-cache", "0"}, "--sqlite-cache"},
	}
	for _, tt := range refused {
		_, err := run(tt.args...)
		if app.ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("gen %v: %v (exit %d), want %q", tt.args, err, app.ExitCode(err), tt.msg)
		}
	}
}

// TestGenServes generates a small province into each database and serves
// it: the locator finds a grid for the point gen names, the administrator
// logs in, the statistics count every case and the case list pages.
func TestGenServes(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		p := gen.Params{Grids: 300, Cases: 5000, Seed: 9, Now: time.Now().Truncate(time.Hour)}
		r, err := app.Generate(context.Background(), db, p, 2000, "gen-admin-1", func(string, ...any) {})
		if err != nil {
			t.Fatal(err)
		}
		if r.Cases != 5000 || r.Units < 300+4 || r.Departments < 12*2 {
			t.Errorf("generated %+v", r)
		}
		srv, err := app.Start(context.Background(), db, "127.0.0.1:0", quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		var loc struct {
			Units []struct{ Code, Level string }
		}
		call(t, srv, "", "GET", fmt.Sprintf("/api/v1/locate?lat=%f&lon=%f", r.Near[0], r.Near[1]), nil, 200, &loc)
		if n := len(loc.Units); n != 6 || loc.Units[0].Code != gen.ProvinceCode || loc.Units[n-1].Level != string(wangge.LevelGrid) {
			t.Errorf("locate the point gen names: %+v", loc.Units)
		}
		token := login(t, srv, "admin", "gen-admin-1")
		var st struct {
			Reported    int
			ClosureRate float64 `json:"closure_rate"`
			Groups      []struct{ Key string }
		}
		call(t, srv, token, "GET", "/api/v1/stats?group_by=unit&unit_depth=4", nil, 200, &st)
		if st.Reported != 5000 || st.ClosureRate < 0.9 || len(st.Groups) == 0 || len(st.Groups[0].Key) != 4 {
			t.Errorf("stats by city: %+v", st)
		}
		var list struct{ Items []wangge.Case }
		call(t, srv, token, "GET", "/api/v1/cases?limit=50", nil, 200, &list)
		if len(list.Items) != 50 {
			t.Errorf("case list: %d items", len(list.Items))
		}
	})
}
