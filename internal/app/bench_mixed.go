package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/bench"
)

// benchMixed runs `wangge bench mixed`: on the --target with its
// administrator's token, or on a server started here, where an
// administrator is made for the bench.
func (env *Env) benchMixed(ctx context.Context, o *benchFlags) (*bench.Result, error) {
	opts := bench.MixedOptions{FindMax: o.findMax, WriteP99Ms: o.writeP99, Duration: seconds(o.seconds), Warmup: seconds(o.warmup),
		Gap: o.gap, Clients: o.clients, Grids: o.grids, PersonsPerWorker: o.persons, VisitsPerMatter: o.visits, AdminToken: o.token, Seed: 1, Progress: env.Stderr}
	for _, f := range strings.Split(o.scales, ",") {
		k, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, wangge.FieldError("scale", "a number or a comma-separated list of numbers, such as 1 or 1,2,5")
		}
		opts.Scales = append(opts.Scales, k)
	}
	if o.target == "" {
		opts.AdminToken = "made below" // validated before the server starts
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if o.target != "" && o.open > 0 {
		return nil, usageError{"bench mixed: --open loads cases into the in-process server's database; a --target has its own"}
	}
	if o.open < 0 || o.open > 100_000_000 {
		return nil, wangge.FieldError("open", "from 0 to 100,000,000 cases")
	}
	if o.target != "" {
		t, _, err := env.benchTarget(ctx, o)
		if err != nil {
			return nil, err
		}
		return bench.Mixed(ctx, t, opts)
	}
	// In-process: the server of benchTarget, and an administrator for the
	// bench, made in the database as `wangge user create` would.
	log := env.logger(o.logLevel)
	db, seed, cleanup, err := env.benchDB(ctx, o, log)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	srv, err := StartWith(ctx, db, "127.0.0.1:0", seed.dir, log)
	if err != nil {
		return nil, err
	}
	defer srv.Close() // closes db too
	pw := hex.EncodeToString(randomKey())
	admin := &wangge.User{Username: "bench-admin", Name: "压测管理员", Role: wangge.RoleAdmin}
	if err := db.CreateUser(System(ctx), admin, pw); err != nil {
		return nil, err
	}
	if opts.AdminToken, _, err = db.Login(ctx, admin.Username, pw, "api"); err != nil {
		return nil, err
	}
	if o.open > 0 {
		fmt.Fprintf(env.Stderr, "loading %d open cases...\n", o.open)
		took, err := bench.LoadOpenCases(ctx, db, srv.API.Cases, o.open, 1)
		if err != nil {
			return nil, fmt.Errorf("loading open cases: %w", err)
		}
		fmt.Fprintf(env.Stderr, "loaded in %.1f s\n", took.Seconds())
	}
	t := &bench.Target{URL: srv.URL, APIKey: seed.apiKey, InProcess: true, DB: seed.dbLabel, Version: benchVersion(),
		BBox: seed.bbox, Locator: srv.Locator, Points: seed.points(srv.Locator)}
	return bench.Mixed(ctx, t, opts)
}
