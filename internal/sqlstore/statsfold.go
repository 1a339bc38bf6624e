package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wangge/wangge"
)

// statsShape says which code lengths case_stats holds rows for, besides
// depth 0 (everything): the units of the levels that hold many cases
// (province to street). Below those levels (community, grid, ...) a unit's
// own rows in case_rollup are few enough to sum. It is derived from the
// units (a code's length says its level, as the coding scheme has it) and
// only ever grows, so a server that read it a moment ago never reads rows
// that are not there.
//
// case_stats keeps three variants of the sums, each a span prefix so that
// a question reads one contiguous range of the key:
//
//	variant 0: totals (category '', department 0): all time and months at
//	           every level in all, days from county up (the levels in day)
//	variant 1: by category (department 0): all time, months and days from
//	           county up
//	variant 2: by category and department: all time and months from
//	           county up
//
// and, besides, all-time totals (span a0) at the community level's depth
// (tot): a map of a county draws the open cases of each of its 1,800
// communities, which summed from case_rollup read the county's every row
// (0.6 s at 10⁷ cases), and from these rows one a community. A street's
// grids are few enough to sum from case_rollup; totals at every fine
// level made each fold write three more rows a change (folding was 15 %
// of an intake profile).
//
// A street's own cases are few enough to sum in case_rollup for any
// question but the totals that the county's "by street" chart reads; the
// department dimension multiplies the rows by the number of counties (each
// has its own departments), so only questions about departments read it,
// and it has no day rows, which would be most of the table. At 10⁶ cases
// this keeps about 2.9 rows of case_stats per case instead of 5.5.
type statsShape struct {
	all, day, tot []int // ascending code lengths
}

var (
	coarseLevels = []wangge.Level{wangge.LevelProvince, wangge.LevelCity, wangge.LevelCounty, wangge.LevelStreet}
	dailyLevels  = []wangge.Level{wangge.LevelProvince, wangge.LevelCity, wangge.LevelCounty}
)

func (s statsShape) coarse(depth int) bool { return depth == 0 || slices.Contains(s.all, depth) }
func (s statsShape) daily(depth int) bool  { return depth == 0 || slices.Contains(s.day, depth) }

// totals reports whether depth has all-time totals (span a0).
func (s statsShape) totals(depth int) bool { return s.coarse(depth) || slices.Contains(s.tot, depth) }

// fineTotals are the depths that have all-time totals and nothing else.
func (s statsShape) fineTotals() []int {
	var out []int
	for _, d := range s.tot {
		if !s.coarse(d) {
			out = append(out, d)
		}
	}
	return out
}

// String is the form kept in stats_meta: "a:2,4,6,9;d:2,4,6;t:12,15,18".
func (s statsShape) String() string {
	join := func(xs []int) string {
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = strconv.Itoa(x)
		}
		return strings.Join(parts, ",")
	}
	return "a:" + join(s.all) + ";d:" + join(s.day) + ";t:" + join(s.tot)
}

func parseStatsShape(v string) statsShape {
	var s statsShape
	for _, part := range strings.Split(v, ";") {
		name, list, _ := strings.Cut(part, ":")
		for _, x := range strings.Split(list, ",") {
			if n, err := strconv.Atoi(x); err == nil && n > 0 {
				switch name {
				case "a":
					s.all = append(s.all, n)
				case "d":
					s.day = append(s.day, n)
				case "t":
					s.tot = append(s.tot, n)
				}
			}
		}
	}
	return s.normal()
}

func (s statsShape) union(o statsShape) statsShape {
	return statsShape{append(slices.Clone(s.all), o.all...), append(slices.Clone(s.day), o.day...), append(slices.Clone(s.tot), o.tot...)}.normal()
}

func (s statsShape) normal() statsShape {
	slices.Sort(s.all)
	slices.Sort(s.day)
	slices.Sort(s.tot)
	return statsShape{slices.Compact(s.all), slices.Compact(s.day), slices.Compact(s.tot)}
}

