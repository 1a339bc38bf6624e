package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wangge/wangge"
)

// The statistics of the case loop live in three tables (migration 0012):
//
//   - case_rollup_delta: each change of a case appends the change of its
//     contribution, in the change's transaction. An insert and nothing
//     else, so a report pays for no read-modify-write of a shared row.
//   - case_rollup: the folded sums by report day, unit, category and
//     department. At grid level that is about one row per case; a question
//     about a community, a grid or a street reads it.
//   - case_stats: the same sums at the levels that hold many cases (all of
//     them, province, city, county, street) by month and over all time, and
//     by day, in three variants (totals; by category; by category and
//     department: see statsShape). A question about a province reads at
//     most a few thousand of these rows, however many cases there are.
//
// FoldStats moves the deltas into the other two in one transaction; a
// question sums the rows of its level plus the deltas not yet folded, in one
// statement, so the answer is exact however long ago the last fold ran.

var rollupCols = []string{"n_reported", "n_accepted", "n_dispatched", "n_in_progress", "n_handled", "n_verified",
	"n_closed", "n_rated", "n_rejected", "n_merged", "n_suspended", "n_on_time", "n_overdue", "n_red", "rating_sum"}

func init() {
	if len(rollupCols) != len(wangge.RollupVector{}) {
		panic("sqlstore: rollupCols does not match wangge.RollupVector")
	}
}

var deltaInsert = func() [2]string {
	cols := "INSERT INTO case_rollup_delta (day, unit_code, category, department_id, " + strings.Join(rollupCols, ", ") + ") VALUES "
	one := "(?, ?, ?, ?" + strings.Repeat(", ?", len(rollupCols)) + ")"
	return [2]string{cols + one, cols + one + ", " + one}
}()

// rollup records the change of a case's contribution to the statistics from
// what it was (nil for a new case) to what it is, in the transaction of the
// change: one or two rows of case_rollup_delta, or none if nothing counted
// changed.
func (tx *Tx) rollup(ctx context.Context, old, cur *wangge.Case) error {
	nk, nv := wangge.Rollup(cur)
	args := make([]any, 0, 2*(4+len(nv)))
	add := func(k wangge.RollupKey, v *wangge.RollupVector) {
		args = append(args, k.Day, k.UnitCode, k.Category, k.DepartmentID)
		for _, x := range v {
			args = append(args, x)
		}
	}
	if old != nil {
		ok, ov := wangge.Rollup(old)
		if ok == nk && ov == nv {
			return nil
		}
		for i := range ov {
			ov[i] = -ov[i]
		}
		if ok == nk {
			for i := range nv {
				nv[i] += ov[i]
			}
		} else {
			add(ok, &ov)
		}
	}
	add(nk, &nv)
	if _, err := tx.exec(ctx, deltaInsert[len(args)/(4+len(nv))-1], args...); err != nil {
		return fmt.Errorf("rollup: %w", err)
	}
	return nil
}

// Stats sums the rollups of the cases reported in a unit subtree and period
// (China days), optionally grouped, with 结案率 and 按期结案率. The unit must
// lie in the caller's scope; without one, the caller's whole scope counts.
func (db *DB) Stats(ctx context.Context, f wangge.StatsFilter) (wangge.Stats, []wangge.Stats, error) {
	roots, shape, err := db.statsRoots(ctx, f)
	if err != nil {
		return wangge.Stats{}, nil, err
	}
	if f.GroupBy == "children" {
		return db.childStats(ctx, f, roots, shape)
	}
	total, groups, err := db.stats(ctx, f, roots, shape)
	if err == nil && f.GroupBy == "unit" {
		err = db.nameUnits(ctx, groups)
	}
	return total, groups, err
}

// statsRoots returns the code ranges a question covers (the unit asked
// for, or the caller's scope) and the shape of case_stats to read.
func (db *DB) statsRoots(ctx context.Context, f wangge.StatsFilter) ([]string, statsShape, error) {
	s := wangge.ScopeFromContext(ctx)
	var roots []string
	switch {
	case f.Unit != "":
		if !s.Contains(f.Unit) {
			return nil, statsShape{}, wangge.Errorf(wangge.ENOTFOUND, "unit %s not found", f.Unit)
		}
		roots = []string{f.Unit}
	case s.All:
		roots = []string{""}
	default:
		roots = s.Roots
	}
	shape, err := db.queryShape(ctx)
	return roots, shape, err
}

