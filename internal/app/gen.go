package app

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/gen"
	"github.com/wangge/wangge/internal/sqlstore"
)

const genUsage = `wangge gen — a synthetic province for scale tests

Usage:
  wangge gen --grids N --cases M [--db PATH|postgres://...] [--data DIR] [--seed S] [--now RFC3339]
             [--chunk 1000000] [--admin-password P]

Fills an empty database with a province in Zhejiang's bounding box: N grids
(1 to 1,000,000) under cities, counties, streets and communities whose
boundaries tile the box, the county departments, the default catalogue
routed to them, an administrator "admin", and M cases (0 to 10,000,000)
reported over the two years before --now (default: today 00:00 China time),
about 95 % of them closed or rated, the rest open with live deadlines. The
same --grids, --cases, --seed and --now give the same database.

The database is migrated first. gen refuses a database that already holds
units or departments: to generate again, delete the SQLite file (with its
-wal and -shm) or drop and recreate the PostgreSQL database. Cases are
loaded --chunk at a time, each chunk one transaction.
`

// genCmd runs `wangge gen`.
func (env *Env) genCmd(ctx context.Context, args []string) error {
	var c Config
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), genUsage, "\nFlags:\n"); fs.PrintDefaults() }
	c.flags(fs, "wangge-data")
	grids := fs.Int("grids", -1, "grids to generate, 1 to 1000000 (required)")
	cases := fs.Int("cases", -1, "historical cases to generate, 0 to 10000000 (required)")
	seed := fs.Uint64("seed", 1, "the same seed gives the same province and cases")
	nowFlag := fs.String("now", "", "RFC3339 instant the two years of cases end at (default: today 00:00 China time)")
	chunk := fs.Int("chunk", 1_000_000, "cases per load transaction, 1000 to 5000000")
	cacheMB := fs.Int("sqlite-cache", 2048, "page cache of the SQLite writer during the load, in MB (SQLite's default in a server is 32)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	adminPass := fs.String("admin-password", getenv("WANGGE_ADMIN_PASSWORD", ""), "password of the administrator \"admin\" (WANGGE_ADMIN_PASSWORD; default: a random one, printed)")
	if err := parse(fs, args, env.Stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("gen: unexpected argument %q", fs.Arg(0))}
	}
	if *grids == -1 || *cases == -1 {
		return usageError{"gen: --grids and --cases are required (for example --grids 10000 --cases 100000)"}
	}
	now := time.Now().In(wangge.ChinaTime)
	now = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, wangge.ChinaTime)
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usageError{fmt.Sprintf("gen: --now %q is not an RFC3339 time such as 2026-06-01T00:00:00+08:00", *nowFlag)}
		}
		now = t
	}
	params := gen.Params{Grids: *grids, Cases: *cases, Seed: *seed, Now: now}
	if err := params.Validate(); err != nil {
		return usageError{"gen: " + flagMessage(wangge.ErrorFields(err))}
	}
	if *chunk < 1000 || *chunk > 5_000_000 {
		return usageError{fmt.Sprintf("gen: --chunk must lie between 1000 and 5000000 (got %d)", *chunk)}
	}
	pw := *adminPass
	if pw == "" {
		pw = hex.EncodeToString(randomKey()[:8])
	}
	if len(pw) < 8 {
		return usageError{"gen: --admin-password must have at least 8 characters"}
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	log := env.logger(c.LogLevel)
	db, err := sqlstore.Open(ctx, c.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	if err := db.SetWriterCache(ctx, *cacheMB); err != nil {
		return usageError{"gen: --sqlite-cache: " + err.Error()}
	}
	r, err := Generate(ctx, db, params, *chunk, pw, func(format string, args ...any) {
		fmt.Fprintf(env.Stdout, format+"\n", args...)
	})
	if err != nil {
		return err
	}
	log.Debug("gen done", "units", r.Units, "cases", r.Cases)
	// Closing checkpoints SQLite's write-ahead log into the file, so that
	// the size below is the database's own.
	if err := db.Close(); err != nil {
		return err
	}
	size := ""
	if !sqlstore.IsPostgres(c.dsn()) {
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			if st, err := os.Stat(c.dsn() + suffix); err == nil {
				total += st.Size()
			}
		}
		size = fmt.Sprintf("; %.1f MB on disk", float64(total)/1e6)
	}
	fmt.Fprintf(env.Stdout, `
generated in %.1f s: %d units, %d departments, %d cases (%.0f rows/s)%s
  seed %d, now %s
  admin password: %s
  serve it:       wangge serve --db %s
  a point inside: --near %.6f,%.6f
`, r.Seconds, r.Units, r.Departments, r.Cases, float64(r.Units+r.Cases)/r.Seconds, size,
		params.Seed, params.Now.Format(time.RFC3339), pw, redact(c.dsn()), r.Near[0], r.Near[1])
	return nil
}

