package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/wangge/wangge"
)

// caseLoadCols are the columns LoadCases writes; the rest keep their
// defaults (no idempotency key, no tracking code, no merge or duplicate).
var caseLoadCols = []string{"id", "number", "status", "suspended_from", "level", "unit_id", "unit_code", "category", "kind", "channel",
	"title", "description", "address", "lon", "lat", "crs", "reporter_id", "reporter_name", "reporter_phone_enc", "reporter_phone_hash",
	"reporter_phone_masked", "department_id", "urgent", "extension_pending", "reworks", "wrong_dispatches", "escalations", "rating",
	"reported_at", "updated_at", "closed_at", "step_started_at", "step_limit_s", "step_used_s", "due_at", "light", "next_check_at",
	"external_id", "version", "overdue"}

var caseEventLoadCols = []string{"id", "case_id", "at", "actor_id", "action", "from_status", "to_status", "note", "data"}

// LoadCases bulk-loads n cases in one transaction (administrators only):
// what an import of another system's open cases, or a load test, needs when
// the per-case path (a transaction, a timeline row, a rollup and the
// notifications each) is far too slow for a million cases.
//
// gen fills the i-th case, from a zeroed Case, as the case loop would have
// left it: status, unit (UnitID and UnitCode), category with its Kind and
// Level, channel, description, ReportedAt, and the clock fields
// (StepStartedAt, StepLimit, StepUsed, DueAt, Light, NextCheckAt) that the
// scheduler acts on. gen is called more than once for every i (to count
// the case numbers to reserve, to write the case, to write its timeline
// row) and must give the same case each time. IdempotencyKey, MergedInto and DuplicateOf are not loaded.
//
// Each case gets its number from the counter of its county and report day,
// as reported cases do, and one timeline row ("import", to its status); its
// rollup is added to the statistics. No notifications are sent. Into an
// empty table the secondary indexes are built after the rows. SQLite gets
// multi-row INSERTs, PostgreSQL COPY. The cases get consecutive ids from
// the returned first one.
func (db *DB) LoadCases(ctx context.Context, n int, gen func(i int, c *wangge.Case)) (first int64, err error) {
	if err := requireAdmin(ctx, "load cases"); err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, wangge.FieldError("n", "at least one case")
	}
	err = db.bulkTransact(ctx, func(tx *Tx, raw *sql.Conn) error {
		l := &caseLoad{tx: tx, n: n, gen: gen, rollups: map[wangge.RollupKey]*wangge.RollupVector{}}
		if err := l.reserveNumbers(ctx); err != nil {
			return err
		}
		var err error
		if l.firstCase, err = tx.reserveIDs(ctx, "cases", n); err != nil {
			return err
		}
		if l.firstEvent, err = tx.reserveIDs(ctx, "case_events", n); err != nil {
			return err
		}
		first = l.firstCase
		err = tx.withIndexesDeferred(ctx, "cases", func() error {
			return tx.withIndexesDeferred(ctx, "case_events", func() error {
				if raw != nil {
					return l.copy(ctx, raw)
				}
				return l.insert(ctx)
			})
		})
		if err != nil {
			return err
		}
		return l.storeRollups(ctx)
	})
	if err != nil {
		return 0, fmt.Errorf("load cases: %w", err)
	}
	if db.dialect == Postgres {
		// Fresh planner statistics, so that the first queries over the new
		// rows do not plan for an empty table.
		// case_rollup and case_stats too: left to autovacuum, a 10⁷-case
		// load had none an hour later, and a street's KPI took 40 ms.
		for _, t := range []string{"cases", "case_rollup", "case_stats"} {
			if _, err := db.w.ExecContext(ctx, "ANALYZE "+t); err != nil {
				return first, fmt.Errorf("load cases: analyze %s: %w", t, err)
			}
		}
	}
	return first, nil
}

// bulkTransact runs fn in a transaction on one connection. On PostgreSQL fn
// also gets that connection, for COPY through the driver (in the same
// transaction); on SQLite raw is nil.
func (db *DB) bulkTransact(ctx context.Context, fn func(tx *Tx, raw *sql.Conn) error) (err error) {
	c, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var raw *sql.Conn
	if db.dialect == Postgres {
		raw = c
	}
	return db.transactOn(ctx, c, func(tx *Tx) error {
		if raw != nil {
			// The indexes dropped for the load are rebuilt at its end, each
			// by one sort: with the default 64 MB a sort of ten million keys
			// spills to disk in many runs.
			if _, err := tx.exec(ctx, "SET LOCAL maintenance_work_mem = '512MB'"); err != nil {
				return err
			}
		}
		return fn(tx, raw)
	})
}

