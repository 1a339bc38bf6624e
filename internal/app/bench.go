package app

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/bench"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/demo"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/pii"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
)

const benchUsage = `wangge bench — whole-system load benchmarks

Usage:
  wangge bench intake    [--clients 64] [--seconds 10] [--via open311|api] [--no-baseline]
  wangge bench locate    [--clients 64] [--seconds 10]
  wangge bench scheduler [--cases 1000000] [--rate 200] [--seconds 30] [--tick 1s]
  wangge bench dashboard --db PATH_OR_URL [--rounds 20] [--clients 1] [--units all,CODE,...]
  wangge bench mixed     [--scale 1[,2,...]] [--find-max] [--seconds 30] [--warmup 10] [--clients 64]
                         [--gap 1s] [--grids 20] [--persons 20] [--visits 27.4] [--open 0] [--write-p99-ms 50]

By default a bench starts its own server in this process on a temporary
data directory (SQLite; --db postgres://... uses a fresh schema there,
dropped afterwards) seeded with the demo county's territory, catalogue and
departments. --target http://HOST:PORT --api-key K benches a running server
instead (intake and locate; mixed takes an administrator's --token and
creates its own users). --json prints one JSON object.

The dashboard bench reads a database that holds cases (--db: an existing
one, e.g. made by wangge gen at scale; a bench viewer user is added to it)
through a server started here, or a --target with --token of an
administrator: every request the command centre makes, for the whole
territory, a county and a street (or the --units given).
`