// GenResult is what Generate made.
type GenResult struct {
	Units, Departments, Cases int
	Seconds                   float64
	Near                      [2]float64 // lat, lon of a point inside the territory
}

// Generate fills db, migrated and empty, with the province and cases of p
// (see gen), loading cases chunk at a time. progress gets a line per stage.
func Generate(ctx context.Context, db *sqlstore.DB, p gen.Params, chunk int, adminPassword string, progress func(string, ...any)) (*GenResult, error) {
	sys := System(ctx)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if _, n, err := db.FindUnits(sys, wangge.UnitFilter{Limit: 1}); err != nil || n > 0 {
		if err == nil {
			err = usageError{fmt.Sprintf("gen: the database already holds %d units; gen fills an empty database: delete the SQLite file (and its -wal, -shm) or drop and recreate the PostgreSQL database", n)}
		}
		return nil, err
	}
	if ds, err := db.Departments(sys); err != nil || len(ds) > 0 {
		if err == nil {
			err = usageError{fmt.Sprintf("gen: the database already holds %d departments; gen fills an empty database", len(ds))}
		}
		return nil, err
	}
	start := time.Now()
	t0 := start
	lap := func() float64 { s := time.Since(t0).Seconds(); t0 = time.Now(); return s }

	prov, err := gen.NewProvince(p.Seed, p.Grids)
	if err != nil {
		return nil, err
	}
	progress("province laid out: %d cities, %d counties, %d streets, %d communities, %d grids (%.1f s)",
		prov.Count(wangge.LevelCity), prov.Count(wangge.LevelCounty), prov.Count(wangge.LevelStreet), prov.Count(wangge.LevelCommunity), prov.NumGrids(), lap())
	unitID0, err := db.LoadUnits(sys, prov.NumUnits(), prov.Unit)
	if err != nil {
		return nil, err
	}
	s := lap()
	progress("units loaded: %d in %.1f s (%.0f rows/s)", prov.NumUnits(), s, float64(prov.NumUnits())/s)

	cat := catalogue.Default()
	depts := prov.DepartmentsFor(cat)
	ids := make(map[string]int64, len(depts))
	for i := range depts {
		if err := db.CreateDepartment(sys, &depts[i]); err != nil {
			return nil, fmt.Errorf("department %s: %w", depts[i].Code, err)
		}
		ids[depts[i].Code] = depts[i].ID
	}
	if err := db.SaveCatalogue(sys, cat); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	counties := prov.Counties()
	leaves := catalogue.Leaves(cat)
	for _, c := range leaves {
		rules := make([]sqlstore.RoutingRule, 0, 1+len(counties))
		rules = append(rules, sqlstore.RoutingRule{DepartmentID: ids[c.Department]})
		for _, county := range counties {
			rules = append(rules, sqlstore.RoutingRule{UnitCode: county, DepartmentID: ids[c.Department+county]})
		}
		if err := db.SetRoutingRules(sys, c.Code, rules); err != nil {
			return nil, fmt.Errorf("routing of %s: %w", c.Code, err)
		}
	}
	admin := &wangge.User{Username: "admin", Name: "省级管理员", Role: wangge.RoleAdmin, Units: []string{gen.ProvinceCode}}
	if err := db.CreateUser(sys, admin, adminPassword); err != nil {
		return nil, fmt.Errorf("administrator: %w", err)
	}
	progress("departments, catalogue and routing: %d departments, %d categories routed per county (%.1f s)", len(depts), len(leaves), lap())

	if p.Cases > 0 {
		cases, err := gen.NewCases(prov, p.Cases, p.Seed, p.Now, cat, calendar.China(), unitID0, ids)
		if err != nil {
			return nil, err
		}
		caseStart := time.Now()
		for from := 0; from < p.Cases; from += chunk {
			n := min(chunk, p.Cases-from)
			if _, err := db.LoadCases(sys, n, func(i int, c *wangge.Case) { cases.Case(from+i, c) }); err != nil {
				return nil, fmt.Errorf("cases %d..%d: %w", from, from+n, err)
			}
			s := lap()
			progress("cases loaded: %d/%d (%.0f %%), this chunk %.1f s (%.0f rows/s)", from+n, p.Cases, 100*float64(from+n)/float64(p.Cases), s, float64(n)/s)
		}
		s := time.Since(caseStart).Seconds()
		progress("cases loaded: %d in %.1f s (%.0f rows/s)", p.Cases, s, float64(p.Cases)/s)
	}
	if err := db.Optimize(ctx); err != nil {
		return nil, err
	}
	progress("optimized (%.1f s)", lap())
	c := prov.Centre()
	return &GenResult{Units: prov.NumUnits(), Departments: len(depts), Cases: p.Cases,
		Seconds: time.Since(start).Seconds(), Near: [2]float64{c.Y, c.X}}, nil
}
