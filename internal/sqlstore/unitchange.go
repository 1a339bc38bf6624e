package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

// Splits and merges. Both run in one transaction that retires the old units,
// creates their successors, gives every current descendant a new code under
// the unit that now contains it, relocates the open cases and carries the
// users' assignments, and records the change in unit_changes.
//
// Why descendants are recoded rather than re-parented under their old
// codes: a unit's code extends its parent's, and everything that decides
// who sees what (scopes, the statistics' subtree sums, the case lists) is a
// prefix range over codes. A micro-grid left with its old code under a new
// grid would fall outside the new grid's range, so the new grid's workers
// would not see it. So each moved descendant's current version is closed
// and a version under a new code opens (its suffix kept where it is free),
// and UnitChange.Moves records old → new. The consequences:
//   - records filed before the change (closed cases, visits) keep the code
//     they were filed under, as they do after a revision;
//   - the registry (buildings, households, people) follows its ground, as
//     open cases do: a building goes to the part that contains its point,
//     a household with its building, a person with the household;
//   - the statistics of the common parent and everything above are
//     unchanged, because the parts of a split and the units of a merge are
//     siblings under one parent, so old and new codes lie in its range;
//   - the statistics of a new unit start with the open cases moved into it
//     (each moves its rollup from the old code to the new one) and nothing
//     closed before the change; the old codes keep their history and can
//     still be asked for;
//   - assignments follow the units: whoever covered a retired unit covers
//     its successor (after a split, every part, which is the same ground);
//     departments, routing rules and calendars naming a retired code are
//     left alone, since they are normally set at county level.

// Tolerances of the coverage check of a split. Boundaries drawn by hand or
// converted from GCJ-02 do not meet exactly: a vertex within edgeTolerance
// metres of the old outline counts as on it, and the parts' total area may
// differ from the old unit's by areaTolerance (relative).
const (
	areaTolerance = 0.01
	edgeTolerance = 5.0
)

// UnitChangeOptions are the choices common to splits and merges.
type UnitChangeOptions struct {
	Note string
	// DryRun checks and plans the change inside a transaction that is then
	// rolled back: the answer says what would happen.
	DryRun bool
}

var errDryRun = errors.New("dry run")

// SplitUnit replaces a unit by parts under the same parent (administrators).
// Each part needs a name and a boundary; its code, when empty, is the next
// free one among the siblings, and its household and population counts,
// when zero, are the old unit's shared by area. The parts must lie inside
// the old boundary and cover it: the sum of their areas is the old area
// within 1 %, every vertex is inside it (or within 5 m of its outline), and
// no part's vertex or centroid lies inside another part. Each current child
// moves to the part that contains its centroid.
func (db *DB) SplitUnit(ctx context.Context, code string, parts []wangge.Unit, opt UnitChangeOptions) (*wangge.UnitChange, error) {
	return db.changeUnits(ctx, opt, func(tx *Tx) (*wangge.UnitChange, error) { return tx.splitUnit(ctx, code, parts, opt) })
}

// MergeUnits replaces sibling units by one unit (administrators). Its
// boundary is the MultiPolygon of the parts' polygons, its counts their sums
// unless into gives them, its code into.Code (a new code, or one of the
// merged units' own, whose history it continues) or else the next free one
// among the siblings. The children of every part move under it.
func (db *DB) MergeUnits(ctx context.Context, codes []string, into wangge.Unit, opt UnitChangeOptions) (*wangge.UnitChange, error) {
	return db.changeUnits(ctx, opt, func(tx *Tx) (*wangge.UnitChange, error) { return tx.mergeUnits(ctx, codes, into, opt) })
}