// caseLoad is one run of LoadCases.
type caseLoad struct {
	tx                    *Tx
	n                     int
	gen                   func(int, *wangge.Case)
	firstCase, firstEvent int64
	next                  map[[2]string]int // county, day → next sequence number
	rollups               map[wangge.RollupKey]*wangge.RollupVector
	counties              map[string]bool // current county codes, read once
	c                     wangge.Case
}

// make fills l.c with case i, checked, numbered and counted in the rollups.
func (l *caseLoad) make(ctx context.Context, i int, number bool) error {
	l.c = wangge.Case{}
	l.gen(i, &l.c)
	c := &l.c
	switch {
	case c.UnitID == 0 || c.UnitCode == "":
		return wangge.FieldError(fmt.Sprintf("cases[%d].unit_id", i), "required")
	case c.Category == "" || c.Kind == "" || c.Level == "":
		return wangge.FieldError(fmt.Sprintf("cases[%d].category", i), "category, kind and level are required")
	case c.Status == "" || c.Channel == "" || c.ReportedAt.IsZero() || c.StepStartedAt.IsZero():
		return wangge.FieldError(fmt.Sprintf("cases[%d].status", i), "status, channel, reported_at and step_started_at are required")
	}
	if !number {
		return nil
	}
	county, err := l.county(ctx, c.UnitCode)
	if err != nil {
		return err
	}
	key := [2]string{county, c.ReportedAt.In(wangge.ChinaTime).Format("2006-01-02")}
	seq := l.next[key]
	l.next[key] = seq + 1
	c.Number = wangge.CaseNumber(county, c.ReportedAt, seq)
	c.ID = l.firstCase + int64(i)
	if c.Version == 0 {
		c.Version = 1
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.ReportedAt
	}
	k, v := wangge.Rollup(c)
	addRollup(l.rollups, k, &v)
	return nil
}

// county returns the county code that numbers the cases of a unit: the
// longest prefix of its code that is a current county, as countyOf finds
// it, but from the load's own set of county codes. countyOf asks the
// database once per unit and remembers the answer for five minutes; a load
// over a million grids that runs longer than that asked millions of times
// (a quarter of the CPU time of `wangge gen`).
func (l *caseLoad) county(ctx context.Context, unit string) (string, error) {
	if l.counties == nil {
		l.counties = map[string]bool{}
		rows, err := l.tx.query(ctx, "SELECT code FROM units WHERE valid_to IS NULL AND level = 'county'")
		if err != nil {
			return "", err
		}
		for rows.Next() {
			var code string
			if err := rows.Scan(&code); err != nil {
				rows.Close()
				return "", err
			}
			l.counties[code] = true
		}
		if err := rows.Close(); err != nil {
			return "", err
		}
	}
	for i := len(unit); i > 0; i-- {
		if l.counties[unit[:i]] {
			return unit[:i], nil
		}
	}
	return unit, nil
}

// reserveNumbers counts the cases of each county and report day and moves
// the day counters past them, so that cases reported later do not reuse a
// number; l.next then holds the first number of each.
func (l *caseLoad) reserveNumbers(ctx context.Context) error {
	counts := map[[2]string]int{}
	for i := 0; i < l.n; i++ {
		if err := l.make(ctx, i, false); err != nil {
			return err
		}
		county, err := l.county(ctx, l.c.UnitCode)
		if err != nil {
			return err
		}
		counts[[2]string{county, l.c.ReportedAt.In(wangge.ChinaTime).Format("2006-01-02")}]++
	}
	l.next = make(map[[2]string]int, len(counts))
	for k, n := range counts {
		var last int
		if err := l.tx.queryRow(ctx, `INSERT INTO case_counters (county, day, seq) VALUES (?, ?, ?)
			ON CONFLICT (county, day) DO UPDATE SET seq = case_counters.seq + excluded.seq RETURNING seq`, k[0], k[1], n).Scan(&last); err != nil {
			return fmt.Errorf("case numbers: %w", err)
		}
		l.next[k] = last - n + 1
	}
	return nil
}