// UnitCount is a unit's open and overdue (red) cases.
type UnitCount struct {
	Code      string
	Open, Red int
}

// UnitCounts answers the open and red cases of each unit at f.UnitDepth
// under f.Unit (or the caller's scope), for a map: the question of Stats
// grouped by unit, reading two sums instead of fifteen (2,865 communities
// of a county at 10⁷ cases). Units with neither are left out.
func (db *DB) UnitCounts(ctx context.Context, f wangge.StatsFilter) ([]UnitCount, error) {
	if f.UnitDepth <= 0 || f.UnitDepth > 32 {
		return nil, wangge.FieldError("unit_depth", "the code length of the units to count, e.g. 12 for communities")
	}
	f.GroupBy = "unit"
	roots, shape, err := db.statsRoots(ctx, f)
	if err != nil {
		return nil, err
	}
	q := statsQuery{f: f, shape: shape, sums: countSums}
	q.period()
	for _, r := range roots {
		q.plan(r)
	}
	if len(q.parts) == 0 {
		return nil, nil
	}
	rows, err := db.read().query(ctx, strings.Join(q.parts, " UNION ALL "), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byKey := map[string]*UnitCount{}
	for rows.Next() {
		var c UnitCount
		if err := rows.Scan(&c.Code, &c.Open, &c.Red); err != nil {
			return nil, err
		}
		if sum := byKey[c.Code]; sum != nil {
			sum.Open, sum.Red = sum.Open+c.Open, sum.Red+c.Red
		} else {
			byKey[c.Code] = &c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]UnitCount, 0, len(byKey))
	for _, c := range byKey {
		if c.Open != 0 || c.Red != 0 {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// countSums are the two sums of UnitCounts: the open statuses, and red.
var countSums = func() string {
	var open []string
	for i, st := range wangge.RollupStatuses {
		if st.Open() {
			open = append(open, rollupCols[i])
		}
	}
	return "SUM(" + strings.Join(open, " + ") + ") AS n_open, SUM(n_red) AS n_red"
}()

// childStats groups by the first depth below the roots (the stored levels
// and the standard code lengths are the candidates) with more than one
// group, or the deepest.
func (db *DB) childStats(ctx context.Context, f wangge.StatsFilter, roots []string, shape statsShape) (wangge.Stats, []wangge.Stats, error) {
	base := 32
	for _, r := range roots {
		base = min(base, len(r))
	}
	var depths []int
	for _, l := range wangge.Levels {
		depths = append(depths, wangge.CodeLength(l))
	}
	depths = statsShape{all: append(depths, shape.all...)}.normal().all
	f.GroupBy = "unit"
	if depths[len(depths)-1] <= base { // nothing below the roots: their totals alone
		f.GroupBy = ""
		return db.stats(ctx, f, roots, shape)
	}
	var total wangge.Stats
	var groups []wangge.Stats
	for i, d := range depths {
		if d <= base {
			continue
		}
		f.UnitDepth = d
		var err error
		if total, groups, err = db.stats(ctx, f, roots, shape); err != nil || len(groups) > 1 || i == len(depths)-1 {
			if err == nil {
				err = db.nameUnits(ctx, groups)
			}
			return total, groups, err
		}
	}
	return total, groups, nil
}

// nameUnits puts the current names of the units on their groups: from
// UnitNames where it knows them, else from the database.
func (db *DB) nameUnits(ctx context.Context, groups []wangge.Stats) error {
	if len(groups) == 0 || len(groups) > 5000 {
		return nil
	}
	at := map[string]int{}
	args := make([]any, 0, len(groups))
	for i, g := range groups {
		if db.UnitNames != nil {
			if zh, en, ok := db.UnitNames(g.Key); ok {
				groups[i].NameZH, groups[i].NameEN = zh, en
				continue
			}
		}
		at[g.Key] = i
		args = append(args, g.Key)
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := db.read().query(ctx, "SELECT code, name_zh, name_en FROM units WHERE valid_to IS NULL AND code IN (?"+strings.Repeat(", ?", len(args)-1)+")", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var code, zh, en string
		if err := rows.Scan(&code, &zh, &en); err != nil {
			return err
		}
		groups[at[code]].NameZH, groups[at[code]].NameEN = zh, en
	}
	return rows.Err()
}

func (db *DB) stats(ctx context.Context, f wangge.StatsFilter, roots []string, shape statsShape) (wangge.Stats, []wangge.Stats, error) {
	q := statsQuery{f: f}
	switch f.GroupBy {
	case "", "status", "category", "major", "department", "day":
	case "unit":
		if f.UnitDepth <= 0 || f.UnitDepth > 32 {
			return wangge.Stats{}, nil, wangge.FieldError("unit_depth", "the code length to group at, e.g. 12 for communities")
		}
	default:
		return wangge.Stats{}, nil, wangge.FieldError("group_by", "status, category, major, unit, children, department or day")
	}
	q.period()
	q.shape = shape
	for _, r := range roots {
		q.plan(r)
	}
	if len(q.parts) == 0 { // no scope: nothing to count
		return wangge.StatsOf("", wangge.RollupVector{}), nil, nil
	}
	// Each part is summed by key in SQL; the parts are added up here: an
	// outer GROUP BY over the UNION ALL sorted every row in a temporary
	// B-tree (a county's 2,865 communities: 19 ms of 24 in SQLite's C build).
	rows, err := db.read().query(ctx, strings.Join(q.parts, " UNION ALL "), q.args...)
	if err != nil {
		return wangge.Stats{}, nil, err
	}
	defer rows.Close()
	var total wangge.RollupVector
	byKey := map[string]*wangge.RollupVector{}
	var keys []string
	var key string
	var v wangge.RollupVector
	dst := []any{&key}
	for i := range v {
		dst = append(dst, &v[i])
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return wangge.Stats{}, nil, err
		}
		sum := byKey[key]
		if sum == nil {
			sum = new(wangge.RollupVector)
			byKey[key] = sum
			keys = append(keys, key)
		}
		for i := range v {
			total[i] += v[i]
			sum[i] += v[i]
		}
	}
	if err := rows.Err(); err != nil {
		return wangge.Stats{}, nil, err
	}
	var groups []wangge.Stats
	if f.GroupBy != "" && f.GroupBy != "status" {
		sort.Strings(keys)
		for _, k := range keys {
			// A group whose cases all moved to another sums to nothing.
			if s := byKey[k]; *s != (wangge.RollupVector{}) {
				groups = append(groups, wangge.StatsOf(k, *s))
			}
		}
	}
	return wangge.StatsOf("", total), groups, nil
}

// statsQuery builds the UNION ALL of the row sets that together hold the
// answer: for each scope root, case_stats where its level has them, else
// case_rollup, plus the deltas not yet folded.
type statsQuery struct {
	f        wangge.StatsFilter
	sums     string // what each part selects besides its key: partSums if empty
	from, to string // China days, "" for open ends
	shape    statsShape
	parts    []string
	args     []any
}

// period sets the China days of the question's period.
func (q *statsQuery) period() {
	if q.f.From != nil {
		q.from = q.f.From.In(wangge.ChinaTime).Format("2006-01-02")
	}
	if q.f.To != nil {
		q.to = q.f.To.In(wangge.ChinaTime).Format("2006-01-02")
	}
}

// sumCols is what each part selects besides its key.
func (q *statsQuery) sumCols() string {
	if q.sums != "" {
		return q.sums
	}
	return partSums
}

// plan adds the parts of one root ("" for everything).
func (q *statsQuery) plan(root string) {
	du := len(root)
	// rd is the depth of the rows to read: the root's, or that of the
	// units grouped by when they lie below it.
	rd := du
	if q.f.GroupBy == "unit" && q.f.UnitDepth > du {
		rd = q.f.UnitDepth
	}
	v := variantOf(q.f)
	coarse := statsVariants[v].rows(q.shape, rd)
	daily := coarse && statsVariants[v].days(q.shape, rd)
	d, m, a := "d"+strconv.Itoa(v), "m"+strconv.Itoa(v), "a"+strconv.Itoa(v)
	switch {
	case !coarse && v == 0 && q.from == "" && q.to == "" && q.f.GroupBy != "day" && q.shape.totals(rd):
		q.stats(root, rd, a, "", "")
	case !coarse:
		q.fine("case_rollup", root, q.from, q.to)
	case q.f.GroupBy == "day":
		if daily {
			q.stats(root, rd, d, q.from, q.to)
		} else {
			q.fine("case_rollup", root, q.from, q.to)
		}
	case q.from == "" && q.to == "":
		q.stats(root, rd, a, "", "")
	default:
		// Whole months from the month rows, the days before and after
		// from the day rows (or the fine rows where there are none).
		ms, me := q.from, q.to
		if ms != "" && !strings.HasSuffix(ms, "-01") {
			ms = nextMonth(ms[:7])
		} else if ms != "" {
			ms = ms[:7]
		}
		if me != "" {
			me = me[:7]
		}
		days := func(from, to string) {
			if from != "" && to != "" && from >= to {
				return
			}
			if daily {
				q.stats(root, rd, d, from, to)
			} else {
				q.fine("case_rollup", root, from, to)
			}
		}
		if ms != "" && me != "" && ms >= me {
			days(q.from, q.to)
			break
		}
		if ms != "" {
			days(q.from, ms+"-01")
		}
		q.stats(root, rd, m, ms, me)
		if me != "" {
			days(me+"-01", q.to)
		}
	}
	q.fine("case_rollup_delta", root, q.from, q.to)
}

// key returns the group expression over a table's columns: fine tables
// (case_rollup and the deltas) have day and the case's unit code, case_stats
// has bucket and the code of the rows' level.
func (q *statsQuery) key(root string, fine bool) string {
	switch q.f.GroupBy {
	case "category":
		return "category"
	case "major":
		return "SUBSTR(category, 1, 2)"
	case "department":
		return "CAST(department_id AS TEXT)"
	case "day":
		if fine {
			return "day"
		}
		return "bucket"
	case "unit":
		d := q.f.UnitDepth
		if d <= len(root) {
			q.args = append(q.args, root[:d])
			return "CAST(? AS TEXT)"
		}
		if fine {
			return "SUBSTR(unit_code, 1, " + strconv.Itoa(d) + ")"
		}
		return "unit_code"
	}
	return "''"
}

// partSums sums the rollup columns of one part of a question. Each part
// sums its own rows before the parts are added up: the outer GROUP BY then
// sorts a row a group and part instead of every row read (a province's 30
// days by major class: 3,000 rows of case_stats, 12.7 ms in SQLite's C
// build, 7.5 ms summed first).
var partSums = func() string {
	s := make([]string, len(rollupCols))
	for i, c := range rollupCols {
		s[i] = "SUM(" + c + ") AS " + c
	}
	return strings.Join(s, ", ")
}()

func (q *statsQuery) fine(table, root, from, to string) {
	var w where
	k := q.key(root, true)
	if root != "" {
		w.add("unit_code >= ? AND unit_code < ?", root, wangge.CodeUpperBound(root))
	}
	if from != "" {
		w.add("day >= ?", from)
	}
	if to != "" {
		w.add("day < ?", to)
	}
	q.filters(&w)
	q.parts = append(q.parts, "SELECT "+k+" AS k, "+q.sumCols()+" FROM "+table+w.String()+" GROUP BY 1")
}

func (q *statsQuery) stats(root string, depth int, span, from, to string) {
	var w where
	k := q.key(root, false)
	w.add("span = ? AND depth = ?", span, depth)
	switch {
	case depth == len(root):
		w.add("unit_code = ?", root)
	case root != "":
		w.add("unit_code >= ? AND unit_code < ?", root, wangge.CodeUpperBound(root))
	}
	if from != "" {
		w.add("bucket >= ?", from)
	}
	if to != "" {
		w.add("bucket < ?", to)
	}
	q.filters(&w)
	q.parts = append(q.parts, "SELECT "+k+" AS k, "+q.sumCols()+" FROM case_stats"+w.String()+" GROUP BY 1")
}

func (q *statsQuery) filters(w *where) {
	if q.f.Category != "" {
		w.add("category >= ? AND category < ?", q.f.Category, q.f.Category+"~")
	}
	if q.f.Department != 0 {
		w.add("department_id = ?", q.f.Department)
	}
	q.args = append(q.args, w.args...)
}

// nextMonth returns the month after m (2006-01).
func nextMonth(m string) string {
	y, _ := strconv.Atoi(m[:4])
	mo, _ := strconv.Atoi(m[5:7])
	if mo == 12 {
		y, mo = y+1, 1
	} else {
		mo++
	}
	return fmt.Sprintf("%04d-%02d", y, mo)
}
