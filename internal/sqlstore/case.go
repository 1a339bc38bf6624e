package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wangge/wangge"
)

const caseCols = `c.id, c.number, c.status, c.suspended_from, c.level, c.unit_id, c.unit_code, c.category, c.kind, c.channel,
	c.title, c.description, c.address, c.lon, c.lat, c.crs, c.reporter_id, c.reporter_name, c.reporter_phone_masked,
	c.department_id, c.urgent, c.extension_pending, c.reworks, c.wrong_dispatches, c.escalations, c.rating,
	c.merged_into, c.duplicate_of, c.reported_at, c.updated_at, c.closed_at, c.step_started_at, c.step_limit_s,
	c.step_used_s, c.due_at, c.light, c.next_check_at, c.external_id, c.version, c.overdue`

func scanCase(sc scanner) (*wangge.Case, error) {
	var (
		c                           wangge.Case
		lon, lat                    sql.NullFloat64
		reporter, dept, merged, dup sql.NullInt64
		closed, due, next           sql.NullTime
		limitS, usedS               int64
	)
	err := sc.Scan(&c.ID, &c.Number, &c.Status, &c.SuspendedFrom, &c.Level, &c.UnitID, &c.UnitCode, &c.Category, &c.Kind, &c.Channel,
		&c.Title, &c.Description, &c.Address, &lon, &lat, &c.CRS, &reporter, &c.ReporterName, &c.ReporterPhone,
		&dept, &c.Urgent, &c.ExtensionPending, &c.Reworks, &c.WrongDispatches, &c.Escalations, &c.Rating,
		&merged, &dup, &c.ReportedAt, &c.UpdatedAt, &closed, &c.StepStartedAt, &limitS,
		&usedS, &due, &c.Light, &next, &c.ExternalID, &c.Version, &c.Overdue)
	if err != nil {
		return nil, err
	}
	c.Lon, c.Lat = lon.Float64, lat.Float64
	c.ReporterID, c.DepartmentID, c.MergedInto, c.DuplicateOf = nullID(reporter), nullID(dept), nullID(merged), nullID(dup)
	c.ClosedAt, c.DueAt, c.NextCheckAt = nullTime(closed), nullTime(due), nullTime(next)
	c.ReportedAt, c.UpdatedAt, c.StepStartedAt = c.ReportedAt.UTC(), c.UpdatedAt.UTC(), c.StepStartedAt.UTC()
	c.StepLimit, c.StepUsed = time.Duration(limitS)*time.Second, time.Duration(usedS)*time.Second
	return &c, nil
}

func nullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

func nullTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func idArg(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// caseScope restricts cases to what the context's user may see: cases in
// the units of their scope, cases dispatched to their department, and cases
// they reported themselves.
func caseScope(ctx context.Context) (string, []any) { return caseScopeOn(ctx, "c.unit_code") }

// caseScopeOn is caseScope with unitCol for the unit code column.
func caseScopeOn(ctx context.Context, unitCol string) (string, []any) {
	u := wangge.UserFromContext(ctx)
	if u == nil {
		return "1=0", nil
	}
	s := wangge.ScopeOf(u)
	if s.All {
		return "1=1", nil
	}
	pred, args := scopeWhere(s, unitCol)
	parts := []string{pred}
	if u.DepartmentID != nil {
		parts = append(parts, "c.department_id = ?")
		args = append(args, *u.DepartmentID)
	}
	if u.ID != 0 {
		parts = append(parts, "c.reporter_id = ?")
		args = append(args, u.ID)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// CreateCase stores a new case with its first timeline row and gives it its
// number. A case whose idempotency key was seen before is not stored again:
// the earlier case is returned and created is false. The caller has placed
// the case (unit, level, category, clock).
func (db *DB) CreateCase(ctx context.Context, c *wangge.Case, evs ...wangge.CaseEvent) (created bool, err error) {
	return db.CreateCaseChecked(ctx, c, nil, evs...)
}

// CreateCaseChecked is CreateCase with check run first in its transaction
// (not for a repeated idempotency key), where it may look at other cases
// and complete c and its timeline rows, such as marking a probable
// duplicate. An error from check files nothing.
func (db *DB) CreateCaseChecked(ctx context.Context, c *wangge.Case, check func(tx *Tx) error, evs ...wangge.CaseEvent) (created bool, err error) {
	if len(evs) == 0 {
		return false, fmt.Errorf("create case: no timeline row")
	}
	var preSeq int // PostgreSQL: see nextNumber
	if db.dialect == Postgres {
		county, err := db.countyOf(ctx, db.read(), c.UnitCode)
		if err != nil {
			return false, err
		}
		if preSeq, err = db.numbers.next(ctx, db, county, caseDay(c)); err != nil {
			return false, fmt.Errorf("case number: %w", err)
		}
	}
	err = db.Transact(ctx, func(tx *Tx) error {
		if c.IdempotencyKey != "" {
			var id int64
			err := tx.queryRow(ctx, "SELECT id FROM cases WHERE idempotency_key = ?", c.IdempotencyKey).Scan(&id)
			if err == nil {
				prev, err := scanCase(tx.queryRow(ctx, "SELECT "+caseCols+" FROM cases c WHERE c.id = ?", id))
				if err != nil {
					return err
				}
				*c = *prev
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		county, err := tx.countyOf(ctx, c.UnitCode)
		if err != nil {
			return err
		}
		day := caseDay(c)
		seq := preSeq
		if seq == 0 {
			if seq, err = tx.nextNumber(ctx, county, day); err != nil {
				return fmt.Errorf("case number: %w", err)
			}
		}
		c.Number = wangge.CaseNumber(county, c.ReportedAt, seq)
		c.Version, c.UpdatedAt = 1, c.ReportedAt
		var phoneEnc, phoneHash any
		if c.ReporterPhone != "" {
			phoneEnc, phoneHash = db.Keys.Encrypt(c.ReporterPhone), db.Keys.Hash(c.ReporterPhone)
		}
		var idem any
		if c.IdempotencyKey != "" {
			idem = c.IdempotencyKey
		}
		id, err := tx.insert(ctx, `INSERT INTO cases (number, status, suspended_from, level, unit_id, unit_code, category, kind, channel,
			title, description, address, lon, lat, crs, reporter_id, reporter_name, reporter_phone_enc, reporter_phone_hash, reporter_phone_masked,
			department_id, urgent, duplicate_of, reported_at, updated_at, step_started_at, step_limit_s, step_used_s, due_at, light,
			next_check_at, external_id, idempotency_key, version)
			VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 1)`,
			c.Number, string(c.Status), string(c.Level), c.UnitID, c.UnitCode, c.Category, string(c.Kind), string(c.Channel),
			c.Title, c.Description, c.Address, c.Lon, c.Lat, c.CRS, idArg(c.ReporterID), c.ReporterName, phoneEnc, phoneHash, wangge.MaskPhone(c.ReporterPhone),
			idArg(c.DepartmentID), c.Urgent, idArg(c.DuplicateOf), c.ReportedAt.UTC(), c.ReportedAt.UTC(), c.StepStartedAt.UTC(), int64(c.StepLimit/time.Second),
			utcPtr(c.DueAt), c.Light, utcPtr(c.NextCheckAt), c.ExternalID, idem)
		if err != nil {
			return err
		}
		c.ID, created = id, true
		c.ReporterPhone = wangge.MaskPhone(c.ReporterPhone)
		for i := range evs {
			evs[i].CaseID = id
			if err := tx.insertEvent(ctx, &evs[i]); err != nil {
				return err
			}
		}
		if err := tx.rollup(ctx, nil, c); err != nil {
			return err
		}
		for i := range evs {
			if err := tx.fanOut(ctx, c, &evs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return created, err
}

// caseDay is the day of a case's number.
func caseDay(c *wangge.Case) string { return c.ReportedAt.In(wangge.ChinaTime).Format("2006-01-02") }

// nextNumber returns the next sequence number of a county's day.
//
// On SQLite the counter row is bumped in the filing transaction: one writer,
// no gaps. On PostgreSQL that row would be held by every filing transaction
// of the county until its commit, so that filings queue on it one fsync at a
// time (170 reports/s measured). Instead each server takes blocks of
// numberBlock numbers from the counter in short transactions of their own
// and hands them out: numbers stay unique and grow within a server, but a
// server that stops leaves a gap, and two servers interleave.
// (PostgreSQL numbers are taken before the filing transaction begins, so
// that taking a block never waits for a connection that filing
// transactions hold.)
func (tx *Tx) nextNumber(ctx context.Context, county, day string) (int, error) {
	var seq int
	err := tx.queryRow(ctx, `INSERT INTO case_counters (county, day, seq) VALUES (?, ?, 1)
		ON CONFLICT (county, day) DO UPDATE SET seq = case_counters.seq + 1 RETURNING seq`, county, day).Scan(&seq)
	return seq, err
}

// numberBlock is how many case numbers a PostgreSQL server takes at once.
const numberBlock = 64

// numberBlocks hands out the blocks of case numbers a server holds.
type numberBlocks struct {
	mu sync.Mutex
	m  map[string][2]int // county and day → next, last
}

func (nb *numberBlocks) next(ctx context.Context, db *DB, county, day string) (int, error) {
	key := county + "/" + day
	nb.mu.Lock()
	defer nb.mu.Unlock()
	if b, ok := nb.m[key]; ok && b[0] <= b[1] {
		nb.m[key] = [2]int{b[0] + 1, b[1]}
		return b[0], nil
	}
	// Outside the caller's transaction, on a connection of its own: the
	// counter row is locked only for this statement.
	var last int
	if err := db.w.QueryRowContext(ctx, `INSERT INTO case_counters (county, day, seq) VALUES ($1, $2, $3)
		ON CONFLICT (county, day) DO UPDATE SET seq = case_counters.seq + $3 RETURNING seq`, county, day, numberBlock).Scan(&last); err != nil {
		return 0, err
	}
	if nb.m == nil {
		nb.m = map[string][2]int{}
	}
	nb.m[key] = [2]int{last - numberBlock + 2, last}
	return last - numberBlock + 1, nil
}

// countyOf returns the code of the county-level unit above (or at) a unit:
// codes extend their parents', so it is the county whose code is a prefix of
// the unit's. Territories without a county level number by the unit itself.
//
// Filing a case asks this every time for a few thousand units that seldom
// change, so answers are kept for 5 minutes (and dropped when this process
// changes units; another server's change is seen within the TTL).
func (tx *Tx) countyOf(ctx context.Context, unit string) (string, error) {
	return tx.db.countyOf(ctx, tx.conn, unit)
}

// countyOf is Tx.countyOf on the connection q.
func (db *DB) countyOf(ctx context.Context, q conn, unit string) (string, error) {
	county, ok, gen := db.counties.get(unit, db.Now())
	if ok {
		return county, nil
	}
	county, err := lookupCounty(ctx, q, unit)
	if err == nil {
		db.counties.put(unit, county, db.Now(), gen)
	}
	return county, err
}

func lookupCounty(ctx context.Context, q conn, unit string) (string, error) {
	prefixes := make([]any, 0, len(unit))
	for i := 1; i <= len(unit); i++ {
		prefixes = append(prefixes, unit[:i])
	}
	var county string
	err := q.queryRow(ctx, "SELECT code FROM units WHERE valid_to IS NULL AND level = 'county' AND code IN ("+
		strings.TrimSuffix(strings.Repeat("?,", len(prefixes)), ",")+") ORDER BY LENGTH(code) DESC LIMIT 1", prefixes...).Scan(&county)
	if errors.Is(err, sql.ErrNoRows) {
		return unit, nil
	}
	return county, err
}

func (tx *Tx) insertEvent(ctx context.Context, ev *wangge.CaseEvent) error {
	data := []byte("{}")
	if len(ev.Data) > 0 {
		var err error
		if data, err = json.Marshal(ev.Data); err != nil {
			return err
		}
	}
	id, err := tx.insert(ctx, "INSERT INTO case_events (case_id, at, actor_id, action, from_status, to_status, note, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		ev.CaseID, ev.At.UTC(), idArg(ev.ActorID), ev.Action, string(ev.From), string(ev.To), ev.Note, string(data))
	ev.ID = id
	return err
}

// Case returns a case the context's user may see.
func (db *DB) Case(ctx context.Context, id int64) (*wangge.Case, error) {
	sp, args := caseScope(ctx)
	c, err := scanCase(db.read().queryRow(ctx, "SELECT "+caseCols+" FROM cases c WHERE c.id = ? AND "+sp, append([]any{id}, args...)...))
	return c, notFound(err, "case")
}

// CaseFilter selects cases in a listing.
type CaseFilter struct {
	Unit       string // subtree
	Status     []wangge.Status
	Open       *bool
	Category   string // code or major prefix
	Department int64
	Light      string
	Channel    wangge.Channel
	From, To   *time.Time  // reported in [From, To)
	Mine       bool        // reported by the caller
	BBox       *[4]float64 // located in this box: min lon, min lat, max lon, max lat (WGS84)
	Limit      int
	Offset     int
}

// FindCases lists cases the caller may see, newest first.
func (db *DB) FindCases(ctx context.Context, f CaseFilter) ([]*wangge.Case, int, error) {
	narrow := narrowCases(ctx, f) || f.BBox != nil && f.Unit != ""
	w := db.caseWhere(ctx, f, "c.unit_code")
	order, pw := "c.reported_at DESC, c.id DESC", w
	switch {
	case narrow:
		// A street's or a grid's cases, or a unit's in a map's view, newest
		// first: the database would walk the newest-first index over the
		// whole territory looking for the few that match (seconds at 10⁶
		// cases; 1.6 s on PostgreSQL for a county's view at 10⁷). An
		// expression keeps it off that index, so it finds them by unit and
		// sorts them.
		order = "+c.reported_at DESC, c.id DESC"
		if db.dialect == Postgres {
			order = "c.reported_at + INTERVAL '0 seconds' DESC, c.id DESC"
		}
	case db.dialect == SQLite:
		// A county's or a city's page, the other way round: a thirtieth of
		// the territory's cases is found soonest by walking the newest
		// first, and with sampled statistics SQLite chose to read all the
		// county's open cases by unit and sort them (62 ms against 2 at
		// 10⁷). The count still finds them by unit.
		pw = db.caseWhere(ctx, f, "+c.unit_code")
	}
	if total, ok, err := db.countCases(ctx, f); err != nil || ok {
		if err != nil {
			return nil, 0, err
		}
		items, err := page(ctx, db, "cases c", caseCols, order, pw, f.Limit, f.Offset, scanCase)
		return items, total, err
	}
	var total int
	if err := db.read().queryRow(ctx, "SELECT COUNT(*) FROM cases c"+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count cases: %w", err)
	}
	items, err := page(ctx, db, "cases c", caseCols, order, pw, f.Limit, f.Offset, scanCase)
	return items, total, err
}

// caseWhere is the predicate of a listing, with unitCol for the unit
// code column in the unit and scope terms.
func (db *DB) caseWhere(ctx context.Context, f CaseFilter, unitCol string) where {
	var w where
	sp, args := caseScopeOn(ctx, unitCol)
	w.add(sp, args...)
	if f.Unit != "" {
		w.add(unitCol+" >= ? AND "+unitCol+" < ?", f.Unit, wangge.CodeUpperBound(f.Unit))
	}
	if len(f.Status) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(f.Status)), ",")
		var sargs []any
		for _, s := range f.Status {
			sargs = append(sargs, string(s))
		}
		w.add("c.status IN ("+ph+")", sargs...)
	}
	if f.Open != nil {
		if *f.Open {
			w.add("c.status NOT IN ('closed', 'rated', 'rejected', 'merged')")
		} else {
			w.add("c.status IN ('closed', 'rated', 'rejected', 'merged')")
		}
	}
	if f.Category != "" {
		w.add("c.category >= ? AND c.category < ?", f.Category, f.Category+"~")
	}
	if f.Department != 0 {
		w.add("c.department_id = ?", f.Department)
	}
	if b := f.BBox; b != nil {
		w.add("c.lon >= ? AND c.lon <= ? AND c.lat >= ? AND c.lat <= ?", b[0], b[2], b[1], b[3])
	}
	if f.Light != "" {
		w.add("c.light = ?", f.Light)
	}
	if f.Channel != "" {
		w.add("c.channel = ?", string(f.Channel))
	}
	if f.From != nil {
		w.add("c.reported_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		w.add("c.reported_at < ?", f.To.UTC())
	}
	if f.Mine {
		me := wangge.UserFromContext(ctx)
		w.add("c.reporter_id = ?", me.ID)
	}
	return w
}

// narrowCases reports whether a listing is of a few units' cases: a unit
// filter of a street or below, or a caller who sees only such units (and
// no department's cases).
func narrowCases(ctx context.Context, f CaseFilter) bool {
	narrow := wangge.CodeLength(wangge.LevelStreet)
	if f.Unit != "" {
		return len(f.Unit) >= narrow
	}
	u := wangge.UserFromContext(ctx)
	if u == nil || u.DepartmentID != nil {
		return false
	}
	s := wangge.ScopeOf(u)
	if s.All || len(s.Roots) == 0 {
		return false
	}
	for _, r := range s.Roots {
		if len(r) < narrow {
			return false
		}
	}
	return true
}

// countCases answers how many cases a filter selects from the statistics
// when it can (ok): the caller sees every case (others also see the cases
// of their department and those they reported, which the statistics do not
// count by) and the filter is on what they count by (unit, status,
// category, department, whole China days of report; not a box). The case list of a
// province then costs no count of millions of rows.
func (db *DB) countCases(ctx context.Context, f CaseFilter) (n int, ok bool, err error) {
	midnight := func(t *time.Time) bool {
		return t == nil || t.In(wangge.ChinaTime).Format("15:04:05.999999999") == "00:00:00"
	}
	if u := wangge.UserFromContext(ctx); u == nil || !wangge.ScopeOf(u).All ||
		f.Light != "" || f.Channel != "" || f.Mine || f.BBox != nil || !midnight(f.From) || !midnight(f.To) {
		return 0, false, nil
	}
	s, _, err := db.Stats(ctx, wangge.StatsFilter{Unit: f.Unit, From: f.From, To: f.To, Category: f.Category, Department: f.Department})
	if err != nil {
		return 0, false, err
	}
	for st, k := range s.ByStatus {
		if (len(f.Status) == 0 || slices.Contains(f.Status, st)) && (f.Open == nil || *f.Open == st.Open()) {
			n += k
		}
	}
	return n, true, nil
}

// CaseEvents returns the timeline of a case the caller may see, oldest first.
func (db *DB) CaseEvents(ctx context.Context, id int64) ([]*wangge.CaseEvent, error) {
	if _, err := db.Case(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.read().query(ctx, "SELECT id, case_id, at, actor_id, action, from_status, to_status, note, data FROM case_events WHERE case_id = ? ORDER BY id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*wangge.CaseEvent{}
	for rows.Next() {
		var ev wangge.CaseEvent
		var actor sql.NullInt64
		var data string
		if err := rows.Scan(&ev.ID, &ev.CaseID, &ev.At, &actor, &ev.Action, &ev.From, &ev.To, &ev.Note, &data); err != nil {
			return nil, err
		}
		ev.At, ev.ActorID = ev.At.UTC(), nullID(actor)
		if data != "{}" && data != "" {
			if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
				return nil, fmt.Errorf("case %d event %d: %w", id, ev.ID, err)
			}
		}
		out = append(out, &ev)
	}
	return out, rows.Err()
}

// UpdateCase changes one case under a row lock: it loads the case (scoped
// to the caller unless system is set), checks the version the client saw
// (0: not checked), lets change compute the new case and its timeline row,
// and writes both in one transaction. Of two concurrent changes on one
// case, the second sees the first's result: its version check, or the
// workflow itself, refuses it with a conflict.
func (db *DB) UpdateCase(ctx context.Context, id int64, version int, system bool, change func(c wangge.Case) (wangge.Case, wangge.CaseEvent, error)) (*wangge.Case, error) {
	return db.updateCase(ctx, id, version, system, func(c wangge.Case) (wangge.Case, []wangge.CaseEvent, error) {
		next, ev, err := change(c)
		return next, []wangge.CaseEvent{ev}, err
	}, nil)
}

// UpdateCaseSteps is UpdateCase for a change made of several steps, each
// with its timeline row (in order), such as another system reporting that a
// case was handled, verified and closed.
func (db *DB) UpdateCaseSteps(ctx context.Context, id int64, version int, system bool, change func(c wangge.Case) (wangge.Case, []wangge.CaseEvent, error)) (*wangge.Case, error) {
	return db.updateCase(ctx, id, version, system, change, nil)
}

// updateCase is UpdateCaseSteps with more writes (also, given the last
// timeline row) in its transaction.
func (db *DB) updateCase(ctx context.Context, id int64, version int, system bool, change func(c wangge.Case) (wangge.Case, []wangge.CaseEvent, error), also func(tx *Tx, ev *wangge.CaseEvent) error) (*wangge.Case, error) {
	var out *wangge.Case
	err := db.Transact(ctx, func(tx *Tx) error {
		q := "SELECT " + caseCols + " FROM cases c WHERE c.id = ?"
		args := []any{id}
		if !system {
			sp, sargs := caseScope(ctx)
			q += " AND " + sp
			args = append(args, sargs...)
		}
		if tx.d == Postgres {
			q += " FOR UPDATE OF c"
			if skipLocked(ctx) {
				q += " SKIP LOCKED"
			}
		}
		cur, err := scanCase(tx.queryRow(ctx, q, args...))
		if errors.Is(err, sql.ErrNoRows) && skipLocked(ctx) {
			return ErrLocked
		}
		if err != nil {
			return notFound(err, "case")
		}
		if version != 0 && version != cur.Version {
			return wangge.Errorf(wangge.ECONFLICT, "the case changed since you loaded it (version %d, now %d): reload it", version, cur.Version)
		}
		next, evs, err := change(*cur)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return fmt.Errorf("update case %d: no timeline row", id)
		}
		last := &evs[len(evs)-1]
		next.Version = cur.Version + 1
		next.UpdatedAt = last.At
		res, err := tx.exec(ctx, `UPDATE cases SET status = ?, suspended_from = ?, level = ?, department_id = ?, urgent = ?, extension_pending = ?,
			reworks = ?, wrong_dispatches = ?, escalations = ?, rating = ?, merged_into = ?, duplicate_of = ?, updated_at = ?, closed_at = ?,
			step_started_at = ?, step_limit_s = ?, step_used_s = ?, due_at = ?, light = ?, next_check_at = ?, version = ?, overdue = ?
			WHERE id = ? AND version = ?`,
			string(next.Status), string(next.SuspendedFrom), string(next.Level), idArg(next.DepartmentID), next.Urgent, next.ExtensionPending,
			next.Reworks, next.WrongDispatches, next.Escalations, next.Rating, idArg(next.MergedInto), idArg(next.DuplicateOf), next.UpdatedAt.UTC(), utcPtr(next.ClosedAt),
			next.StepStartedAt.UTC(), int64(next.StepLimit/time.Second), int64(next.StepUsed/time.Second), utcPtr(next.DueAt), next.Light, utcPtr(next.NextCheckAt), next.Version, next.Overdue,
			id, cur.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return wangge.Errorf(wangge.ECONFLICT, "the case changed at the same time: reload it")
		}
		next.ID, next.Number = cur.ID, cur.Number
		for i := range evs {
			evs[i].CaseID = id
			if err := tx.insertEvent(ctx, &evs[i]); err != nil {
				return err
			}
		}
		if also != nil {
			if err := also(tx, last); err != nil {
				return err
			}
		}
		if err := tx.rollup(ctx, cur, &next); err != nil {
			return err
		}
		for i := range evs {
			if err := tx.fanOut(ctx, &next, &evs[i]); err != nil {
				return err
			}
		}
		out = &next
		return nil
	})
	return out, err
}

// RecentCasesNear returns open cases of a category reported since since
// whose point lies in the given box, for duplicate detection; the caller
// measures the exact distance. The earliest come first. It runs in the
// filing transaction, so that two reports of one matter see each other. The
// query reads the partial index of open cases by category and latitude; an
// ORDER BY in SQL would lead SQLite to walk every case of the category in
// the window instead, so the (few) rows are sorted here.
func (tx *Tx) RecentCasesNear(ctx context.Context, category string, since time.Time, box [4]float64) ([]*wangge.Case, error) {
	rows, err := tx.query(ctx, "SELECT "+caseCols+` FROM cases c WHERE c.category = ? AND c.lat BETWEEN ? AND ?
		AND c.status NOT IN ('closed', 'rated', 'rejected', 'merged') AND c.lon BETWEEN ? AND ? AND c.reported_at >= ?
		LIMIT 200`, category, box[1], box[3], box[0], box[2], since.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wangge.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ReportedAt.Before(out[j].ReportedAt) })
	return out, rows.Err()
}

// SetRoutingRules replaces the routing rules of a category: which
// department handles it at a level ("" any) within a unit subtree ("" all).
func (db *DB) SetRoutingRules(ctx context.Context, category string, rules []RoutingRule) error {
	if err := requireAdmin(ctx, "change routing"); err != nil {
		return err
	}
	defer db.changed("routes")
	return db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "DELETE FROM routing_rules WHERE category = ?", category); err != nil {
			return err
		}
		for i, r := range rules {
			if r.Level != "" && !r.Level.Valid() {
				return wangge.FieldError(fmt.Sprintf("rules[%d].level", i), "unknown level")
			}
			if _, err := tx.exec(ctx, "INSERT INTO routing_rules (category, level, unit_code, department_id) VALUES (?, ?, ?, ?)",
				category, string(r.Level), r.UnitCode, r.DepartmentID); err != nil {
				if isUniqueViolation(err) {
					return wangge.FieldError(fmt.Sprintf("rules[%d]", i), "duplicate rule")
				}
				return err
			}
		}
		return nil
	})
}

// RoutingRule sends a category to a department.
type RoutingRule struct {
	Level        wangge.Level `json:"level,omitempty"`
	UnitCode     string       `json:"unit_code,omitempty"`
	DepartmentID int64        `json:"department_id"`
}

// Route returns the departments the most specific matching rules name for
// a category at a level in a unit: one means dispatch automatically, none
// or several mean the operator decides.
func (db *DB) Route(ctx context.Context, category string, level wangge.Level, unitCode string) ([]int64, error) {
	rules, err := db.routingRules(ctx, category, level)
	if err != nil {
		return nil, err
	}
	best, bestScore := []int64{}, -1
	for _, r := range rules {
		if !wangge.InSubtree(unitCode, r.unit) {
			continue
		}
		score := 2 * len(r.unit)
		if r.level != "" {
			score++
		}
		switch {
		case score > bestScore:
			best, bestScore = []int64{r.dept}, score
		case score == bestScore:
			best = append(best, r.dept)
		}
	}
	return best, nil
}

// routeRule is a stored routing rule as Route reads it.
type routeRule struct {
	dept        int64
	unit, level string
}

// routingRules returns the rules of a category that apply at a level. Every
// dispatch reads them; a server keeps them for a minute (DB.routes).
func (db *DB) routingRules(ctx context.Context, category string, level wangge.Level) ([]routeRule, error) {
	key := category + "\x00" + string(level)
	rules, ok, gen := db.routes.get(key, db.Now())
	if ok {
		return rules, nil
	}
	rows, err := db.read().query(ctx, `SELECT department_id, unit_code, level FROM routing_rules
		WHERE category = ? AND (level = '' OR level = ?)`, category, string(level))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rules = nil
	for rows.Next() {
		var r routeRule
		if err := rows.Scan(&r.dept, &r.unit, &r.level); err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.routes.put(key, rules, db.Now(), gen)
	return rules, nil
}

// DepartmentByCode returns a department's id.
func (db *DB) DepartmentByCode(ctx context.Context, code string) (int64, error) {
	var id int64
	err := db.read().queryRow(ctx, "SELECT id FROM departments WHERE code = ?", code).Scan(&id)
	return id, notFound(err, "department "+code)
}

// DueCases returns the ids of cases whose next look is due at now, soonest
// first, from the scheduler's index. Several servers may get the same ids;
// each claims a case with SKIP LOCKED (ClaimContext).
func (db *DB) DueCases(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := db.read().query(ctx, "SELECT id FROM cases WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at LIMIT ?", now.UTC(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SetTrackingCode stores the hash of the code that lets an anonymous
// reporter follow a case.
func (db *DB) SetTrackingCode(ctx context.Context, id int64, code string) error {
	return db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE cases SET tracking_hash = ? WHERE id = ?", tokenHash(code), id)
		return err
	})
}

// CaseByTracking returns the case with a number whose tracking code is
// code; a wrong code is exactly a missing case.
func (db *DB) CaseByTracking(ctx context.Context, number, code string) (*wangge.Case, error) {
	c, err := scanCase(db.read().queryRow(ctx, "SELECT "+caseCols+" FROM cases c WHERE c.number = ? AND c.tracking_hash = ?", number, tokenHash(code)))
	return c, notFound(err, "case")
}

// ErrLocked is UpdateCase's answer, in a ClaimContext on PostgreSQL, for a
// case another server has locked (or one that is gone).
var ErrLocked = errors.New("sqlstore: case locked by another server")

type claimKey struct{}

// ClaimContext marks ctx for the scheduler's claims: on PostgreSQL,
// UpdateCase then skips a case that another server holds (FOR UPDATE SKIP
// LOCKED) and answers ErrLocked instead of waiting for it, so that several
// servers work through the due cases side by side. The change still checks
// under the lock that the work is due, so nothing is done twice.
func ClaimContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, claimKey{}, true)
}

func skipLocked(ctx context.Context) bool { v, _ := ctx.Value(claimKey{}).(bool); return v }

// DeferCheck moves a case's next look to at, for a case the scheduler
// failed to act on: one case that keeps failing must not hold up the cases
// due after it.
func (db *DB) DeferCheck(ctx context.Context, id int64, at time.Time) error {
	return db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE cases SET next_check_at = ? WHERE id = ? AND next_check_at IS NOT NULL", at.UTC(), id)
		return err
	})
}