// benchCmd runs `wangge bench WHAT`.
func (env *Env) benchCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stderr, benchUsage)
		if len(args) == 0 {
			return usageError{"bench what? intake, locate, scheduler, dashboard or mixed"}
		}
		return nil
	}
	what := args[0]
	fs := flag.NewFlagSet("bench "+what, flag.ContinueOnError)
	var o benchFlags
	fs.StringVar(&o.db, "db", getenv("WANGGE_DB", ""), "database of the in-process server: empty for SQLite in a temporary directory, an SQLite file that does not exist yet, or a postgres:// URL (a fresh schema in it)")
	fs.StringVar(&o.data, "data", "", "where to make the temporary data directory (default: the system's temporary directory)")
	fs.StringVar(&o.logLevel, "log-level", getenv("WANGGE_LOG_LEVEL", "warn"), "log level of the in-process server")
	fs.BoolVar(&o.json, "json", false, "print one JSON object")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (server and load generator) to this file")
	fs.Float64Var(&o.seconds, "seconds", 0, "measured seconds (intake, locate: 10 each; scheduler: 30 of cases coming due; mixed: 30 a scale)")
	switch what {
	case "intake", "locate":
		fs.IntVar(&o.clients, "clients", 64, "concurrent clients, each with its own connection")
		fs.Float64Var(&o.warmup, "warmup", 1, "seconds of load before each measured window")
		fs.StringVar(&o.target, "target", "", "bench the server at this URL instead of one in-process")
		fs.StringVar(&o.apiKey, "api-key", getenv("WANGGE_API_KEY", ""), "Open311 api_key of the --target (WANGGE_API_KEY)")
		fs.StringVar(&o.token, "token", getenv("WANGGE_TOKEN", ""), "bearer token of a grid worker of the --target, for --via api (WANGGE_TOKEN)")
		fs.StringVar(&o.near, "near", "", "LAT,LON (WGS84) inside the --target's territory, around which points are drawn (default: the demo county seat)")
		fs.Float64Var(&o.radius, "radius", 3000, "metres around --near to draw points from")
		if what == "intake" {
			fs.StringVar(&o.via, "via", bench.ViaOpen311, "open311 (form-encoded POST /open311/v2/requests.json) or api (JSON POST /api/v1/cases as a grid worker)")
			fs.BoolVar(&o.noBaseline, "no-baseline", false, "skip the bare net/http handler")
		}
	case "dashboard":
		fs.IntVar(&o.rounds, "rounds", 20, "times each request is made, per view and screen")
		fs.IntVar(&o.clients, "clients", 1, "command-centre screens refreshing at once")
		fs.StringVar(&o.units, "units", "", "the views, comma-separated unit codes, all for the whole territory (default: it, its first county and that county's first street)")
		fs.StringVar(&o.target, "target", "", "bench the server at this URL instead of --db served in-process")
		fs.StringVar(&o.token, "token", getenv("WANGGE_TOKEN", ""), "bearer token of an administrator of the --target (WANGGE_TOKEN)")
	case "mixed":
		fs.StringVar(&o.scales, "scale", "1", "multiples of Zhejiang's 33,000 matters a day to offer, one or a comma-separated list run in turn")
		fs.BoolVar(&o.findMax, "find-max", false, "double the --scale until a run does not hold (writes' p99 over --write-p99-ms, an error, or under 99 % of the offered ops done)")
		fs.Float64Var(&o.writeP99, "write-p99-ms", 50, "writes' p99 latency a run must keep to hold")
		fs.IntVar(&o.clients, "clients", 64, "requests in flight at most; steps beyond wait, and the wait counts in their latency")
		fs.Float64Var(&o.warmup, "warmup", 10, "seconds of arrivals before each measured window")
		fs.DurationVar(&o.gap, "gap", time.Second, "mean time between a matter's steps (the day compressed)")
		fs.IntVar(&o.grids, "grids", 20, "grids with a grid worker of the bench")
		fs.IntVar(&o.persons, "persons", 20, "residents each grid worker visits in turn")
		fs.Float64Var(&o.visits, "visits", bench.DefaultVisitsPerMatter, "grid workers' visits per matter (the default is derived from the demo county's care tiers)")
		fs.IntVar(&o.open, "open", 0, "open cases to load before the day starts (in-process), so that lists, map and dashboard read a backlog")
		fs.StringVar(&o.target, "target", "", "bench the server at this URL instead of one in-process")
		fs.StringVar(&o.token, "token", getenv("WANGGE_TOKEN", ""), "bearer token of an administrator of the --target: the bench creates its users (WANGGE_TOKEN)")
		fs.StringVar(&o.apiKey, "api-key", getenv("WANGGE_API_KEY", ""), "Open311 api_key of the --target; without one, Open311's share is filed by the hotline (WANGGE_API_KEY)")
		fs.StringVar(&o.near, "near", "", "LAT,LON (WGS84) inside the --target's territory, around which report points are drawn (default: the demo county seat)")
		fs.Float64Var(&o.radius, "radius", 3000, "metres around --near to draw points from")
	case "scheduler":
		fs.IntVar(&o.cases, "cases", 1_000_000, "open cases in the database")
		fs.IntVar(&o.rate, "rate", 200, "cases coming due per second during the run")
		fs.DurationVar(&o.tick, "tick", caseflow.Interval, "the scheduler's interval (the server's is caseflow.Interval, 250ms)")
		fs.StringVar(&o.target, "target", "", "not supported: the scheduler bench runs in-process")
	default:
		fmt.Fprint(env.Stderr, benchUsage)
		return usageError{fmt.Sprintf("bench: unknown bench %q (intake, locate, scheduler, dashboard or mixed)", what)}
	}
	if err := parse(fs, args[1:], env.Stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("bench %s: unexpected argument %q", what, fs.Arg(0))}
	}
	if o.seconds == 0 {
		o.seconds = 10
		if what == "scheduler" || what == "mixed" {
			o.seconds = 30
		}
	}
	if o.seconds < 0 || o.seconds > 24*3600 || o.warmup < 0 || o.warmup > 3600 {
		return usageError{fmt.Sprintf("bench %s: --seconds must be positive (at most a day) and --warmup not negative", what)}
	}
	if what == "scheduler" && o.target != "" {
		return usageError{"bench scheduler: --target is not supported: the bench loads cases into its own database and drives the scheduler in-process"}
	}
	if o.target != "" && o.db != "" {
		return usageError{"bench: --target and --db exclude each other: --db is for the in-process server"}
	}
	stop, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	var r *bench.Result
	switch what {
	case "intake":
		r, err = env.benchIntake(ctx, &o)
	case "locate":
		r, err = env.benchLocate(ctx, &o)
	case "scheduler":
		r, err = env.benchScheduler(ctx, &o)
	case "dashboard":
		r, err = env.benchDashboard(ctx, &o)
	case "mixed":
		r, err = env.benchMixed(ctx, &o)
	}
	if err != nil {
		if fields := wangge.ErrorFields(err); len(fields) > 0 {
			return usageError{fmt.Sprintf("bench %s: %s", what, flagMessage(fields))}
		}
		return fmt.Errorf("bench %s: %w", what, err)
	}
	if o.json {
		return r.WriteJSON(env.Stdout)
	}
	return r.WriteText(env.Stdout)
}

