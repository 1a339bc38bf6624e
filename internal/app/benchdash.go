package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/bench"
	"github.com/wangge/wangge/internal/pii"
	"github.com/wangge/wangge/internal/sqlstore"
)

// benchDashboard times the command centre's requests against the database
// of --db (one that holds cases: `wangge gen` makes them at any scale),
// served in this process, or against the server of --target.
func (env *Env) benchDashboard(ctx context.Context, o *benchFlags) (*bench.Result, error) {
	opts := bench.DashboardOptions{Rounds: o.rounds, Clients: o.clients}
	for _, u := range strings.Split(o.units, ",") {
		switch u = strings.TrimSpace(u); u {
		case "":
		case "all":
			opts.Units = append(opts.Units, "")
		default:
			opts.Units = append(opts.Units, u)
		}
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if o.target != "" {
		t := &bench.Target{URL: strings.TrimSuffix(o.target, "/"), ViewerToken: o.token, Version: "client " + benchVersion()}
		return bench.Dashboard(ctx, t, opts)
	}
	if o.db == "" {
		return nil, usageError{"bench dashboard: --db names the database to bench (one that holds cases, e.g. made by `wangge gen`), or --target a running server"}
	}
	if !sqlstore.IsPostgres(o.db) {
		if _, err := os.Stat(o.db); err != nil {
			return nil, usageError{fmt.Sprintf("bench dashboard: %s: no such database (make one with `wangge gen --db %s`)", o.db, o.db)}
		}
	}
	log := env.logger(o.logLevel)
	db, err := sqlstore.Open(ctx, o.db)
	if err != nil {
		return nil, err
	}
	if db.Keys, err = pii.New(randomKey()); err != nil { // no personal data is read
		db.Close()
		return nil, err
	}
	// A viewer of the whole territory, for this run.
	sys := System(ctx)
	pw := hex.EncodeToString(randomKey())
	viewer := &wangge.User{Username: "bench-viewer-" + hex.EncodeToString(randomKey()[:4]), Name: "压测指挥中心", Role: wangge.RoleAdmin}
	if err := db.CreateUser(sys, viewer, pw); err != nil {
		db.Close()
		return nil, err
	}
	token, _, err := db.Login(ctx, viewer.Username, pw, "api")
	if err != nil {
		db.Close()
		return nil, err
	}
	fmt.Fprintf(env.Stderr, "bench dashboard: serving %s (user %s added for the run)\n", redact(o.db), viewer.Username)
	srv, err := StartWith(ctx, db, "127.0.0.1:0", "", log)
	if err != nil {
		db.Close()
		return nil, err
	}
	defer srv.Close() // closes db too
	label := "sqlite " + o.db
	if sqlstore.IsPostgres(o.db) {
		label = "postgres " + redact(o.db)
	}
	t := &bench.Target{URL: srv.URL, ViewerToken: token, InProcess: true, DB: label, Version: benchVersion()}
	return bench.Dashboard(ctx, t, opts)
}