// changeUnits runs a split or merge (administrators) in one transaction,
// rolled back after planning for a dry run.
func (db *DB) changeUnits(ctx context.Context, opt UnitChangeOptions, change func(tx *Tx) (*wangge.UnitChange, error)) (*wangge.UnitChange, error) {
	defer db.changed("units")
	if err := requireAdmin(ctx, "change the territory"); err != nil {
		return nil, err
	}
	var out *wangge.UnitChange
	err := db.Transact(ctx, func(tx *Tx) error {
		ch, err := change(tx)
		out = ch
		if err == nil && opt.DryRun {
			return errDryRun
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		out.ID, err = 0, nil
	}
	return out, err
}

// unitWithBoundary reads the current version of a unit with its boundary;
// a code that exists only in retired versions is reported as retired.
func (tx *Tx) unitWithBoundary(ctx context.Context, field, code string, notFoundIsInvalid bool) (*wangge.Unit, error) {
	u, err := scanUnit(tx.queryRow(ctx, "SELECT "+unitCols+", boundary FROM units WHERE code = ? AND valid_to IS NULL", code), true)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var retired sql.NullTime
	if err := tx.queryRow(ctx, "SELECT valid_to FROM units WHERE code = ? ORDER BY version DESC LIMIT 1", code).Scan(&retired); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if retired.Valid {
		return nil, wangge.FieldError(field, fmt.Sprintf("unit %s was retired on %s", code, retired.Time.UTC().Format("2006-01-02")))
	}
	if notFoundIsInvalid {
		return nil, wangge.FieldError(field, "no such unit "+code)
	}
	return nil, wangge.Errorf(wangge.ENOTFOUND, "unit %s not found", code)
}

func parseShape(field, boundary string) (geo.MultiPolygon, error) {
	mp, err := geo.ParseGeometry([]byte(boundary))
	if err != nil {
		return nil, wangge.PrefixFields(err, field+".", false)
	}
	return mp, nil
}

func (tx *Tx) splitUnit(ctx context.Context, code string, parts []wangge.Unit, opt UnitChangeOptions) (*wangge.UnitChange, error) {
	old, err := tx.unitWithBoundary(ctx, "code", code, false)
	if err != nil {
		return nil, err
	}
	if old.Boundary == "" {
		return nil, wangge.FieldError("code", "unit "+code+" has no boundary to split")
	}
	if len(parts) < 2 {
		return nil, wangge.FieldError("parts", "at least two parts are needed")
	}
	oldShape, err := parseShape("code", old.Boundary)
	if err != nil {
		return nil, err
	}
	oldArea := oldShape.Area()
	shapes := make([]geo.MultiPolygon, len(parts))
	cov := &wangge.Coverage{OldArea: math.Round(oldArea), Parts: make([]float64, len(parts))}
	for i := range parts {
		field := fmt.Sprintf("parts[%d].boundary", i)
		if parts[i].Boundary == "" {
			return nil, wangge.FieldError(field, "required")
		}
		if shapes[i], err = parseShape(field, parts[i].Boundary); err != nil {
			return nil, err
		}
		a := shapes[i].Area()
		cov.Parts[i] = math.Round(a)
		cov.PartsArea += a
		if d, p := outside(shapes[i], oldShape); d > edgeTolerance {
			return nil, wangge.FieldError(field, fmt.Sprintf("lies outside the unit being split (the point %.6f,%.6f is %.0f m outside)", p.X, p.Y, d))
		}
		if c := shapes[i].Centroid(); !oldShape.Contains(c) {
			return nil, wangge.FieldError(field, "lies outside the unit being split (its centre is outside)")
		}
	}
	for j := range shapes {
		for i := range j {
			if overlaps(shapes[i], shapes[j]) {
				return nil, wangge.FieldError(fmt.Sprintf("parts[%d].boundary", j), fmt.Sprintf("overlaps parts[%d]", i))
			}
		}
	}
	cov.Ratio = math.Round(cov.PartsArea/oldArea*10000) / 10000
	cov.PartsArea = math.Round(cov.PartsArea)
	switch {
	case cov.Ratio < 1-areaTolerance:
		return nil, wangge.FieldError("parts", fmt.Sprintf("leave a gap: they cover %.1f %% of the unit's area", cov.Ratio*100))
	case cov.Ratio > 1+areaTolerance:
		return nil, wangge.FieldError("parts", fmt.Sprintf("overlap: their areas add up to %.1f %% of the unit's area", cov.Ratio*100))
	}

	// The parts: same parent, level and type as the old unit.
	var parent *wangge.Unit
	if old.ParentCode != "" {
		if parent, err = tx.currentUnit(ctx, old.ParentCode); err != nil {
			return nil, err
		}
	}
	codes, err := tx.siblingCodes(ctx, old, parent, parts, "parts", []string{old.Code})
	if err != nil {
		return nil, err
	}
	newUnits := make([]wangge.Unit, len(parts))
	for i, p := range parts {
		u := wangge.Unit{Code: codes[i], ParentCode: old.ParentCode, Level: old.Level, NameZH: p.NameZH, NameEN: p.NameEN,
			Type: p.Type, Households: p.Households, Population: p.Population, Boundary: p.Boundary, BBox: p.BBox}
		if u.Type == "" {
			u.Type = old.Type
		}
		share := cov.Parts[i] / math.Max(cov.OldArea, 1)
		if u.Households == 0 {
			u.Households = int(math.Round(float64(old.Households) * share))
		}
		if u.Population == 0 {
			u.Population = int(math.Round(float64(old.Population) * share))
		}
		if err := u.Validate(parent); err != nil {
			return nil, wangge.PrefixFields(err, fmt.Sprintf("parts[%d].", i), false)
		}
		newUnits[i] = u
	}

	// Each child goes to the part containing its centre.
	place := func(child *wangge.Unit) (string, error) {
		if child.Boundary == "" {
			return "", wangge.FieldError("parts", fmt.Sprintf("the child unit %s has no boundary, so it cannot be placed in a part: give it one first", child.Code))
		}
		shape, err := parseShape("parts", child.Boundary)
		if err != nil {
			return "", err
		}
		c := shape.Centroid()
		best, bestD := 0, math.Inf(1)
		for i, s := range shapes {
			if s.Contains(c) {
				return newUnits[i].Code, nil
			}
			if d := geo.Distance(c, s.Centroid()); d < bestD {
				best, bestD = i, d
			}
		}
		return newUnits[best].Code, nil // a concave child whose centre is in no part
	}
	ch := &wangge.UnitChange{Kind: wangge.UnitSplit, From: []string{old.Code}, To: codes, Coverage: cov, Note: opt.Note, DryRun: opt.DryRun}
	succ := func(p geo.Point, located bool) string {
		if located {
			for i, s := range shapes {
				if s.Contains(p) {
					return newUnits[i].Code
				}
			}
		}
		return newUnits[0].Code // placed by code, not by point: the first part
	}
	return ch, tx.applyChange(ctx, ch, []*wangge.Unit{old}, newUnits, place, succ)
}

func (tx *Tx) mergeUnits(ctx context.Context, codes []string, into wangge.Unit, opt UnitChangeOptions) (*wangge.UnitChange, error) {
	if len(codes) < 2 {
		return nil, wangge.FieldError("codes", "at least two units are needed")
	}
	olds := make([]*wangge.Unit, len(codes))
	seen := map[string]int{}
	for i, c := range codes {
		field := fmt.Sprintf("codes[%d]", i)
		if j, dup := seen[c]; dup {
			return nil, wangge.FieldError(field, fmt.Sprintf("duplicate of codes[%d]", j))
		}
		seen[c] = i
		u, err := tx.unitWithBoundary(ctx, field, c, true)
		if err != nil {
			return nil, err
		}
		if i > 0 && (u.ParentCode != olds[0].ParentCode || u.Level != olds[0].Level) {
			return nil, wangge.FieldError(field, fmt.Sprintf("unit %s is not a sibling of %s (parent %q, not %q)", c, olds[0].Code, u.ParentCode, olds[0].ParentCode))
		}
		olds[i] = u
	}
	first := olds[0]
	var parent *wangge.Unit
	var err error
	if first.ParentCode != "" {
		if parent, err = tx.currentUnit(ctx, first.ParentCode); err != nil {
			return nil, err
		}
	}
	// The boundary: every part's polygons, if the parts have outlines.
	var mp geo.MultiPolygon
	withShape := 0
	for _, u := range olds {
		if u.Boundary != "" {
			withShape++
		}
	}
	for i, u := range olds {
		if withShape > 0 && u.Boundary == "" {
			return nil, wangge.FieldError(fmt.Sprintf("codes[%d]", i), "unit "+u.Code+" has no boundary, unlike the others: give it one first")
		}
		if u.Boundary != "" {
			s, err := parseShape(fmt.Sprintf("codes[%d]", i), u.Boundary)
			if err != nil {
				return nil, err
			}
			mp = append(mp, s...)
		}
	}
	m := wangge.Unit{ParentCode: first.ParentCode, Level: first.Level, NameZH: into.NameZH, NameEN: into.NameEN, Type: into.Type,
		Households: into.Households, Population: into.Population}
	sameType := true
	for _, u := range olds {
		if into.Households == 0 {
			m.Households += u.Households
		}
		if into.Population == 0 {
			m.Population += u.Population
		}
		sameType = sameType && u.Type == first.Type
	}
	if m.Type == "" && sameType {
		m.Type = first.Type
	}
	if len(mp) > 0 {
		m.Boundary = string(mp.MarshalGeoJSON())
		b := mp.Bounds()
		m.BBox = &[4]float64{b.MinX, b.MinY, b.MaxX, b.MaxY}
	}
	got, err := tx.siblingCodes(ctx, first, parent, []wangge.Unit{{Code: into.Code}}, "", codes)
	if err != nil {
		return nil, err
	}
	m.Code = got[0]
	if err := m.Validate(parent); err != nil {
		return nil, err
	}
	ch := &wangge.UnitChange{Kind: wangge.UnitMerge, From: append([]string(nil), codes...), To: []string{m.Code}, Note: opt.Note, DryRun: opt.DryRun}
	place := func(*wangge.Unit) (string, error) { return m.Code, nil }
	succ := func(geo.Point, bool) string { return m.Code }
	return ch, tx.applyChange(ctx, ch, olds, []wangge.Unit{m}, place, succ)
}

// siblingCodes returns the codes of new siblings of like: the ones given,
// checked, or the next free ones at like's code length. field names the
// list in errors ("parts" gives parts[i].code; "" gives code). reusable are
// codes being retired by this change, which a new unit may take over.
func (tx *Tx) siblingCodes(ctx context.Context, like, parent *wangge.Unit, units []wangge.Unit, field string, reusable []string) ([]string, error) {
	fieldOf := func(i int) string {
		if field == "" {
			return "code"
		}
		return fmt.Sprintf("%s[%d].code", field, i)
	}
	out := make([]string, len(units))
	given := map[string]int{}
	need := 0
	for i, u := range units {
		if u.Code == "" {
			need++
			continue
		}
		if j, dup := given[u.Code]; dup {
			return nil, wangge.FieldError(fieldOf(i), fmt.Sprintf("duplicate of %s", fieldOf(j)))
		}
		given[u.Code] = i
		out[i] = u.Code
		if parent != nil && (!strings.HasPrefix(u.Code, parent.Code) || len(u.Code) == len(parent.Code)) {
			return nil, wangge.FieldError(fieldOf(i), "must extend the parent code "+parent.Code)
		}
		reused := false
		for _, r := range reusable {
			reused = reused || r == u.Code
		}
		if !reused {
			if _, err := tx.currentUnit(ctx, u.Code); err == nil {
				return nil, wangge.FieldError(fieldOf(i), "a unit with code "+u.Code+" already exists")
			} else if wangge.ErrorCode(err) != wangge.ENOTFOUND {
				return nil, err
			}
		}
	}
	if need == 0 {
		return out, nil
	}
	if parent == nil {
		return nil, wangge.FieldError(fieldOf(0), "required: a unit at the top of the tree has no siblings to number after")
	}
	// The next numbers after every code ever used at this length under the
	// parent, retired ones included, so that an old code is never handed to
	// a different unit.
	width := len(like.Code) - len(parent.Code)
	rows, err := tx.query(ctx, "SELECT DISTINCT code FROM units WHERE code >= ? AND code < ?", parent.Code, wangge.CodeUpperBound(parent.Code))
	if err != nil {
		return nil, err
	}
	next := 0
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		if len(c) == len(like.Code) {
			if n, err := strconv.Atoi(c[len(parent.Code):]); err == nil && n > next {
				next = n
			}
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for c := range given {
		if len(c) == len(like.Code) {
			if n, err := strconv.Atoi(c[len(parent.Code):]); err == nil && n > next {
				next = n
			}
		}
	}
	for i := range out {
		if out[i] != "" {
			continue
		}
		next++
		s := fmt.Sprintf("%0*d", width, next)
		if len(s) > width {
			return nil, wangge.FieldError(fieldOf(i), fmt.Sprintf("required: the %d-digit numbers under %s are used up", width, parent.Code))
		}
		out[i] = parent.Code + s
	}
	return out, nil
}

// applyChange writes a split or merge: it retires olds and their current
// descendants, creates the successors (made) and the recoded descendants
// (each direct child goes under place(child)), relocates the open cases
// filed under the retired codes and the registry (a retired unit's own rows
// go to succ of their WGS84 point, or of none), carries assignments and
// records the change. The new units are returned in
// ch.Units.
func (tx *Tx) applyChange(ctx context.Context, ch *wangge.UnitChange, olds []*wangge.Unit, made []wangge.Unit,
	place func(child *wangge.Unit) (string, error), succ func(p geo.Point, located bool) string) error {
	now := tx.db.Now()
	ch.At = now
	if me := wangge.UserFromContext(ctx); me != nil {
		ch.Actor = me.Username
		if me.ID > 0 {
			id := me.ID
			ch.ActorID = &id
		}
	}
	isOld := map[string]bool{}
	for _, u := range olds {
		isOld[u.Code] = true
	}
	// Descendants, parents before children (a prefix sorts first), those of
	// a unit whose code a successor takes over first, so that they keep
	// their codes and the others number after them.
	reused := map[string]bool{}
	for _, u := range made {
		reused[u.Code] = isOld[u.Code]
	}
	order := append([]*wangge.Unit(nil), olds...)
	sort.SliceStable(order, func(i, j int) bool { return reused[order[i].Code] && !reused[order[j].Code] })
	var desc []*wangge.Unit
	for _, u := range order {
		rows, err := tx.query(ctx, "SELECT "+unitCols+", boundary FROM units WHERE valid_to IS NULL AND code > ? AND code < ? ORDER BY code",
			u.Code, wangge.CodeUpperBound(u.Code))
		if err != nil {
			return err
		}
		for rows.Next() {
			d, err := scanUnit(rows, true)
			if err != nil {
				rows.Close()
				return err
			}
			desc = append(desc, d)
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	// New codes: a direct child keeps its suffix under its new parent unless
	// another child took it first (merges), then takes the next free number;
	// deeper descendants keep theirs under their recoded parent.
	newCode := map[string]string{}
	taken := map[string]bool{}
	nextFree := map[string]int{}
	var moved []wangge.Unit
	var retire []int64
	for _, u := range olds {
		retire = append(retire, u.ID)
	}
	for _, d := range desc {
		var np, nc string
		if isOld[d.ParentCode] {
			var err error
			if np, err = place(d); err != nil {
				return err
			}
			suffix := d.Code[len(d.ParentCode):]
			nc = np + suffix
			if taken[nc] {
				n := nextFree[np]
				for taken[nc] || n == 0 {
					n++
					nc = np + fmt.Sprintf("%0*d", len(suffix), n)
				}
				nextFree[np] = n
				if len(nc)-len(np) > len(suffix) {
					return wangge.FieldError("codes", fmt.Sprintf("the %d-digit numbers under %s are used up", len(suffix), np))
				}
			}
		} else {
			np = newCode[d.ParentCode]
			nc = np + d.Code[len(d.ParentCode):]
		}
		taken[nc] = true
		newCode[d.Code] = nc
		if nc == d.Code && np == d.ParentCode {
			continue // a merge into one of the merged units' own codes leaves its children alone
		}
		m := *d
		m.ID, m.Code, m.ParentCode, m.ValidFrom, m.ValidTo = 0, nc, np, now, nil
		moved = append(moved, m)
		retire = append(retire, d.ID)
		ch.Moves = append(ch.Moves, wangge.UnitMove{From: d.Code, To: nc, NameZH: d.NameZH, NameEN: d.NameEN})
	}
	if ch.Moves == nil {
		ch.Moves = []wangge.UnitMove{}
	}
	for start := 0; start < len(retire); start += 500 {
		chunk := retire[start:min(start+500, len(retire))]
		args := []any{now}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.exec(ctx, "UPDATE units SET valid_to = ? WHERE id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")+")", args...); err != nil {
			return err
		}
	}
	all := append(append([]wangge.Unit{}, made...), moved...)
	for i := range all {
		all[i].ValidFrom = now
	}
	if err := tx.createUnits(ctx, all); err != nil {
		return err
	}
	codes := map[string]bool{}
	for _, u := range all {
		codes[u.Code] = true
	}
	created, err := tx.unitsByCode(ctx, codes)
	if err != nil {
		return err
	}
	for i := range made {
		u := *created[made[i].Code]
		u.Boundary = made[i].Boundary
		ch.Units = append(ch.Units, &u)
	}

	// Open cases follow their unit.
	actor := ch.ActorID
	for _, u := range olds {
		rows, err := tx.query(ctx, "SELECT "+caseCols+" FROM cases c WHERE c.unit_code >= ? AND c.unit_code < ? AND c.status NOT IN ('closed', 'rated', 'rejected', 'merged') ORDER BY c.id",
			u.Code, wangge.CodeUpperBound(u.Code))
		if err != nil {
			return err
		}
		var open []*wangge.Case
		for rows.Next() {
			c, err := scanCase(rows)
			if err != nil {
				rows.Close()
				return err
			}
			open = append(open, c)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, c := range open {
			to := newCode[c.UnitCode]
			if c.UnitCode == u.Code {
				to = succ(geo.Point{X: c.Lon, Y: c.Lat}, c.Lon != 0 || c.Lat != 0)
			}
			if to == "" || to == c.UnitCode {
				continue
			}
			next := *c
			next.UnitCode, next.UnitID = to, created[to].ID
			next.Version, next.UpdatedAt = c.Version+1, now
			res, err := tx.exec(ctx, "UPDATE cases SET unit_id = ?, unit_code = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?",
				next.UnitID, next.UnitCode, next.Version, now, c.ID, c.Version)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return wangge.Errorf(wangge.ECONFLICT, "case %s changed at the same time: try again", c.Number)
			}
			ev := wangge.CaseEvent{CaseID: c.ID, At: now, ActorID: actor, Action: "relocate", From: c.Status, To: c.Status,
				Note: ch.Note, Data: map[string]any{"change": string(ch.Kind), "from_unit": c.UnitCode, "to_unit": to}}
			if err := tx.insertEvent(ctx, &ev); err != nil {
				return err
			}
			if err := tx.rollup(ctx, c, &next); err != nil {
				return err
			}
			ch.CasesMoved++
		}
	}

	if err := tx.moveRegistry(ctx, ch, olds, succ); err != nil {
		return err
	}

	// Assignments follow their unit; a split unit's go to every part.
	carry := func(from string, to []string) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM assignments WHERE unit_code = ?", from).Scan(&n); err != nil || n == 0 {
			return err
		}
		for _, t := range to {
			if t == from {
				continue
			}
			if _, err := tx.exec(ctx, "INSERT INTO assignments (user_id, unit_code) SELECT user_id, ? FROM assignments WHERE unit_code = ? ON CONFLICT DO NOTHING", t, from); err != nil {
				return err
			}
		}
		keep := false
		for _, t := range to {
			keep = keep || t == from
		}
		if !keep {
			if _, err := tx.exec(ctx, "DELETE FROM assignments WHERE unit_code = ?", from); err != nil {
				return err
			}
		}
		ch.AssignmentsMoved += n
		return nil
	}
	for _, u := range olds {
		if err := carry(u.Code, ch.To); err != nil {
			return err
		}
	}
	for _, mv := range ch.Moves {
		if err := carry(mv.From, []string{mv.To}); err != nil {
			return err
		}
	}
	return tx.recordChange(ctx, ch)
}

func (tx *Tx) recordChange(ctx context.Context, ch *wangge.UnitChange) error {
	from, _ := json.Marshal(ch.From)
	to, _ := json.Marshal(ch.To)
	moves, _ := json.Marshal(ch.Moves)
	detail, _ := json.Marshal(changeDetail{ch.CasesMoved, ch.AssignmentsMoved, ch.RegistryMoved, ch.Coverage})
	id, err := tx.insert(ctx, "INSERT INTO unit_changes (kind, from_codes, to_codes, moves, detail, actor_id, actor, at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		string(ch.Kind), string(from), string(to), string(moves), string(detail), idArg(ch.ActorID), ch.Actor, ch.At.UTC(), ch.Note)
	if err != nil {
		return err
	}
	ch.ID = id
	roles := map[[2]string]bool{}
	add := func(code, role string) { roles[[2]string{code, role}] = true }
	for _, c := range ch.From {
		add(c, "from")
	}
	for _, c := range ch.To {
		add(c, "to")
	}
	for _, m := range ch.Moves {
		add(m.From, "moved_from")
		add(m.To, "moved_to")
	}
	keys := make([][2]string, 0, len(roles))
	for k := range roles {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	return tx.bulkInsert(ctx, "unit_change_codes", []string{"change_id", "code", "role"}, len(keys), func(i int, dst []any) []any {
		return append(dst, id, keys[i][0], keys[i][1])
	})
}

type changeDetail struct {
	CasesMoved       int                   `json:"cases_moved"`
	AssignmentsMoved int                   `json:"assignments_moved"`
	RegistryMoved    wangge.RegistryCounts `json:"registry_moved"`
	Coverage         *wangge.Coverage      `json:"coverage,omitempty"`
}

// UnitChanges lists the splits and merges that touched a unit in the
// caller's scope, as predecessor, successor or moved descendant, oldest
// first.
func (db *DB) UnitChanges(ctx context.Context, code string) ([]*wangge.UnitChange, error) {
	sp, args := scopeWhere(wangge.ScopeFromContext(ctx), "code")
	var n int
	if err := db.read().queryRow(ctx, "SELECT COUNT(*) FROM units WHERE code = ? AND "+sp, append([]any{code}, args...)...).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, wangge.Errorf(wangge.ENOTFOUND, "unit %s not found", code)
	}
	rows, err := db.read().query(ctx, `SELECT id, kind, from_codes, to_codes, moves, detail, actor_id, actor, at, note FROM unit_changes
		WHERE id IN (SELECT change_id FROM unit_change_codes WHERE code = ?) ORDER BY at, id`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*wangge.UnitChange{}
	for rows.Next() {
		var (
			ch                      wangge.UnitChange
			from, to, moves, detail string
			actor                   sql.NullInt64
		)
		if err := rows.Scan(&ch.ID, &ch.Kind, &from, &to, &moves, &detail, &actor, &ch.Actor, &ch.At, &ch.Note); err != nil {
			return nil, err
		}
		ch.At = ch.At.UTC()
		ch.ActorID = nullID(actor)
		var d changeDetail
		for _, x := range []struct {
			s   string
			dst any
		}{{from, &ch.From}, {to, &ch.To}, {moves, &ch.Moves}, {detail, &d}} {
			if err := json.Unmarshal([]byte(x.s), x.dst); err != nil {
				return nil, fmt.Errorf("unit change %d: %w", ch.ID, err)
			}
		}
		ch.CasesMoved, ch.AssignmentsMoved, ch.RegistryMoved, ch.Coverage = d.CasesMoved, d.AssignmentsMoved, d.RegistryMoved, d.Coverage
		out = append(out, &ch)
	}
	return out, rows.Err()
}

// --- geometry of the coverage check ---

// metres returns a local equirectangular projection around p0: good to a
// fraction of a metre over a county.
func metres(p0 geo.Point) func(geo.Point) (float64, float64) {
	k := math.Pi / 180 * geo.EarthRadius
	c := math.Cos(p0.Y * math.Pi / 180)
	return func(p geo.Point) (float64, float64) { return (p.X - p0.X) * k * c, (p.Y - p0.Y) * k }
}

// edgeDistance is the distance in metres from p to the nearest edge of mp.
func edgeDistance(mp geo.MultiPolygon, p geo.Point) float64 {
	proj := metres(p)
	best := math.Inf(1)
	for _, pg := range mp {
		for _, r := range pg {
			for i := range r {
				ax, ay := proj(r[i])
				bx, by := proj(r[(i+1)%len(r)])
				dx, dy := bx-ax, by-ay
				t := 0.0
				if l := dx*dx + dy*dy; l > 0 {
					t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l))
				}
				best = math.Min(best, math.Hypot(ax+t*dx, ay+t*dy))
			}
		}
	}
	return best
}

// outside returns how far the vertex of part farthest outside whole is from
// whole's outline (0 if every vertex is inside), and that vertex.
func outside(part, whole geo.MultiPolygon) (float64, geo.Point) {
	worst, at := 0.0, geo.Point{}
	for _, pg := range part {
		for _, r := range pg {
			for _, p := range r {
				if whole.Contains(p) {
					continue
				}
				if d := edgeDistance(whole, p); d > worst {
					worst, at = d, p
				}
			}
		}
	}
	return worst, at
}

// overlaps reports whether a and b clearly overlap: a vertex or the centre
// of one lies inside the other, farther than edgeTolerance from its edge.
// Two shapes crossing like a plus sign without either's vertices inside the
// other escape it; the area check catches most of those.
func overlaps(a, b geo.MultiPolygon) bool {
	inside := func(p geo.Point, s geo.MultiPolygon) bool {
		return s.Contains(p) && edgeDistance(s, p) > edgeTolerance
	}
	for _, pair := range [][2]geo.MultiPolygon{{a, b}, {b, a}} {
		if inside(pair[0].Centroid(), pair[1]) {
			return true
		}
		for _, pg := range pair[0] {
			for _, r := range pg {
				for _, p := range r {
					if inside(p, pair[1]) {
						return true
					}
				}
			}
		}
	}
	return false
}

// moveRegistry moves the buildings, households and people of the retired
// units: those of a recoded descendant to its new code, those of a retired
// unit itself by their ground (succ): a building by its point, a household
// with its building, a person with the household. A building keeps its
// code, which is its name on the door plate, not a path in the tree.
func (tx *Tx) moveRegistry(ctx context.Context, ch *wangge.UnitChange, olds []*wangge.Unit, succ func(p geo.Point, located bool) string) error {
	n := &ch.RegistryMoved
	tables := []struct {
		name  string
		count *int
	}{{"buildings", &n.Buildings}, {"households", &n.Households}, {"persons", &n.Persons}}
	for _, mv := range ch.Moves {
		for _, t := range tables {
			res, err := tx.exec(ctx, "UPDATE "+t.name+" SET unit_code = ? WHERE unit_code = ?", mv.To, mv.From)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			*t.count += int(k)
		}
	}
	for _, u := range olds {
		var to [3]map[int64]placed
		for k, q := range []string{
			"SELECT id, lon, lat FROM buildings WHERE unit_code = ?",
			"SELECT id, building_id FROM households WHERE unit_code = ?",
			"SELECT id, household_id FROM persons WHERE unit_code = ?",
		} {
			rows, err := tx.query(ctx, q, u.Code)
			if err != nil {
				return err
			}
			to[k] = map[int64]placed{}
			for rows.Next() {
				var id int64
				var lon, lat sql.NullFloat64 // WGS84, as the API stores it; 0, 0 when none was given
				var parent sql.NullInt64
				var err error
				if k == 0 {
					err = rows.Scan(&id, &lon, &lat)
				} else {
					err = rows.Scan(&id, &parent)
				}
				if err != nil {
					rows.Close()
					return err
				}
				p := placed{code: succ(geo.Point{}, false)}
				switch {
				case k == 0 && (lon.Float64 != 0 || lat.Float64 != 0):
					p = placed{succ(geo.Point{X: lon.Float64, Y: lat.Float64}, true), true}
				case k > 0 && parent.Valid:
					if up, ok := to[k-1][parent.Int64]; ok && up.located {
						p = up
					}
				}
				to[k][id] = p
			}
			if err := rows.Close(); err != nil {
				return err
			}
			for id, p := range to[k] {
				if !p.located && ch.Kind == wangge.UnitSplit {
					n.Unplaced++
				}
				if p.code == u.Code {
					continue
				}
				if _, err := tx.exec(ctx, "UPDATE "+tables[k].name+" SET unit_code = ? WHERE id = ?", p.code, id); err != nil {
					return err
				}
				*tables[k].count++
			}
		}
	}
	return nil
}

// placed is where a registry row goes, and whether its own ground (or its
// building's) said so.
type placed struct {
	code    string
	located bool
}