// flagMessage names the flags at fault of a validation error.
func flagMessage(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "--" + strings.ReplaceAll(k, "_", "-") + ": " + fields[k]
	}
	return strings.Join(parts, "; ")
}

type benchFlags struct {
	db, data, logLevel string
	cpuProfile         string
	json               bool
	seconds, warmup    float64
	clients            int
	target, apiKey     string
	token, near, via   string
	radius             float64
	noBaseline         bool
	cases, rate        int
	rounds             int
	units              string
	tick               time.Duration
	scales             string // mixed
	findMax            bool
	writeP99           float64
	gap                time.Duration
	grids, persons     int
	visits             float64
	open               int
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (env *Env) benchIntake(ctx context.Context, o *benchFlags) (*bench.Result, error) {
	opts := bench.IntakeOptions{Clients: o.clients, Duration: seconds(o.seconds), Warmup: seconds(o.warmup), Via: o.via, Baseline: !o.noBaseline}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	t, stop, err := env.benchTarget(ctx, o)
	if err != nil {
		return nil, err
	}
	defer stop()
	return bench.Intake(ctx, t, opts)
}

func (env *Env) benchLocate(ctx context.Context, o *benchFlags) (*bench.Result, error) {
	opts := bench.LocateOptions{Clients: o.clients, Duration: seconds(o.seconds), Warmup: seconds(o.warmup)}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	t, stop, err := env.benchTarget(ctx, o)
	if err != nil {
		return nil, err
	}
	defer stop()
	return bench.Locate(ctx, t, opts)
}

func (env *Env) benchScheduler(ctx context.Context, o *benchFlags) (*bench.Result, error) {
	opts := bench.SchedulerOptions{Cases: o.cases, Rate: o.rate, Duration: seconds(o.seconds), Tick: o.tick, Batch: 500, Seed: 1}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	log := env.logger(o.logLevel)
	db, seed, cleanup, err := env.benchDB(ctx, o, log)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	loc := territory.New(db)
	loc.Logger = log
	if err := loc.Rebuild(ctx, true); err != nil {
		return nil, err
	}
	svc := caseflow.New(db, loc)
	svc.Logger = log
	t := &bench.Target{InProcess: true, DB: seed.dbLabel, Version: benchVersion()}
	return bench.Scheduler(ctx, bench.SchedulerEnv{DB: db, Cases: svc, Target: t, Progress: env.Stderr}, opts)
}

// benchTarget is the server to bench: the --target, or one started here.
func (env *Env) benchTarget(ctx context.Context, o *benchFlags) (*bench.Target, func(), error) {
	if o.target != "" {
		t := &bench.Target{URL: strings.TrimSuffix(o.target, "/"), APIKey: o.apiKey, Token: o.token, RadiusM: o.radius, Version: "client " + benchVersion()}
		t.Near = geo.Convert(geo.Point{X: demoCenterLon, Y: demoCenterLat}, geo.GCJ02, geo.WGS84)
		if o.near != "" {
			p, err := parseLatLon(o.near)
			if err != nil {
				return nil, nil, err
			}
			t.Near = p
		}
		return t, func() {}, nil
	}
	log := env.logger(o.logLevel)
	db, seed, cleanup, err := env.benchDB(ctx, o, log)
	if err != nil {
		return nil, nil, err
	}
	srv, err := StartWith(ctx, db, "127.0.0.1:0", seed.dir, log)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	t := &bench.Target{URL: srv.URL, APIKey: seed.apiKey, Token: seed.token, InProcess: true, DB: seed.dbLabel, Version: benchVersion(),
		BBox: seed.bbox, Locator: srv.Locator, Points: seed.points(srv.Locator),
		CountCases: func(ctx context.Context) (int, error) {
			_, n, err := db.FindCases(System(ctx), sqlstore.CaseFilter{Limit: 1})
			return n, err
		}}
	raw, drop, err := db.RawInsert(System(ctx))
	if err != nil {
		srv.Close()
		cleanup()
		return nil, nil, err
	}
	t.RawInsert = raw
	return t, func() {
		drop(context.WithoutCancel(ctx))
		srv.Close() // closes db too
		cleanup()
	}, nil
}

func parseLatLon(s string) (geo.Point, error) {
	lat, lon, ok := strings.Cut(s, ",")
	if !ok {
		return geo.Point{}, wangge.FieldError("near", "LAT,LON such as 26.4720,116.0188")
	}
	p, err := geo.ParseLatLon(strings.TrimSpace(lat), strings.TrimSpace(lon))
	if err != nil {
		return geo.Point{}, wangge.FieldError("near", "LAT,LON such as 26.4720,116.0188")
	}
	return p, nil
}

// benchSeed is what the bench database holds for the benches to use.
type benchSeed struct {
	dir           string // data directory (files)
	dbLabel       string
	apiKey, token string
	bbox          [4]float64
}

// points draws points of the town that lie in a micro-grid.
func (s *benchSeed) points(loc *territory.Locator) []geo.Point {
	var out []geo.Point
	x := uint64(12345)
	next := func() float64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return float64(x>>11) / (1 << 53)
	}
	for i := 0; i < 100000 && len(out) < 1000; i++ {
		p := geo.Point{X: s.bbox[0] + next()*(s.bbox[2]-s.bbox[0]), Y: s.bbox[1] + next()*(s.bbox[3]-s.bbox[1])}
		if hits := loc.Locate(p); len(hits) > 0 && hits[len(hits)-1].Level == wangge.LevelMicroGrid {
			out = append(out, p)
		}
	}
	return out
}

