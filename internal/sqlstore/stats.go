package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wangge/wangge"
)

var rollupCols = []string{"n_reported", "n_accepted", "n_dispatched", "n_in_progress", "n_handled", "n_verified",
	"n_closed", "n_rated", "n_rejected", "n_merged", "n_suspended", "n_on_time", "n_overdue"}

// rollup moves a case's contribution in the statistics from what it was
// (nil for a new case) to what it is, in the transaction of the change.
func (tx *Tx) rollup(ctx context.Context, old, cur *wangge.Case) error {
	type delta struct {
		k wangge.RollupKey
		v wangge.RollupVector
	}
	var ds []delta
	nk, nv := wangge.Rollup(cur)
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
			ds = append(ds, delta{ok, ov})
		}
	}
	ds = append(ds, delta{nk, nv})
	sets := make([]string, len(rollupCols))
	for i, c := range rollupCols {
		sets[i] = c + " = case_rollup." + c + " + excluded." + c
	}
	q := "INSERT INTO case_rollup (day, unit_code, category, department_id, " + strings.Join(rollupCols, ", ") + ") VALUES (?, ?, ?, ?" +
		strings.Repeat(", ?", len(rollupCols)) + ") ON CONFLICT (unit_code, day, category, department_id) DO UPDATE SET " + strings.Join(sets, ", ")
	for _, d := range ds {
		args := []any{d.k.Day, d.k.UnitCode, d.k.Category, d.k.DepartmentID}
		for _, x := range d.v {
			args = append(args, x)
		}
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("rollup: %w", err)
		}
	}
	return nil
}

// Stats sums the rollups of the cases reported in a unit subtree and period
// (China days), optionally grouped, with 结案率 and 按期结案率. The unit must
// lie in the caller's scope; without one, the caller's whole scope counts.
func (db *DB) Stats(ctx context.Context, f wangge.StatsFilter) (wangge.Stats, []wangge.Stats, error) {
	s := wangge.ScopeFromContext(ctx)
	var w where
	if f.Unit != "" {
		if !s.Contains(f.Unit) {
			return wangge.Stats{}, nil, wangge.Errorf(wangge.ENOTFOUND, "unit %s not found", f.Unit)
		}
		w.add("unit_code >= ? AND unit_code < ?", f.Unit, wangge.CodeUpperBound(f.Unit))
	} else {
		sp, args := scopeWhere(s, "unit_code")
		w.add(sp, args...)
	}
	if f.From != nil {
		w.add("day >= ?", f.From.In(wangge.ChinaTime).Format("2006-01-02"))
	}
	if f.To != nil {
		w.add("day < ?", f.To.In(wangge.ChinaTime).Format("2006-01-02"))
	}
	if f.Category != "" {
		w.add("category >= ? AND category < ?", f.Category, f.Category+"~")
	}
	if f.Department != 0 {
		w.add("department_id = ?", f.Department)
	}
	group := "''"
	switch f.GroupBy {
	case "", "status":
	case "category":
		group = "category"
	case "major":
		group = "SUBSTR(category, 1, 2)"
	case "department":
		group = "CAST(department_id AS TEXT)"
	case "day":
		group = "day"
	case "unit":
		depth := f.UnitDepth
		if depth <= 0 || depth > 32 {
			return wangge.Stats{}, nil, wangge.FieldError("unit_depth", "the code length to group at, e.g. 12 for communities")
		}
		group = "SUBSTR(unit_code, 1, " + strconv.Itoa(depth) + ")"
	default:
		return wangge.Stats{}, nil, wangge.FieldError("group_by", "status, category, major, unit, department or day")
	}
	sums := make([]string, len(rollupCols))
	for i, c := range rollupCols {
		sums[i] = "COALESCE(SUM(" + c + "), 0)"
	}
	rows, err := db.read().query(ctx, "SELECT "+group+", "+strings.Join(sums, ", ")+" FROM case_rollup"+w.String()+" GROUP BY 1", w.args...)
	if err != nil {
		return wangge.Stats{}, nil, err
	}
	defer rows.Close()
	var total wangge.RollupVector
	var groups []wangge.Stats
	for rows.Next() {
		var key string
		var v wangge.RollupVector
		dst := []any{&key}
		for i := range v {
			dst = append(dst, &v[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return wangge.Stats{}, nil, err
		}
		for i := range v {
			total[i] += v[i]
		}
		if f.GroupBy != "" && f.GroupBy != "status" {
			groups = append(groups, wangge.StatsOf(key, v))
		}
	}
	if err := rows.Err(); err != nil {
		return wangge.Stats{}, nil, err
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Key < groups[j].Key })
	return wangge.StatsOf("", total), groups, nil
}
