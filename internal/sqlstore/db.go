// Package sqlstore is the storage adapter: one layer of handwritten SQL that
// runs on embedded SQLite and on PostgreSQL. Queries are written with ?
// placeholders; the few dialect differences live in this file and in the
// per-dialect migration files.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/pii"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the SQL dialect of the database behind a DB.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is a handle on the database. On SQLite it holds one writer connection
// (SQLite allows one writer at a time; queueing in Go is cheaper than
// SQLITE_BUSY retries) and a pool of read-only connections. On PostgreSQL
// both are the same pool.
type DB struct {
	dialect Dialect
	w, r    *sql.DB
	// Keys encrypts personal data; it must be set before registry writes.
	Keys *pii.Keys
	// Now is the clock; tests replace it.
	Now func() time.Time
	// UnitNames, when set, names units from memory (a server sets the
	// locator's): the statistics' groups are named from it, and from the
	// database only where it does not know a code.
	UnitNames func(code string) (zh, en string, ok bool)

	counties     *memo[string]      // unit code → county code (countyOf)
	apiKeys      *memo[APIKey]      // key hash → live key (CheckAPIKey)
	routes       *memo[[]routeRule] // category and level → rules (Route)
	unitShapes   *memo[statsShape]  // the levels the units call for in case_stats
	statsShapes  *memo[statsShape]  // the levels case_stats holds
	numbers      *numberBlocks
	group        *committer // SQLite: the writer's group commit
	wstmt, rstmt *stmtCache // SQLite: prepared statements of the writer and the readers
}

// IsPostgres reports whether s names a PostgreSQL database.
func IsPostgres(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open opens the database named by dsn: a postgres:// URL or an SQLite file
// path (created if missing).
func Open(ctx context.Context, dsn string) (*DB, error) {
	db := &DB{Now: func() time.Time { return time.Now().UTC() }, numbers: new(numberBlocks),
		counties: newMemo[string](5 * time.Minute), apiKeys: newMemo[APIKey](10 * time.Second), routes: newMemo[[]routeRule](time.Minute),
		unitShapes: newMemo[statsShape](time.Minute), statsShapes: newMemo[statsShape](5 * time.Second)}
	if IsPostgres(dsn) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		// Two pools. The readers' statements are prepared once a connection
		// and run with ranges of codes and days that select a row or a
		// million: after five runs PostgreSQL may keep one generic plan for
		// all values, and a province's city boundaries then took 0.8-1.7 s
		// instead of 27 ms (bench dashboard at 10^6 grids), so readers plan
		// each run for its values. The writers' statements select by key,
		// where planning each run cost intake 40 % (856 -> 517 reports/s).
		// A DSN that sets plan_cache_mode wins for both.
		rcfg := cfg.Copy()
		if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
			rcfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
		}
		w, r := stdlib.OpenDB(*cfg), stdlib.OpenDB(*rcfg)
		w.SetMaxOpenConns(32)
		w.SetMaxIdleConns(32) // as many as open: under load, closing idle ones only to reconnect costs a PostgreSQL backend each time
		w.SetConnMaxIdleTime(5 * time.Minute)
		r.SetMaxOpenConns(16)
		r.SetMaxIdleConns(16)
		r.SetConnMaxIdleTime(5 * time.Minute)
		db.dialect, db.w, db.r = Postgres, w, r
	} else {
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("open sqlite: %w", err)
			}
		}
		// busy_timeout: other processes (a second CLI) wait instead of failing;
		// WAL: readers never block the writer; synchronous=FULL: a commit
		// returns once it is on disk, power loss included, and group commit
		// (groupcommit.go) shares that fsync among the transactions waiting.
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_time_format=sqlite"
		path := "file:" + (&url.URL{Path: dsn}).EscapedPath()
		w, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=cache_size(-32768)&_pragma=temp_store(memory)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		// Readers read through their page cache, not a memory map: each
		// connection maps the file on its own and Linux counts every mapping
		// in the resident set, so a 1 GB mmap_size made a province's server
		// 1.5 GB bigger on paper (and a scan evicted nothing).
		r, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=cache_size(-32768)&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		r.SetMaxOpenConns(max(4, 2*runtime.NumCPU()))
		db.dialect, db.w, db.r = SQLite, w, r
		db.wstmt, db.rstmt = newStmtCache(w), newStmtCache(r)
		db.group = startCommitter(db)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", db.dialect, err)
	}
	return db, nil
}