// unitsShape reads the shape the units call for (remembered for a minute:
// it changes when a level is added above or below the existing ones).
func (db *DB) unitsShape(ctx context.Context) (statsShape, error) {
	now := time.Now()
	s, ok, gen := db.unitShapes.get("", now)
	if ok {
		return s, nil
	}
	rows, err := db.read().query(ctx, "SELECT DISTINCT level, LENGTH(code) FROM units")
	if err != nil {
		return statsShape{}, err
	}
	defer rows.Close()
	s = statsShape{}
	for rows.Next() {
		var level wangge.Level
		var n int
		if err := rows.Scan(&level, &n); err != nil {
			return statsShape{}, err
		}
		if slices.Contains(coarseLevels, level) {
			s.all = append(s.all, n)
		}
		if slices.Contains(dailyLevels, level) {
			s.day = append(s.day, n)
		}
		if level == wangge.LevelCommunity {
			s.tot = append(s.tot, n)
		}
	}
	if err := rows.Err(); err != nil {
		return statsShape{}, err
	}
	s = s.normal()
	db.unitShapes.put("", s, now, gen)
	return s, nil
}

// queryShape is the shape case_stats has been built to, for questions
// (remembered for a few seconds; a stale one lacks at most a level, whose
// questions then sum case_rollup instead).
func (db *DB) queryShape(ctx context.Context) (statsShape, error) {
	now := time.Now()
	s, ok, gen := db.statsShapes.get("", now)
	if ok {
		return s, nil
	}
	s, err := storedShape(ctx, db.read())
	if err != nil {
		return s, err
	}
	db.statsShapes.put("", s, now, gen)
	return s, nil
}

func storedShape(ctx context.Context, c conn) (statsShape, error) {
	var v string
	err := c.queryRow(ctx, "SELECT v FROM stats_meta WHERE k = 'shape'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return statsShape{}, nil
	}
	return parseStatsShape(v), err
}

// statsLock keeps writers of case_stats on several PostgreSQL servers from
// running at once (a fold, a bulk load, a rebuild); wait false tries and
// reports whether it got the lock. On SQLite the one writer is the lock.
func (tx *Tx) statsLock(ctx context.Context, wait bool) (bool, error) {
	if tx.d != Postgres {
		return true, nil
	}
	// One lock per schema: deployments and tests may share a database.
	if wait {
		_, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(20261123, hashtext(current_schema()))")
		return err == nil, err
	}
	var got bool
	err := tx.queryRow(ctx, "SELECT pg_try_advisory_xact_lock(20261123, hashtext(current_schema()))").Scan(&got)
	return got, err
}

// writeShape returns the shape to write case_stats in: the stored one grown
// by what the units call for. When it grew, case_stats is rebuilt from
// case_rollup first, so that the new level holds the old cases too.
func (tx *Tx) writeShape(ctx context.Context) (statsShape, error) {
	stored, err := storedShape(ctx, tx.conn)
	if err != nil {
		return stored, err
	}
	units, err := tx.db.unitsShape(ctx)
	if err != nil {
		return stored, err
	}
	shape := stored.union(units)
	if shape.String() == stored.String() {
		return stored, nil
	}
	if len(stored.all) == len(shape.all) && len(stored.day) == len(shape.day) {
		// Only totals at new depths: add those rows, keep the rest.
		return shape, tx.addTotals(ctx, stored, shape)
	}
	if err := tx.rebuildStatsLevels(ctx, shape); err != nil {
		return shape, err
	}
	return shape, nil
}

// addTotals adds the all-time totals of the depths shape has and stored
// has not, from case_rollup, and stores shape: one pass over case_rollup a
// depth, not a rebuild of case_stats (a first start after the upgrade that
// added them, at 10⁷ cases, holds the writer for that pass).
func (tx *Tx) addTotals(ctx context.Context, stored, shape statsShape) error {
	for _, d := range shape.fineTotals() {
		if stored.totals(d) {
			continue
		}
		if err := tx.insertLevel(ctx, 0, d, "a", "''"); err != nil {
			return err
		}
	}
	return tx.storeShape(ctx, shape)
}

// insertLevel fills a variant's span at a depth from case_rollup.
func (tx *Tx) insertLevel(ctx context.Context, variant, depth int, span, bucket string) error {
	sums := make([]string, len(rollupCols))
	for i, c := range rollupCols {
		sums[i] = "SUM(" + c + ")"
	}
	vr := statsVariants[variant]
	cat, dept := "''", "0"
	if vr.cat {
		cat = "category"
	}
	if vr.dept {
		dept = "department_id"
	}
	d := strconv.Itoa(depth)
	q := "INSERT INTO case_stats (span, depth, unit_code, bucket, category, department_id, " + strings.Join(rollupCols, ", ") + ") " +
		"SELECT '" + span + strconv.Itoa(variant) + "', " + d + ", SUBSTR(unit_code, 1, " + d + "), " + bucket + ", " + cat + ", " + dept + ", " +
		strings.Join(sums, ", ") + " FROM case_rollup GROUP BY 3, 4, 5, 6"
	if _, err := tx.exec(ctx, q); err != nil {
		return fmt.Errorf("statistics at depth %d: %w", depth, err)
	}
	return nil
}

