package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wangge/wangge"
)

// --- buildings ---

const buildingCols = "id, code, unit_code, address, name, use, floors, lon, lat, crs"

func scanBuilding(sc scanner) (*wangge.Building, error) {
	var b wangge.Building
	var lon, lat sql.NullFloat64
	err := sc.Scan(&b.ID, &b.Code, &b.UnitCode, &b.Address, &b.Name, &b.Use, &b.Floors, &lon, &lat, &b.CRS)
	b.Lon, b.Lat = lon.Float64, lat.Float64
	return &b, err
}

func validateBuilding(b *wangge.Building) error {
	var v wangge.Validation
	if !wangge.ValidCode(b.Code) {
		v.Add("code", "must be 1-32 letters or digits")
	}
	if !wangge.InSubtree(b.Code, b.UnitCode) || b.Code == b.UnitCode {
		v.Add("code", "must extend the unit code")
	}
	if strings.TrimSpace(b.Address) == "" {
		v.Add("address", "required")
	}
	if b.Floors < 0 || b.Floors > 200 {
		v.Add("floors", "out of range")
	}
	if b.Lon < -180 || b.Lon > 180 {
		v.Add("lon", "out of range")
	}
	if b.Lat < -90 || b.Lat > 90 {
		v.Add("lat", "out of range")
	}
	if b.Use == "" {
		b.Use = "residential"
	}
	if b.CRS == "" {
		b.CRS = "wgs84"
	}
	return v.Err()
}

// requireInScope fails with not-found (not forbidden: an object outside the
// scope must look exactly like a missing one) unless code is in scope and is
// a current unit.
func (tx *Tx) requireInScope(ctx context.Context, code, field string) error {
	if !wangge.ScopeFromContext(ctx).Contains(code) {
		return wangge.FieldError(field, "unknown unit")
	}
	if _, err := tx.currentUnit(ctx, code); err != nil {
		return wangge.FieldError(field, "unknown unit")
	}
	return nil
}

