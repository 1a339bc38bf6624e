package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/wangge/wangge"
)

const unitCols = "id, code, parent_code, level, name_zh, name_en, type, households, population, min_lon, min_lat, max_lon, max_lat, version, valid_from, valid_to"

func scanUnit(sc scanner, withBoundary bool) (*wangge.Unit, error) {
	var (
		u                wangge.Unit
		parent, boundary sql.NullString
		x0, y0, x1, y1   sql.NullFloat64
		validTo          sql.NullTime
	)
	dst := []any{&u.ID, &u.Code, &parent, &u.Level, &u.NameZH, &u.NameEN, &u.Type, &u.Households, &u.Population,
		&x0, &y0, &x1, &y1, &u.Version, &u.ValidFrom, &validTo}
	if withBoundary {
		dst = append(dst, &boundary)
	}
	if err := sc.Scan(dst...); err != nil {
		return nil, err
	}
	u.ParentCode, u.Boundary = parent.String, boundary.String
	if x0.Valid {
		u.BBox = &[4]float64{x0.Float64, y0.Float64, x1.Float64, y1.Float64}
	}
	u.ValidFrom = u.ValidFrom.UTC()
	if validTo.Valid {
		t := validTo.Time.UTC()
		u.ValidTo = &t
	}
	return &u, nil
}

func unitArgs(u *wangge.Unit, dst []any) []any {
	var x0, y0, x1, y1, boundary, parent any
	if u.BBox != nil {
		x0, y0, x1, y1 = u.BBox[0], u.BBox[1], u.BBox[2], u.BBox[3]
	}
	if u.Boundary != "" {
		boundary = u.Boundary
	}
	if u.ParentCode != "" {
		parent = u.ParentCode
	}
	return append(dst, u.Code, parent, string(u.Level), u.NameZH, u.NameEN, string(u.Type), u.Households, u.Population,
		boundary, x0, y0, x1, y1, u.Version, u.ValidFrom.UTC())
}

var unitInsertCols = []string{"code", "parent_code", "level", "name_zh", "name_en", "type", "households", "population",
	"boundary", "min_lon", "min_lat", "max_lon", "max_lat", "version", "valid_from"}

// currentUnit reads the current version of a unit, unscoped, inside tx.
func (tx *Tx) currentUnit(ctx context.Context, code string) (*wangge.Unit, error) {
	u, err := scanUnit(tx.queryRow(ctx, "SELECT "+unitCols+" FROM units WHERE code = ? AND valid_to IS NULL", code), false)
	return u, notFound(err, "unit "+code)
}

// CreateUnits validates and inserts units in one transaction: all or
// nothing. Parents may be in the database or earlier in the batch; codes must
// be new. Boundaries (GeoJSON, WGS84) and BBoxes are checked by the caller.
func (db *DB) CreateUnits(ctx context.Context, units []wangge.Unit) error {
	defer db.changed("units")
	if !wangge.ScopeFromContext(ctx).All {
		return wangge.Errorf(wangge.EFORBIDDEN, "only an administrator may change the territory")
	}
	return db.Transact(ctx, func(tx *Tx) error { return tx.createUnits(ctx, units) })
}