func (tx *Tx) storeShape(ctx context.Context, shape statsShape) error {
	_, err := tx.exec(ctx, "INSERT INTO stats_meta (k, v) VALUES ('shape', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", shape.String())
	return err
}

// rebuildStatsLevels refills case_stats in shape from case_rollup, in SQL.
func (tx *Tx) rebuildStatsLevels(ctx context.Context, shape statsShape) error {
	if _, err := tx.exec(ctx, "DELETE FROM case_stats"); err != nil {
		return err
	}
	for _, depth := range append([]int{0}, shape.all...) {
		for i, vr := range statsVariants {
			if !vr.rows(shape, depth) {
				continue
			}
			spans := map[string]string{"a": "''", "m": "SUBSTR(day, 1, 7)"}
			if vr.days(shape, depth) {
				spans["d"] = "day"
			}
			for span, bucket := range spans {
				if err := tx.insertLevel(ctx, i, depth, span, bucket); err != nil {
					return err
				}
			}
		}
	}
	for _, depth := range shape.fineTotals() {
		if err := tx.insertLevel(ctx, 0, depth, "a", "''"); err != nil {
			return err
		}
	}
	return tx.storeShape(ctx, shape)
}

// foldBatch is the most deltas one fold moves.
const foldBatch = 20000

// FoldStats moves the deltas written since the last fold into case_rollup
// and case_stats, at most foldBatch of them, and returns how many it moved.
// Questions are exact either way; folding keeps them fast. On PostgreSQL a
// fold that finds another server folding does nothing.
func (db *DB) FoldStats(ctx context.Context) (int, error) {
	var pending bool
	if err := db.read().queryRow(ctx, "SELECT EXISTS (SELECT 1 FROM case_rollup_delta)").Scan(&pending); err != nil || !pending {
		return 0, err
	}
	n := 0
	err := db.Transact(ctx, func(tx *Tx) error {
		n = 0
		if got, err := tx.statsLock(ctx, false); err != nil || !got {
			return err
		}
		shape, err := tx.writeShape(ctx)
		if err != nil {
			return err
		}
		rows, err := tx.query(ctx, "DELETE FROM case_rollup_delta WHERE id IN (SELECT id FROM case_rollup_delta ORDER BY id LIMIT "+
			strconv.Itoa(foldBatch)+") RETURNING day, unit_code, category, department_id, "+strings.Join(rollupCols, ", "))
		if err != nil {
			return err
		}
		sums := map[wangge.RollupKey]*wangge.RollupVector{}
		for rows.Next() {
			var k wangge.RollupKey
			var v wangge.RollupVector
			dst := []any{&k.Day, &k.UnitCode, &k.Category, &k.DepartmentID}
			for i := range v {
				dst = append(dst, &v[i])
			}
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return err
			}
			addRollup(sums, k, &v)
			n++
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		return tx.applyRollups(ctx, sums, shape)
	})
	return n, err
}

// FoldStatsEvery folds the deltas every interval until ctx ends, as many
// batches as there are.
func (db *DB) FoldStatsEvery(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			n, err := db.FoldStats(ctx)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("fold statistics", "err", err)
				}
				break
			}
			if n < foldBatch {
				break
			}
		}
	}
}

func addRollup(sums map[wangge.RollupKey]*wangge.RollupVector, k wangge.RollupKey, v *wangge.RollupVector) {
	s := sums[k]
	if s == nil {
		s = new(wangge.RollupVector)
		sums[k] = s
	}
	for i := range v {
		s[i] += v[i]
	}
}

// statsVariants says what each variant keeps: by category, by department,
// and at which depths it has all-time and month rows (rows) and day rows.
var statsVariants = [3]struct {
	cat, dept  bool
	rows, days func(s statsShape, depth int) bool
}{
	{false, false, statsShape.coarse, statsShape.daily},
	{true, false, statsShape.daily, statsShape.daily},
	{true, true, statsShape.daily, func(statsShape, int) bool { return false }},
}

// variantOf is the variant that answers a question.
func variantOf(f wangge.StatsFilter) int {
	switch {
	case f.Department != 0 || f.GroupBy == "department":
		return 2
	case f.Category != "" || f.GroupBy == "category" || f.GroupBy == "major":
		return 1
	}
	return 0
}