// row appends the values of the current case in caseLoadCols order.
func (l *caseLoad) row(dst []any) []any {
	c := &l.c
	db := l.tx.db
	var phoneEnc, phoneHash any
	if c.ReporterPhone != "" && db.Keys != nil {
		phoneEnc, phoneHash = db.Keys.Encrypt(c.ReporterPhone), db.Keys.Hash(c.ReporterPhone)
	}
	var lon, lat any
	if c.Lon != 0 || c.Lat != 0 {
		lon, lat = c.Lon, c.Lat
	}
	crs := c.CRS
	if crs == "" {
		crs = "wgs84"
	}
	return append(dst, c.ID, c.Number, string(c.Status), string(c.SuspendedFrom), string(c.Level), c.UnitID, c.UnitCode, c.Category, string(c.Kind), string(c.Channel),
		c.Title, c.Description, c.Address, lon, lat, crs, idArg(c.ReporterID), c.ReporterName, phoneEnc, phoneHash,
		wangge.MaskPhone(c.ReporterPhone), idArg(c.DepartmentID), c.Urgent, c.ExtensionPending, c.Reworks, c.WrongDispatches, c.Escalations, c.Rating,
		c.ReportedAt.UTC(), c.UpdatedAt.UTC(), utcPtr(c.ClosedAt), c.StepStartedAt.UTC(), int64(c.StepLimit/time.Second), int64(c.StepUsed/time.Second), utcPtr(c.DueAt), c.Light, utcPtr(c.NextCheckAt),
		c.ExternalID, c.Version, c.Overdue)
}

// event appends the timeline row of the current case, case i.
func (l *caseLoad) event(i int, dst []any) []any {
	c := &l.c
	return append(dst, l.firstEvent+int64(i), c.ID, c.ReportedAt.UTC(), nil, "import", "", string(c.Status), "", `{"bulk":true}`)
}

// insert writes the cases and then their timeline rows with multi-row
// INSERTs (SQLite).
func (l *caseLoad) insert(ctx context.Context) error {
	var failed error
	err := l.tx.bulkInsert(ctx, "cases", caseLoadCols, l.n, func(i int, dst []any) []any {
		if err := l.make(ctx, i, true); err != nil && failed == nil {
			failed = err
		}
		return l.row(dst)
	})
	if err = errors.Join(failed, err); err != nil {
		return err
	}
	// The timeline rows need only what make gives without numbering again.
	return l.tx.bulkInsert(ctx, "case_events", caseEventLoadCols, l.n, func(i int, dst []any) []any {
		l.c = wangge.Case{}
		l.gen(i, &l.c)
		l.c.ID = l.firstCase + int64(i)
		return l.event(i, dst)
	})
}

// copy writes the cases and their timeline rows with COPY (PostgreSQL), on
// the transaction's own connection.
func (l *caseLoad) copy(ctx context.Context, raw *sql.Conn) error {
	return raw.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("COPY needs the pgx driver, not %T", dc)
		}
		conn := pc.Conn()
		i := 0
		row := make([]any, 0, len(caseLoadCols))
		var failed error
		_, err := conn.CopyFrom(ctx, pgx.Identifier{"cases"}, caseLoadCols, pgx.CopyFromFunc(func() ([]any, error) {
			if i == l.n {
				return nil, nil
			}
			if err := l.make(ctx, i, true); err != nil {
				failed = err
				return nil, err
			}
			i++
			return l.row(row[:0]), nil
		}))
		if failed != nil {
			return failed
		}
		if err != nil {
			return fmt.Errorf("copy cases: %w", err)
		}
		i = 0
		_, err = conn.CopyFrom(ctx, pgx.Identifier{"case_events"}, caseEventLoadCols, pgx.CopyFromFunc(func() ([]any, error) {
			if i == l.n {
				return nil, nil
			}
			l.c = wangge.Case{}
			l.gen(i, &l.c)
			l.c.ID = l.firstCase + int64(i)
			i++
			return l.event(i-1, row[:0]), nil
		}))
		if err != nil {
			return fmt.Errorf("copy case events: %w", err)
		}
		return nil
	})
}

// storeRollups adds the loaded cases to the statistics, at every level.
func (l *caseLoad) storeRollups(ctx context.Context) error {
	if _, err := l.tx.statsLock(ctx, true); err != nil {
		return err
	}
	shape, err := l.tx.writeShape(ctx)
	if err != nil {
		return err
	}
	return l.tx.applyRollups(ctx, l.rollups, shape)
}