func (tx *Tx) createUnits(ctx context.Context, units []wangge.Unit) error {
	now := tx.db.Now()
	batch := make(map[string]*wangge.Unit, len(units))
	// Load the parents that are not in the batch with one query per chunk.
	need := map[string]bool{}
	for i := range units {
		batch[units[i].Code] = &units[i]
	}
	for i := range units {
		if p := units[i].ParentCode; p != "" && batch[p] == nil {
			need[p] = true
		}
	}
	parents, err := tx.unitsByCode(ctx, need)
	if err != nil {
		return err
	}
	versions, err := tx.lastVersions(ctx, units)
	if err != nil {
		return err
	}
	seen := make(map[string]int, len(units))
	for i := range units {
		u := &units[i]
		parent := batch[u.ParentCode]
		if parent == nil {
			parent = parents[u.ParentCode]
		}
		if u.ParentCode == "" {
			parent = nil
		}
		if err := u.Validate(parent); err != nil {
			return prefixFields(err, fmt.Sprintf("units[%d].", i))
		}
		if j, dup := seen[u.Code]; dup {
			return wangge.FieldError(fmt.Sprintf("units[%d].code", i), fmt.Sprintf("duplicate of units[%d]", j))
		}
		seen[u.Code] = i
		// A code that existed before (retired in a split or merge) continues
		// its version history.
		u.Version = versions[u.Code] + 1
		if u.ValidFrom.IsZero() {
			u.ValidFrom = now
		}
	}
	err = tx.withIndexesDeferred(ctx, "units", func() error {
		return tx.bulkInsert(ctx, "units", unitInsertCols, len(units), func(i int, dst []any) []any { return unitArgs(&units[i], dst) })
	})
	if isUniqueViolation(err) {
		return wangge.Errorf(wangge.ECONFLICT, "a unit with one of these codes already exists")
	}
	return err
}