// statsKey is a row of case_stats.
type statsKey struct {
	span                string
	depth               int
	unit, bucket, categ string
	dept                int64
}

// applyRollups adds sums to case_rollup and, summed up the levels of shape,
// to case_stats.
func (tx *Tx) applyRollups(ctx context.Context, sums map[wangge.RollupKey]*wangge.RollupVector, shape statsShape) error {
	fine := make([]wangge.RollupKey, 0, len(sums))
	fineTotals := shape.fineTotals()
	up := map[statsKey]*wangge.RollupVector{}
	add := func(k statsKey, v *wangge.RollupVector) {
		s := up[k]
		if s == nil {
			s = new(wangge.RollupVector)
			up[k] = s
		}
		for i := range v {
			s[i] += v[i]
		}
	}
	for k, v := range sums {
		if *v == (wangge.RollupVector{}) {
			continue
		}
		fine = append(fine, k)
		for _, depth := range append([]int{0}, shape.all...) {
			// A case of a unit above depth counts there under its own
			// code, as SUBSTR(unit_code, 1, depth) has it in case_rollup:
			// grouping by the streets of a county then shows the cases
			// filed at the county itself as the county's.
			unit := k.UnitCode[:min(depth, len(k.UnitCode))]
			for i, vr := range statsVariants {
				if !vr.rows(shape, depth) {
					continue
				}
				n := strconv.Itoa(i)
				cat, dept := "", int64(0)
				if vr.cat {
					cat = k.Category
				}
				if vr.dept {
					dept = k.DepartmentID
				}
				add(statsKey{"a" + n, depth, unit, "", cat, dept}, v)
				add(statsKey{"m" + n, depth, unit, k.Day[:7], cat, dept}, v)
				if vr.days(shape, depth) {
					add(statsKey{"d" + n, depth, unit, k.Day, cat, dept}, v)
				}
			}
		}
		for _, depth := range fineTotals {
			add(statsKey{"a0", depth, k.UnitCode[:min(depth, len(k.UnitCode))], "", "", 0}, v)
		}
	}
	// Key order: rows are written where the primary key grows, and two
	// servers' writers lock the rows they share in the same order.
	slices.SortFunc(fine, func(a, b wangge.RollupKey) int {
		return cmp.Or(strings.Compare(a.UnitCode, b.UnitCode), strings.Compare(a.Day, b.Day),
			strings.Compare(a.Category, b.Category), cmp.Compare(a.DepartmentID, b.DepartmentID))
	})
	err := tx.upsertSums(ctx, "case_rollup", []string{"day", "unit_code", "category", "department_id"}, "unit_code, day, category, department_id",
		len(fine), func(i int, dst []any) []any {
			k := fine[i]
			return appendVector(append(dst, k.Day, k.UnitCode, k.Category, k.DepartmentID), sums[k])
		})
	if err != nil {
		return err
	}
	coarse := make([]statsKey, 0, len(up))
	for k := range up {
		coarse = append(coarse, k)
	}
	slices.SortFunc(coarse, func(a, b statsKey) int {
		return cmp.Or(strings.Compare(a.span, b.span), cmp.Compare(a.depth, b.depth), strings.Compare(a.unit, b.unit),
			strings.Compare(a.bucket, b.bucket), strings.Compare(a.categ, b.categ), cmp.Compare(a.dept, b.dept))
	})
	return tx.upsertSums(ctx, "case_stats", []string{"span", "depth", "unit_code", "bucket", "category", "department_id"},
		"span, depth, unit_code, bucket, category, department_id", len(coarse), func(i int, dst []any) []any {
			k := coarse[i]
			return appendVector(append(dst, k.span, k.depth, k.unit, k.bucket, k.categ, k.dept), up[k])
		})
}

func appendVector(dst []any, v *wangge.RollupVector) []any {
	for _, x := range v {
		dst = append(dst, x)
	}
	return dst
}

