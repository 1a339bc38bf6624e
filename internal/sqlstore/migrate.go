package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func (d Dialect) migrations() []migration {
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		panic(err) // embedded at build time; cannot fail
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			panic("sqlstore: badly named migration " + e.Name())
		}
		data, _ := fs.ReadFile(migrations, dir+"/"+e.Name())
		out = append(out, migration{v, e.Name(), string(data)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out
}

// SchemaVersion returns the version the database is at and the version this
// binary needs.
func (db *DB) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms := db.dialect.migrations()
	want = ms[len(ms)-1].version
	if err := db.ensureMigrationTable(ctx); err != nil {
		return 0, want, err
	}
	err = db.read().queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&have)
	return have, want, err
}

func (db *DB) ensureMigrationTable(ctx context.Context) error {
	_, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
	return err
}

// CheckSchema fails unless the database is exactly at the binary's schema
// version, and says which command fixes it.
func (db *DB) CheckSchema(ctx context.Context) error {
	have, want, err := db.SchemaVersion(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("read schema version: %w", err)
	case have < want:
		return fmt.Errorf("database schema is at version %d, this binary needs %d: run `wangge migrate --db ...` (or `wangge serve --migrate`)", have, want)
	case have > want:
		return fmt.Errorf("database schema is at version %d, newer than this binary's %d: run a newer wangge", have, want)
	}
	return nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction together with its row in schema_migrations, and returns how
// many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	have, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range db.dialect.migrations() {
		if m.version <= have {
			continue
		}
		err := db.Transact(ctx, func(tx *Tx) error {
			if db.dialect == Postgres {
				// Several servers started with --migrate: one migrates, the
				// others wait here and then find the work done.
				if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(20260730)"); err != nil {
					return err
				}
			}
			var done bool
			if err := tx.queryRow(ctx, "SELECT COUNT(*) > 0 FROM schema_migrations WHERE version = ?", m.version).Scan(&done); err != nil || done {
				return err
			}
			if _, err := tx.q.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, db.Now().Format("2006-01-02T15:04:05Z"))
			return err
		})
		if err != nil {
			return n, fmt.Errorf("migration %s: %w", m.name, err)
		}
		n++
	}
	if err := db.rebuildStatsIfAsked(ctx); err != nil {
		return n, fmt.Errorf("rebuild statistics: %w", err)
	}
	if err := db.growStats(ctx); err != nil {
		return n, fmt.Errorf("statistics for new levels: %w", err)
	}
	if n > 0 && db.dialect == SQLite && db.manyCases(ctx) {
		// The planner's statistics for the indexes a migration made: without
		// them SQLite chose a skip-scan of the duplicate index over the new
		// index of open cases by unit (150 ms against 2 ms at 10⁷ cases).
		// A sample of a thousand rows an index costs tens of milliseconds.
		// Not on a small database: statistics of empty tables, kept while
		// they grow, made the duplicate check of every report scan (intake
		// 3,400 -> 450 reports/s), where SQLite's own guesses do well.
		if _, err := db.w.ExecContext(ctx, "PRAGMA analysis_limit = 1000"); err != nil {
			return n, err
		}
		if _, err := db.w.ExecContext(ctx, "ANALYZE"); err != nil {
			return n, fmt.Errorf("analyze: %w", err)
		}
	}
	return n, nil
}

// manyCases reports whether the cases table holds 100,000 rows or more.
func (db *DB) manyCases(ctx context.Context) bool {
	var n int
	err := db.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM cases LIMIT 100000) t").Scan(&n)
	return err == nil && n >= 100000
}