// benchDB opens a fresh database for an in-process bench, migrates and
// seeds it; cleanup closes it and removes what it made.
func (env *Env) benchDB(ctx context.Context, o *benchFlags, log *slog.Logger) (*sqlstore.DB, *benchSeed, func(), error) {
	dir, err := os.MkdirTemp(o.data, "wangge-bench-")
	if err != nil {
		return nil, nil, nil, err
	}
	var undo []func()
	cleanup := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	undo = append(undo, func() { os.RemoveAll(dir) })
	seed := &benchSeed{dir: dir}
	dsn := filepath.Join(dir, "wangge.db")
	switch {
	case sqlstore.IsPostgres(o.db):
		schemaDSN, drop, err := freshSchema(ctx, o.db)
		if err != nil {
			cleanup()
			return nil, nil, nil, err
		}
		undo = append(undo, drop)
		dsn = schemaDSN
		seed.dbLabel = "postgres (a fresh schema, dropped afterwards)"
	case o.db != "":
		if _, err := os.Stat(o.db); err == nil {
			cleanup()
			return nil, nil, nil, usageError{fmt.Sprintf("bench: %s exists: the bench needs a new database (it fills it with cases)", o.db)}
		}
		dsn = o.db
		undo = append(undo, func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(o.db + suffix)
			}
		})
		seed.dbLabel = "sqlite " + o.db
	default:
		seed.dbLabel = "sqlite " + dsn
	}
	fmt.Fprintf(env.Stderr, "bench database: %s\n", seed.dbLabel)
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	closeDB := func() { db.Close() } // a started server closes it again: harmless
	undo = append(undo, closeDB)
	keys, err := pii.New(randomKey())
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	db.Keys = keys
	if _, err := db.Migrate(ctx); err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	t0 := time.Now()
	if err := seedBench(ctx, db, seed); err != nil {
		cleanup()
		return nil, nil, nil, fmt.Errorf("seeding the bench database: %w", err)
	}
	log.Info("bench: seeded", "took", time.Since(t0).Round(time.Millisecond))
	return db, seed, cleanup, nil
}

func randomKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// freshSchema creates an empty schema in the PostgreSQL database of dsn and
// returns a DSN that uses it, and a function that drops it.
func freshSchema(ctx context.Context, dsn string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(cctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create a bench schema in %s: %w", redact(dsn), err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		if admin, err := sql.Open("pgx", dsn); err == nil {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
	}
	return u.String(), drop, nil
}

// redact hides the password of a database URL.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "the database"
}

// seedBench stores what the benches need: the demo county's territory
// (county, town, 21 communities, 181 grids, 1,623 micro-grids), its
// departments, the default catalogue routed as in the demo, a grid worker
// with a session and an Open311 key. It is the first half of SeedDemo: the
// registry and the staff are left out, as no bench reads them, which saves
// most of the demo's seconds.
func seedBench(ctx context.Context, db *sqlstore.DB, s *benchSeed) error {
	sys := System(ctx)
	communities, err := demoCommunities()
	if err != nil {
		return err
	}
	center := geo.Convert(geo.Point{X: demoCenterLon, Y: demoCenterLat}, geo.GCJ02, geo.WGS84)
	// The demo's map without its 280,000 residents, which a bench never stores.
	gen, err := demo.GenerateTerritory(demoSeed, center, demoAreaKM2, communities, demoReference)
	if err != nil {
		return err
	}
	units, err := demoUnits(gen)
	if err != nil {
		return err
	}
	s.bbox = *units[3].BBox // the town
	if err := db.CreateUnits(sys, units); err != nil {
		return err
	}
	deptIDs := map[string]int64{}
	for i := range gen.Departments {
		d := gen.Departments[i]
		if err := db.CreateDepartment(sys, &d); err != nil {
			return err
		}
		deptIDs[d.Code] = d.ID
	}
	cat := catalogue.Default()
	if err := db.SaveCatalogue(sys, cat); err != nil {
		return fmt.Errorf("catalogue: %w", err)
	}
	for _, c := range catalogue.Leaves(cat) {
		if id, ok := deptIDs[c.Department]; ok {
			if err := db.SetRoutingRules(sys, c.Code, []sqlstore.RoutingRule{{DepartmentID: id}}); err != nil {
				return err
			}
		}
	}
	pw := hex.EncodeToString(randomKey())
	gw := &wangge.User{Username: "bench-gw", Name: "压测网格员", Role: wangge.RoleGridWorker, Units: []string{gen.Grids[0].Code}}
	if err := db.CreateUser(sys, gw, pw); err != nil {
		return err
	}
	if s.token, _, err = db.Login(ctx, gw.Username, pw, "api"); err != nil {
		return err
	}
	s.apiKey, err = db.CreateAPIKey(sys, "bench")
	return err
}

// benchVersion is the binary's version, or under `go run` (which records
// no VCS information) the checkout's commit when git can tell it.
func benchVersion() string {
	v := version()
	if v != "dev" && v != "(devel)" {
		return v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty", "--abbrev=12").Output()
	if err != nil {
		return v
	}
	return "git " + strings.TrimSpace(string(out))
}

// startCPUProfile writes a CPU profile of the run to path until stop is
// called; an empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