// upsertSums adds n rows of sums (key columns, then rollupCols) to table,
// many rows per statement: at a fine grain there are nearly as many rows as
// cases, and one statement each took minutes per million on PostgreSQL.
func (tx *Tx) upsertSums(ctx context.Context, table string, keys []string, conflict string, n int, row func(i int, dst []any) []any) error {
	sets := make([]string, len(rollupCols))
	for i, c := range rollupCols {
		sets[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	return tx.bulkInsertThen(ctx, table, append(slices.Clone(keys), rollupCols...),
		"ON CONFLICT ("+conflict+") DO UPDATE SET "+strings.Join(sets, ", "), n, row)
}

// RebuildStats recomputes every statistic from the cases (administrators
// only): after the migration that added columns to them, or to repair. The
// deltas not yet folded are dropped with the rest, as the cases hold them.
func (db *DB) RebuildStats(ctx context.Context) error {
	if err := requireAdmin(ctx, "rebuild statistics"); err != nil {
		return err
	}
	return db.rebuildStats(ctx, false)
}

// rebuildStats recomputes the statistics; asked: only if a migration still
// asks for it once the lock is held (several servers migrating at once).
func (db *DB) rebuildStats(ctx context.Context, asked bool) error {
	defer db.statsShapes.clear()
	return db.bulkTransact(ctx, func(tx *Tx, _ *sql.Conn) error {
		if _, err := tx.statsLock(ctx, true); err != nil {
			return err
		}
		if tx.d == Postgres {
			// The changes committed from here on wait, with their deltas,
			// until the rebuild commits, and apply to it; without this, a
			// change committed between deleting the deltas and reading the
			// cases would count twice. (SQLite's one writer is held.)
			if _, err := tx.exec(ctx, "LOCK TABLE case_rollup_delta IN EXCLUSIVE MODE"); err != nil {
				return err
			}
		}
		if asked {
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM stats_meta WHERE k = 'rebuild'").Scan(&n); err != nil || n == 0 {
				return err // another server did it
			}
		}
		for _, t := range []string{"case_rollup_delta", "case_rollup", "case_stats"} {
			if _, err := tx.exec(ctx, "DELETE FROM "+t); err != nil {
				return err
			}
		}
		rows, err := tx.query(ctx, "SELECT status, overdue, reported_at, unit_code, category, department_id, light, rating FROM cases")
		if err != nil {
			return err
		}
		sums := map[wangge.RollupKey]*wangge.RollupVector{}
		for rows.Next() {
			var c wangge.Case
			var dept sql.NullInt64
			var light sql.NullString
			var rating sql.NullInt64
			if err := rows.Scan(&c.Status, &c.Overdue, &c.ReportedAt, &c.UnitCode, &c.Category, &dept, &light, &rating); err != nil {
				rows.Close()
				return err
			}
			if dept.Valid {
				c.DepartmentID = &dept.Int64
			}
			c.Light, c.Rating = light.String, int(rating.Int64)
			k, v := wangge.Rollup(&c)
			addRollup(sums, k, &v)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		stored, err := storedShape(ctx, tx.conn)
		if err != nil {
			return err
		}
		units, err := db.unitsShape(ctx)
		if err != nil {
			return err
		}
		// Never smaller than stored: other servers may be reading it.
		shape := stored.union(units)
		if err := tx.rebuildStatsLevels(ctx, shape); err != nil { // empties case_stats and stores the shape
			return err
		}
		if err := tx.applyRollups(ctx, sums, shape); err != nil {
			return err
		}
		_, err = tx.exec(ctx, "DELETE FROM stats_meta WHERE k = 'rebuild'")
		return err
	})
}

// rebuildStatsIfAsked runs the rebuild a migration asked for.
// growStats gives case_stats the levels the units call for and it lacks
// (as the next fold would), so that the one pass a new level costs at 10⁷
// cases is paid by `wangge migrate`, not by the first reports a server
// takes after the upgrade.
func (db *DB) growStats(ctx context.Context) error {
	stored, err := storedShape(ctx, db.read())
	if err != nil {
		return err
	}
	units, err := db.unitsShape(ctx)
	if err != nil || stored.union(units).String() == stored.String() {
		return err
	}
	defer db.statsShapes.clear()
	err = db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.statsLock(ctx, true); err != nil {
			return err
		}
		_, err := tx.writeShape(ctx)
		return err
	})
	if err == nil && db.dialect == Postgres {
		// A level's rows change what the planner should expect of a span.
		_, err = db.w.ExecContext(ctx, "ANALYZE case_stats")
	}
	return err
}

func (db *DB) rebuildStatsIfAsked(ctx context.Context) error {
	var n int
	if err := db.read().queryRow(ctx, "SELECT COUNT(*) FROM stats_meta WHERE k = 'rebuild'").Scan(&n); err != nil || n == 0 {
		return err
	}
	return db.rebuildStats(ctx, true)
}