// lastVersions returns the highest version of each code of the batch that
// has a history. An empty table, the case of a first import, costs one query.
func (tx *Tx) lastVersions(ctx context.Context, units []wangge.Unit) (map[string]int, error) {
	out := map[string]int{}
	var nonEmpty int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM units LIMIT 1) t").Scan(&nonEmpty); err != nil || nonEmpty == 0 {
		return out, err
	}
	for start := 0; start < len(units); start += 500 {
		chunk := units[start:min(start+500, len(units))]
		args := make([]any, len(chunk))
		for i := range chunk {
			args[i] = chunk[i].Code
		}
		rows, err := tx.query(ctx, "SELECT code, MAX(version) FROM units WHERE code IN ("+
			strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")+") GROUP BY code", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var code string
			var v int
			if err := rows.Scan(&code, &v); err != nil {
				rows.Close()
				return nil, err
			}
			out[code] = v
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unitsByCode loads the current versions of the given codes.
func (tx *Tx) unitsByCode(ctx context.Context, codes map[string]bool) (map[string]*wangge.Unit, error) {
	out := make(map[string]*wangge.Unit, len(codes))
	list := make([]any, 0, len(codes))
	for c := range codes {
		list = append(list, c)
	}
	for start := 0; start < len(list); start += 500 {
		chunk := list[start:min(start+500, len(list))]
		rows, err := tx.query(ctx, "SELECT "+unitCols+" FROM units WHERE valid_to IS NULL AND code IN ("+
			strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")+")", chunk...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			u, err := scanUnit(rows, false)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[u.Code] = u
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func prefixFields(err error, prefix string) error { return wangge.PrefixFields(err, prefix, false) }

// Unit returns the current version of a unit in the caller's scope, with its
// boundary.
func (db *DB) Unit(ctx context.Context, code string) (*wangge.Unit, error) {
	var w where
	w.add("code = ?", code)
	w.add("valid_to IS NULL")
	sp, args := scopeWhere(wangge.ScopeFromContext(ctx), "code")
	w.add(sp, args...)
	u, err := scanUnit(db.read().queryRow(ctx, "SELECT "+unitCols+", boundary FROM units"+w.String(), w.args...), true)
	return u, notFound(err, "unit "+code)
}

// UnitVersions returns every version of a unit in the caller's scope, oldest
// first.
func (db *DB) UnitVersions(ctx context.Context, code string) ([]*wangge.Unit, error) {
	sp, args := scopeWhere(wangge.ScopeFromContext(ctx), "code")
	rows, err := db.read().query(ctx, "SELECT "+unitCols+", boundary FROM units WHERE code = ? AND "+sp+" ORDER BY version",
		append([]any{code}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wangge.Unit
	for rows.Next() {
		u, err := scanUnit(rows, true)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, wangge.Errorf(wangge.ENOTFOUND, "unit %s not found", code)
	}
	return out, nil
}

// FindUnits lists units in the caller's scope, ordered by code, without
// boundaries, and the total that match.
func (db *DB) FindUnits(ctx context.Context, f wangge.UnitFilter) ([]*wangge.Unit, int, error) {
	var w where
	if f.AsOf != nil {
		w.add("valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)", f.AsOf.UTC(), f.AsOf.UTC())
	} else {
		w.add("valid_to IS NULL")
	}
	if f.Level != "" {
		w.add("level = ?", string(f.Level))
	}
	if f.Parent != "" {
		w.add("parent_code = ?", f.Parent)
	}
	// With a box, SQLite is kept off the indexes by code (unary +): a
	// subtree is most of a level, and a walk of it reads every unit's row
	// (a province's grids: a second), while units_bbox checks the box
	// within the index.
	code := "code"
	if f.BBox != nil && db.dialect == SQLite {
		code = "+code"
	}
	if f.Under != "" {
		w.add(code+" >= ? AND "+code+" < ?", f.Under, wangge.CodeUpperBound(f.Under))
	}
	if b := f.BBox; b != nil {
		w.add("min_lon <= ? AND max_lon >= ? AND min_lat <= ? AND max_lat >= ?", b[2], b[0], b[3], b[1])
	}
	if f.Q != "" {
		w.add("name_zh LIKE ? ESCAPE '\\'", "%"+escapeLike(f.Q)+"%")
	}
	sp, args := scopeWhere(wangge.ScopeFromContext(ctx), code)
	w.add(sp, args...)
	var total int
	if err := db.read().queryRow(ctx, "SELECT COUNT(*) FROM units"+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count units: %w", err)
	}
	limit, offset := wangge.Page(f.Limit, f.Offset, 100, 1000)
	cols := unitCols
	if f.WithBoundary {
		cols += ", boundary"
	}
	rows, err := db.read().query(ctx, "SELECT "+cols+" FROM units"+w.String()+" ORDER BY code, version LIMIT ? OFFSET ?",
		append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("find units: %w", err)
	}
	defer rows.Close()
	out := []*wangge.Unit{}
	for rows.Next() {
		u, err := scanUnit(rows, f.WithBoundary)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// escapeLike makes a user's %, _ and \ match literally in a LIKE pattern
// written with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// UnitRevision is a change to a unit that opens a new version.
type UnitRevision struct {
	NameZH, NameEN *string
	Type           *wangge.UnitType
	Households     *int
	Population     *int
	Boundary       *string // GeoJSON, checked by the caller
	BBox           *[4]float64
}

// ReviseUnit closes the current version of a unit and opens the next one
// with the changes applied: records made under the old version keep it.
func (db *DB) ReviseUnit(ctx context.Context, code string, r UnitRevision) (*wangge.Unit, error) {
	defer db.changed("units")
	if !wangge.ScopeFromContext(ctx).All {
		return nil, wangge.Errorf(wangge.EFORBIDDEN, "only an administrator may change the territory")
	}
	var out *wangge.Unit
	err := db.Transact(ctx, func(tx *Tx) error {
		u, err := scanUnit(tx.queryRow(ctx, "SELECT "+unitCols+", boundary FROM units WHERE code = ? AND valid_to IS NULL", code), true)
		if err != nil {
			return notFound(err, "unit "+code)
		}
		if r.NameZH != nil {
			u.NameZH = *r.NameZH
		}
		if r.NameEN != nil {
			u.NameEN = *r.NameEN
		}
		if r.Type != nil {
			u.Type = *r.Type
		}
		if r.Households != nil {
			u.Households = *r.Households
		}
		if r.Population != nil {
			u.Population = *r.Population
		}
		if r.Boundary != nil {
			u.Boundary, u.BBox = *r.Boundary, r.BBox
		}
		var parent *wangge.Unit
		if u.ParentCode != "" {
			if parent, err = tx.currentUnit(ctx, u.ParentCode); err != nil {
				return err
			}
		}
		if err := u.Validate(parent); err != nil {
			return err
		}
		now := tx.db.Now()
		if _, err := tx.exec(ctx, "UPDATE units SET valid_to = ? WHERE id = ?", now, u.ID); err != nil {
			return err
		}
		u.Version++
		u.ValidFrom = now
		u.ID, err = tx.insert(ctx, "INSERT INTO units ("+strings.Join(unitInsertCols, ", ")+") VALUES ("+
			strings.TrimSuffix(strings.Repeat("?, ", len(unitInsertCols)), ", ")+")", unitArgs(u, nil)...)
		out = u
		return err
	})
	return out, err
}

// RetireUnit closes the current version of a unit and of its whole subtree
// (the first step of a merge or a split); their history stays.
func (db *DB) RetireUnit(ctx context.Context, code string) (int, error) {
	defer db.changed("units")
	if !wangge.ScopeFromContext(ctx).All {
		return 0, wangge.Errorf(wangge.EFORBIDDEN, "only an administrator may change the territory")
	}
	var n int64
	err := db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.currentUnit(ctx, code); err != nil {
			return err
		}
		res, err := tx.exec(ctx, "UPDATE units SET valid_to = ? WHERE valid_to IS NULL AND code >= ? AND code < ?",
			tx.db.Now(), code, wangge.CodeUpperBound(code))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// UnitShape is what the point index needs of a unit.
type UnitShape struct {
	ID             int64
	Code           string
	Level          wangge.Level
	NameZH, NameEN string
	Boundary       string
}

// UnitsSignature changes whenever a unit is created, revised or retired:
// every change inserts a row (a new id) or closes one (fewer current rows).
func (db *DB) UnitsSignature(ctx context.Context) (string, error) {
	var maxID, current int64
	err := db.read().queryRow(ctx, "SELECT COALESCE(MAX(id), 0), (SELECT COUNT(*) FROM units WHERE valid_to IS NULL) FROM units").Scan(&maxID, &current)
	return fmt.Sprintf("%d/%d", maxID, current), err
}

// ShapeFilter selects the shapes CurrentShapes streams: codes in [From,
// To), either end open when empty, and of the levels given (any when none).
type ShapeFilter struct {
	From, To string
	Levels   []wangge.Level
}

// CurrentShapes streams the current units that have a boundary, in code
// order, for building the in-memory point index. It is not scoped: the
// index serves everybody.
func (db *DB) CurrentShapes(ctx context.Context, f ShapeFilter, fn func(UnitShape) error) error {
	q := "SELECT id, code, level, name_zh, name_en, boundary FROM units WHERE valid_to IS NULL AND boundary IS NOT NULL"
	var args []any
	if f.From != "" {
		q += " AND code >= ?"
		args = append(args, f.From)
	}
	if f.To != "" {
		q += " AND code < ?"
		args = append(args, f.To)
	}
	if len(f.Levels) > 0 {
		q += " AND level IN (?" + strings.Repeat(", ?", len(f.Levels)-1) + ")"
		for _, l := range f.Levels {
			args = append(args, string(l))
		}
	}
	rows, err := db.read().query(ctx, q+" ORDER BY code", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s UnitShape
		if err := rows.Scan(&s.ID, &s.Code, &s.Level, &s.NameZH, &s.NameEN, &s.Boundary); err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CurrentUnitKeys streams the id, code and level of every current unit
// that has a boundary, in code order: what CurrentShapes would stream,
// without the boundaries, so that a locator can tell which parts of the
// tree changed for a fraction of the cost of reading them.
func (db *DB) CurrentUnitKeys(ctx context.Context, fn func(id int64, code string, level wangge.Level) error) error {
	rows, err := db.read().query(ctx, "SELECT id, code, level FROM units WHERE valid_to IS NULL AND boundary IS NOT NULL ORDER BY code")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		var level wangge.Level
		if err := rows.Scan(&id, &code, &level); err != nil {
			return err
		}
		if err := fn(id, code, level); err != nil {
			return err
		}
	}
	return rows.Err()
}

// UnitsByID returns units by id, any version, unscoped (for the chain of a
// located point, which is public geography).
func (db *DB) UnitsByID(ctx context.Context, ids []int64) ([]*wangge.Unit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.read().query(ctx, "SELECT "+unitCols+" FROM units WHERE id IN ("+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+") ORDER BY code", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wangge.Unit
	for rows.Next() {
		u, err := scanUnit(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UnitAncestors returns the current ancestors of a code, top first,
// unscoped: the names of the units above a user's own are not secret.
func (db *DB) UnitAncestors(ctx context.Context, code string) ([]*wangge.Unit, error) {
	var out []*wangge.Unit
	for code != "" {
		u, err := scanUnit(db.read().queryRow(ctx, "SELECT "+unitCols+" FROM units WHERE code = ? AND valid_to IS NULL", code), false)
		if err != nil {
			return nil, notFound(err, "unit "+code)
		}
		out = append([]*wangge.Unit{u}, out...)
		code = u.ParentCode
		if len(out) > len(wangge.Levels)+2 {
			break // a cycle cannot happen (codes extend parents) but never loop forever
		}
	}
	return out, nil
}

// NewCodes returns the units of the list whose codes have no current unit.
func (db *DB) NewCodes(ctx context.Context, units []wangge.Unit) ([]wangge.Unit, error) {
	var existing int
	if err := db.read().queryRow(ctx, "SELECT COUNT(*) FROM units WHERE valid_to IS NULL").Scan(&existing); err != nil || existing == 0 {
		return units, err
	}
	have := make(map[string]bool, existing)
	rows, err := db.read().query(ctx, "SELECT code FROM units WHERE valid_to IS NULL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		have[c] = true
	}
	out := make([]wangge.Unit, 0, len(units))
	for _, u := range units {
		if !have[u.Code] {
			out = append(out, u)
		}
	}
	return out, rows.Err()
}

// SetBoundaries gives existing units new boundaries (and, where given,
// household and population counts) in one transaction: each changed unit
// gets a new version, so records made under the old outline keep it. It is
// the import path for outlines of units already created from code tables.
func (db *DB) SetBoundaries(ctx context.Context, units []wangge.Unit) (int, error) {
	if err := requireAdmin(ctx, "change the territory"); err != nil {
		return 0, err
	}
	err := db.Transact(ctx, func(tx *Tx) error {
		now := db.Now()
		for i := range units {
			in := &units[i]
			cur, err := scanUnit(tx.queryRow(ctx, "SELECT "+unitCols+", boundary FROM units WHERE code = ? AND valid_to IS NULL", in.Code), true)
			if err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return wangge.FieldError(fmt.Sprintf("units[%d].code", i), "no such unit "+in.Code)
				}
				return err
			}
			if in.Level.Valid() && in.Level != cur.Level {
				return wangge.FieldError(fmt.Sprintf("units[%d].level", i), fmt.Sprintf("unit %s is a %s, not a %s", in.Code, cur.Level, in.Level))
			}
			cur.Boundary, cur.BBox = in.Boundary, in.BBox
			if in.Households > 0 {
				cur.Households = in.Households
			}
			if in.Population > 0 {
				cur.Population = in.Population
			}
			if _, err := tx.exec(ctx, "UPDATE units SET valid_to = ? WHERE id = ?", now, cur.ID); err != nil {
				return err
			}
			cur.Version++
			cur.ValidFrom = now
			if _, err := tx.exec(ctx, "INSERT INTO units ("+strings.Join(unitInsertCols, ", ")+") VALUES ("+
				strings.TrimSuffix(strings.Repeat("?, ", len(unitInsertCols)), ", ")+")", unitArgs(cur, nil)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(units), nil
}