// CreateBuilding adds a building in a unit of the caller's scope.
func (db *DB) CreateBuilding(ctx context.Context, b *wangge.Building) error {
	if err := validateBuilding(b); err != nil {
		return err
	}
	return db.Transact(ctx, func(tx *Tx) error {
		if err := tx.requireInScope(ctx, b.UnitCode, "unit_code"); err != nil {
			return err
		}
		id, err := tx.insert(ctx, "INSERT INTO buildings (code, unit_code, address, name, use, floors, lon, lat, crs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			b.Code, b.UnitCode, b.Address, b.Name, b.Use, b.Floors, b.Lon, b.Lat, b.CRS)
		if isUniqueViolation(err) {
			return wangge.Errorf(wangge.ECONFLICT, "building %s already exists", b.Code)
		}
		b.ID = id
		return err
	})
}

// Building returns a building in the caller's scope.
func (db *DB) Building(ctx context.Context, id int64) (*wangge.Building, error) {
	b, err := getInScope(ctx, db.read(), "buildings", buildingCols, id, scanBuilding)
	return b, notFound(err, "building")
}

type scanner interface{ Scan(...any) error }

// getInScope reads one registry row by id, if its unit lies in the
// caller's scope; the scope is part of the query, so a row outside it is
// exactly as absent as a missing one.
func getInScope[T any](ctx context.Context, c conn, table, cols string, id int64, scan func(scanner) (T, error)) (T, error) {
	sp, args := scopeWhere(wangge.ScopeFromContext(ctx), "unit_code")
	return scan(c.queryRow(ctx, "SELECT "+cols+" FROM "+table+" WHERE id = ? AND "+sp, append([]any{id}, args...)...))
}

// registryWhere starts the predicates of a registry listing: the caller's
// scope and the unit subtree asked for.
func registryWhere(ctx context.Context, f RegistryFilter) where {
	var w where
	sp, args := scopeWhere(wangge.ScopeFromContext(ctx), "unit_code")
	w.add(sp, args...)
	if f.Unit != "" {
		w.add("unit_code >= ? AND unit_code < ?", f.Unit, wangge.CodeUpperBound(f.Unit))
	}
	return w
}

// RegistryFilter selects registry rows.
type RegistryFilter struct {
	Unit      string // subtree
	Building  int64
	Household int64
	Tag       string
	CareTier  wangge.CareTier
	VisitDue  *time.Time // next visit due at or before
	IDNumber  string     // exact, through the lookup hash
	Phone     string
	Q         string // name contains
	Limit     int
	Offset    int
}

// Buildings lists buildings in the caller's scope.
func (db *DB) Buildings(ctx context.Context, f RegistryFilter) ([]*wangge.Building, int, error) {
	w := registryWhere(ctx, f)
	if f.Q != "" {
		w.add("address LIKE ? ESCAPE '\\'", "%"+escapeLike(f.Q)+"%")
	}
	return list(ctx, db, "buildings", buildingCols, "code", w, f.Limit, f.Offset, scanBuilding)
}

// list runs a scoped count and page query; every registry listing goes
// through it.
func list[T any](ctx context.Context, db *DB, table, cols, order string, w where, limit, offset int, scan func(scanner) (T, error)) ([]T, int, error) {
	var total int
	if err := db.read().queryRow(ctx, "SELECT COUNT(*) FROM "+table+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", table, err)
	}
	items, err := page(ctx, db, table, cols, order, w, limit, offset, scan)
	return items, total, err
}

// page is list without the count.
func page[T any](ctx context.Context, db *DB, table, cols, order string, w where, limit, offset int, scan func(scanner) (T, error)) ([]T, error) {
	limit, offset = wangge.Page(limit, offset, 50, 1000)
	rows, err := db.read().query(ctx, "SELECT "+cols+" FROM "+table+w.String()+" ORDER BY "+order+" LIMIT ? OFFSET ?", append(w.args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", table, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// --- households ---

const householdCols = "id, building_id, unit_code, room, address, head_name, members, rented, tags"

func scanHousehold(sc scanner) (*wangge.Household, error) {
	var h wangge.Household
	var b sql.NullInt64
	var tags string
	err := sc.Scan(&h.ID, &b, &h.UnitCode, &h.Room, &h.Address, &h.HeadName, &h.Members, &h.Rented, &tags)
	h.BuildingID, h.Tags = b.Int64, tagsList(tags)
	return &h, err
}

// CreateHousehold adds a household; with a building, it takes the
// building's unit and address.
func (db *DB) CreateHousehold(ctx context.Context, h *wangge.Household) error {
	return db.Transact(ctx, func(tx *Tx) error {
		if h.BuildingID != 0 {
			b, err := getInScope(ctx, tx.conn, "buildings", buildingCols, h.BuildingID, scanBuilding)
			if err != nil {
				return wangge.FieldError("building_id", "unknown building")
			}
			h.UnitCode = b.UnitCode
			if h.Address == "" {
				h.Address = b.Address + h.Room
			}
		}
		var v wangge.Validation
		if strings.TrimSpace(h.Address) == "" {
			v.Add("address", "required")
		}
		if h.Members < 0 || h.Members > 100 {
			v.Add("members", "out of range")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.requireInScope(ctx, h.UnitCode, "unit_code"); err != nil {
			return err
		}
		var building any
		if h.BuildingID != 0 {
			building = h.BuildingID
		}
		id, err := tx.insert(ctx, "INSERT INTO households (building_id, unit_code, room, address, head_name, members, rented, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			building, h.UnitCode, h.Room, h.Address, h.HeadName, h.Members, h.Rented, tagsText(h.Tags))
		h.ID = id
		return err
	})
}

// Household returns a household in the caller's scope.
func (db *DB) Household(ctx context.Context, id int64) (*wangge.Household, error) {
	h, err := getInScope(ctx, db.read(), "households", householdCols, id, scanHousehold)
	return h, notFound(err, "household")
}

// Households lists households in the caller's scope.
func (db *DB) Households(ctx context.Context, f RegistryFilter) ([]*wangge.Household, int, error) {
	w := registryWhere(ctx, f)
	if f.Building != 0 {
		w.add("building_id = ?", f.Building)
	}
	if f.Tag != "" {
		w.add("tags LIKE ? ESCAPE '\\'", "%,"+escapeLike(f.Tag)+",%")
	}
	if f.Q != "" {
		w.add("(address LIKE ? ESCAPE '\\' OR head_name LIKE ? ESCAPE '\\')", "%"+escapeLike(f.Q)+"%", "%"+escapeLike(f.Q)+"%")
	}
	return list(ctx, db, "households", householdCols, "unit_code, id", w, f.Limit, f.Offset, scanHousehold)
}

// --- persons ---

const personCols = "id, household_id, unit_code, name, id_masked, sex, birth_date, phone_masked, ethnicity, residence, relation, tags, care_tier, last_visit, next_visit"

func scanPerson(sc scanner) (*wangge.Person, error) {
	var p wangge.Person
	var hh sql.NullInt64
	var tags string
	var last, next sql.NullTime
	err := sc.Scan(&p.ID, &hh, &p.UnitCode, &p.Name, &p.IDNumber, &p.Sex, &p.BirthDate, &p.Phone, &p.Ethnicity,
		&p.Residence, &p.Relation, &tags, &p.CareTier, &last, &next)
	p.HouseholdID, p.Tags = hh.Int64, tagsList(tags)
	if last.Valid {
		t := last.Time.UTC()
		p.LastVisit = &t
	}
	if next.Valid {
		t := next.Time.UTC()
		p.NextVisit = &t
	}
	return &p, err
}

var personInsertCols = []string{"household_id", "unit_code", "name", "id_enc", "id_hash", "id_masked", "sex", "birth_date",
	"phone_enc", "phone_hash", "phone_masked", "ethnicity", "residence", "relation", "tags", "care_tier", "next_visit"}

// personArgs encrypts the identifiers of a validated person. A new person is
// due for a first visit at once.
func (db *DB) personArgs(p *wangge.Person, household any, now time.Time, dst []any) []any {
	var phoneHash any
	if h := db.Keys.Hash(p.Phone); h != nil {
		phoneHash = h
	}
	return append(dst, household, p.UnitCode, p.Name, db.Keys.Encrypt(p.IDNumber), db.Keys.Hash(p.IDNumber), wangge.MaskIDNumber(p.IDNumber),
		string(p.Sex), p.BirthDate, db.Keys.Encrypt(p.Phone), phoneHash, wangge.MaskPhone(p.Phone), p.Ethnicity,
		string(p.Residence), p.Relation, tagsText(p.Tags), string(p.CareTier), now)
}

// CreatePerson validates and registers a person. The returned person
// carries masked identifiers, like every answer.
func (db *DB) CreatePerson(ctx context.Context, p *wangge.Person) error {
	if db.Keys == nil {
		return errors.New("create person: no encryption key configured")
	}
	now := db.Now()
	return db.Transact(ctx, func(tx *Tx) error {
		var household any
		if p.HouseholdID != 0 {
			h, err := getInScope(ctx, tx.conn, "households", householdCols, p.HouseholdID, scanHousehold)
			if err != nil {
				return wangge.FieldError("household_id", "unknown household")
			}
			household, p.UnitCode = h.ID, h.UnitCode
		}
		if err := p.Validate(now); err != nil {
			return err
		}
		if err := tx.requireInScope(ctx, p.UnitCode, "unit_code"); err != nil {
			return err
		}
		cols := strings.Join(personInsertCols, ", ")
		id, err := tx.insert(ctx, "INSERT INTO persons ("+cols+") VALUES ("+strings.TrimSuffix(strings.Repeat("?, ", len(personInsertCols)), ", ")+")",
			tx.db.personArgs(p, household, now, nil)...)
		if isUniqueViolation(err) {
			return wangge.Errorf(wangge.ECONFLICT, "a person with this ID number is already registered")
		}
		if err != nil {
			return err
		}
		p.ID, p.NextVisit = id, &now
		p.IDNumber, p.Phone = wangge.MaskIDNumber(p.IDNumber), wangge.MaskPhone(p.Phone)
		return nil
	})
}

// Person returns a person in the caller's scope, identifiers masked.
func (db *DB) Person(ctx context.Context, id int64) (*wangge.Person, error) {
	p, err := getInScope(ctx, db.read(), "persons", personCols, id, scanPerson)
	return p, notFound(err, "person")
}

// Persons lists persons in the caller's scope, identifiers masked.
func (db *DB) Persons(ctx context.Context, f RegistryFilter) ([]*wangge.Person, int, error) {
	w := registryWhere(ctx, f)
	if f.Household != 0 {
		w.add("household_id = ?", f.Household)
	}
	if f.Tag != "" {
		w.add("tags LIKE ? ESCAPE '\\'", "%,"+escapeLike(f.Tag)+",%")
	}
	if f.CareTier != "" {
		w.add("care_tier = ?", string(f.CareTier))
	}
	if f.VisitDue != nil {
		w.add("next_visit <= ?", f.VisitDue.UTC())
	}
	if f.IDNumber != "" {
		w.add("id_hash = ?", db.Keys.Hash(strings.ToUpper(strings.TrimSpace(f.IDNumber))))
	}
	if f.Phone != "" {
		w.add("phone_hash = ?", db.Keys.Hash(strings.TrimSpace(f.Phone)))
	}
	if f.Q != "" {
		w.add("name LIKE ? ESCAPE '\\'", "%"+escapeLike(f.Q)+"%")
	}
	order := "unit_code, id"
	if f.VisitDue != nil {
		order = "next_visit, id"
	}
	return list(ctx, db, "persons", personCols, order, w, f.Limit, f.Offset, scanPerson)
}

// revealRoles may see a full identifier, with a reason, logged.
var revealRoles = map[wangge.Role]bool{
	wangge.RoleAdmin: true, wangge.RoleOperator: true, wangge.RoleCadre: true, wangge.RoleGridLeader: true,
	wangge.RoleGridWorker: true, wangge.RoleGridPolice: true,
}

// Reveal returns the plain value of a person's id_number or phone and, in
// the same transaction, appends who asked, for whom, why and when to the
// access log. Without a logged row there is no plain value.
func (db *DB) Reveal(ctx context.Context, personID int64, field, reason string) (string, error) {
	me := wangge.UserFromContext(ctx)
	if me == nil {
		return "", wangge.Errorf(wangge.EUNAUTHORIZED, "login required")
	}
	var v wangge.Validation
	col := map[string]string{"id_number": "id_enc", "phone": "phone_enc"}[field]
	if col == "" {
		v.Add("field", "must be id_number or phone")
	}
	if r := strings.TrimSpace(reason); len([]rune(r)) < 2 || len(r) > 500 {
		v.Add("reason", "say why (2-500 characters)")
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	if !revealRoles[me.Role] {
		return "", wangge.Errorf(wangge.EFORBIDDEN, "your role may not reveal personal identifiers")
	}
	var plain string
	err := db.Transact(ctx, func(tx *Tx) error {
		sp, args := scopeWhere(wangge.ScopeOf(me), "unit_code")
		var sealed []byte
		err := tx.queryRow(ctx, "SELECT "+col+" FROM persons WHERE id = ? AND "+sp, append([]any{personID}, args...)...).Scan(&sealed)
		if err != nil {
			return notFound(err, "person")
		}
		if plain, err = db.Keys.Decrypt(sealed); err != nil {
			return fmt.Errorf("reveal person %d: %w", personID, err)
		}
		_, err = tx.exec(ctx, "INSERT INTO pii_access_log (user_id, person_id, field, reason, at) VALUES (?, ?, ?, ?, ?)",
			me.ID, personID, field, strings.TrimSpace(reason), db.Now())
		return err
	})
	return plain, err
}

// AccessLogEntry is one row of the personal-data access log.
type AccessLogEntry struct {
	ID       int64     `json:"id"`
	UserID   int64     `json:"user_id"`
	Username string    `json:"username"`
	PersonID int64     `json:"person_id"`
	Field    string    `json:"field"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// AccessLog lists reveals, newest first (administrators only), optionally
// for one person.
func (db *DB) AccessLog(ctx context.Context, personID int64, limit, offset int) ([]*AccessLogEntry, int, error) {
	if err := requireAdmin(ctx, "read the access log"); err != nil {
		return nil, 0, err
	}
	var w where
	if personID != 0 {
		w.add("l.person_id = ?", personID)
	}
	return list(ctx, db, "pii_access_log l JOIN users u ON u.id = l.user_id", "l.id, l.user_id, u.username, l.person_id, l.field, l.reason, l.at",
		"l.id DESC", w, limit, offset, func(sc scanner) (*AccessLogEntry, error) {
			var e AccessLogEntry
			err := sc.Scan(&e.ID, &e.UserID, &e.Username, &e.PersonID, &e.Field, &e.Reason, &e.At)
			e.At = e.At.UTC()
			return &e, err
		})
}

// --- visits ---

// RecordVisit records a visit by the context's user and moves the person's
// next due date by their care tier.
func (db *DB) RecordVisit(ctx context.Context, v *wangge.Visit) error {
	me := wangge.UserFromContext(ctx)
	if me == nil {
		return wangge.Errorf(wangge.EUNAUTHORIZED, "login required")
	}
	now := db.Now()
	if v.At.IsZero() {
		v.At = now
	}
	if v.At.After(now.Add(5 * time.Minute)) {
		return wangge.FieldError("at", "in the future")
	}
	if len(v.Note) > 4000 {
		return wangge.FieldError("note", "too long")
	}
	if len(v.IdempotencyKey) > 200 {
		return wangge.FieldError("idempotency_key", "too long (at most 200 bytes)")
	}
	return db.Transact(ctx, func(tx *Tx) error {
		p, err := getInScope(ctx, tx.conn, "persons", personCols, v.PersonID, scanPerson)
		if err != nil {
			return notFound(err, "person")
		}
		var key any
		if v.IdempotencyKey != "" {
			key = v.IdempotencyKey
			var first wangge.Visit
			err := tx.queryRow(ctx, "SELECT id, person_id, unit_code, visitor_id, at, note FROM visits WHERE visitor_id = ? AND idempotency_key = ?",
				me.ID, v.IdempotencyKey).Scan(&first.ID, &first.PersonID, &first.UnitCode, &first.VisitorID, &first.At, &first.Note)
			switch {
			case err == nil:
				first.At, first.IdempotencyKey = first.At.UTC(), v.IdempotencyKey
				*v = first // sent again: the first one stands
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		v.UnitCode, v.VisitorID = p.UnitCode, me.ID
		if v.ID, err = tx.insert(ctx, "INSERT INTO visits (person_id, unit_code, visitor_id, at, note, idempotency_key) VALUES (?, ?, ?, ?, ?, ?)",
			v.PersonID, v.UnitCode, v.VisitorID, v.At.UTC(), v.Note, key); err != nil {
			return err
		}
		if p.LastVisit != nil && p.LastVisit.After(v.At) {
			return nil // a late-synced older visit does not move the schedule back
		}
		_, err = tx.exec(ctx, "UPDATE persons SET last_visit = ?, next_visit = ? WHERE id = ?", v.At.UTC(), p.CareTier.NextVisitDue(v.At).UTC(), p.ID)
		return err
	})
}

// Visits lists the visits to a person in the caller's scope, newest first.
func (db *DB) Visits(ctx context.Context, personID int64, limit, offset int) ([]*wangge.Visit, int, error) {
	var w where
	sp, args := scopeWhere(wangge.ScopeFromContext(ctx), "unit_code")
	w.add(sp, args...)
	w.add("person_id = ?", personID)
	return list(ctx, db, "visits", "id, person_id, unit_code, visitor_id, at, note", "at DESC, id DESC", w, limit, offset,
		func(sc scanner) (*wangge.Visit, error) {
			var v wangge.Visit
			err := sc.Scan(&v.ID, &v.PersonID, &v.UnitCode, &v.VisitorID, &v.At, &v.Note)
			v.At = v.At.UTC()
			return &v, err
		})
}