// changed forgets what this server remembers of a kind of data ("units",
// "keys", "routes") after it changed them, and on PostgreSQL tells the
// other servers (topic "config": see caseflow's WatchConfig) to forget it
// too. Telling is best effort: a server that misses it has the memos' short
// lifetimes to fall back on.
func (db *DB) changed(kind string) {
	db.Forget(kind)
	if db.dialect == Postgres {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		db.Notify(ctx, ConfigTopic, kind)
	}
}

// ConfigTopic is the notification topic of changes to what servers
// remember: units, API keys, routing, the catalogue, calendars.
const ConfigTopic = "config"

// Forget drops what is remembered of a kind of data another server
// changed; an unknown kind drops everything.
func (db *DB) Forget(kind string) {
	switch kind {
	case "units":
		db.counties.clear()
		db.unitShapes.clear()
	case "keys":
		db.apiKeys.clear()
	case "routes":
		db.routes.clear()
	default:
		db.counties.clear()
		db.unitShapes.clear()
		db.apiKeys.clear()
		db.routes.clear()
	}
}

// Dialect returns the database's dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes every connection.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.stop()
		db.wstmt.close()
		db.rstmt.close()
	}
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

// Optimize lets SQLite refresh its query planner statistics; it is cheap
// and meant to run from time to time. On PostgreSQL autovacuum does this.
func (db *DB) Optimize(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	_, err := db.w.ExecContext(ctx, "PRAGMA optimize")
	return err
}

// conn runs queries written with ? placeholders on either dialect.
type conn struct {
	q interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}
	d Dialect
}

func (c conn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.d.rebind(q), args...)
}

func (c conn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.d.rebind(q), args...)
}

func (c conn) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.d.rebind(q), args...)
}

// insert runs an INSERT ... RETURNING id and returns the new id.
func (c conn) insert(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := c.queryRow(ctx, q+" RETURNING id", args...).Scan(&id)
	return id, err
}

func (db *DB) read() conn {
	if db.rstmt != nil {
		return conn{cachedPool{db.r, db.rstmt}, db.dialect}
	}
	return conn{db.r, db.dialect}
}

var rebound sync.Map // query text → PostgreSQL text

// rebind turns ? placeholders into $1, $2, ... for PostgreSQL. Queries are
// constants or built from constants, so the result is cached. A ? inside a
// quoted literal is left alone.
func (d Dialect) rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	if s, ok := rebound.Load(q); ok {
		return s.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	s := b.String()
	if len(q) < 4096 { // long generated queries (bulk inserts) are not worth caching
		rebound.Store(q, s)
	}
	return s
}

// Tx is a transaction; every write happens inside one.
type Tx struct {
	conn
	db *DB
}

// Transact runs fn in a transaction: it commits if fn returns nil, rolls back
// on an error or a panic, and on PostgreSQL retries a serialization failure
// or deadlock a few times.
func (db *DB) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	if db.group != nil {
		return db.group.run(ctx, fn)
	}
	const attempts = 4
	var err error
	for i := 0; i < attempts; i++ {
		err = db.transactOnce(ctx, fn)
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(5<<i) * time.Millisecond)
	}
	return err
}

func (db *DB) transactOnce(ctx context.Context, fn func(tx *Tx) error) error {
	return db.transactOn(ctx, db.w, fn)
}

// transactOn runs fn in a transaction begun on a pool or on one connection:
// it commits if fn returns nil and rolls back on an error or a panic.
func (db *DB) transactOn(ctx context.Context, on interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(tx *Tx) error) (err error) {
	sqlTx, err := on.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
			return
		}
		if cerr := sqlTx.Commit(); cerr != nil {
			err = fmt.Errorf("commit: %w", cerr)
		}
	}()
	return fn(&Tx{conn: conn{sqlTx, db.dialect}, db: db})
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// isUniqueViolation reports whether err is a unique-constraint violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound maps sql.ErrNoRows to a domain not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return wangge.Errorf(wangge.ENOTFOUND, "%s not found", what)
	}
	return err
}
