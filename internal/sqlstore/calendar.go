package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
)

// StoredCalendar is the working calendar of a unit and its subtree.
type StoredCalendar struct {
	UnitCode  string        `json:"unit_code"`
	Calendar  calendar.Spec `json:"calendar"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// PutCalendar sets the working calendar of a unit's subtree (administrators).
// The unit must exist and the spec must build; a mistake in the spec is
// reported under "calendar.<field>".
func (db *DB) PutCalendar(ctx context.Context, unitCode string, spec calendar.Spec) (*StoredCalendar, error) {
	if err := requireAdmin(ctx, "change working calendars"); err != nil {
		return nil, err
	}
	if _, err := spec.Build(); err != nil {
		var se *calendar.SpecError
		if errors.As(err, &se) {
			return nil, wangge.FieldError("calendar."+se.Field, se.Msg)
		}
		return nil, err
	}
	if _, err := db.Unit(ctx, unitCode); err != nil {
		if wangge.ErrorCode(err) == wangge.ENOTFOUND {
			return nil, wangge.FieldError("unit_code", "no such unit")
		}
		return nil, err
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	sc := &StoredCalendar{UnitCode: unitCode, Calendar: spec, UpdatedAt: db.Now().Truncate(time.Second)}
	err = db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO calendars (unit_code, spec, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (unit_code) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
			unitCode, string(js), sc.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// DeleteCalendar removes a unit's own calendar: its subtree falls back to the
// calendar above it (administrators).
func (db *DB) DeleteCalendar(ctx context.Context, unitCode string) error {
	if err := requireAdmin(ctx, "change working calendars"); err != nil {
		return err
	}
	return db.Transact(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "DELETE FROM calendars WHERE unit_code = ?", unitCode)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return wangge.Errorf(wangge.ENOTFOUND, "unit %s has no calendar of its own", unitCode)
		}
		return nil
	})
}

// Calendars returns every stored calendar in unit code order.
func (db *DB) Calendars(ctx context.Context) ([]StoredCalendar, error) {
	rows, err := db.read().query(ctx, "SELECT unit_code, spec, updated_at FROM calendars ORDER BY unit_code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StoredCalendar{}
	for rows.Next() {
		var sc StoredCalendar
		var js string
		if err := rows.Scan(&sc.UnitCode, &js, &sc.UpdatedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(js), &sc.Calendar); err != nil {
			return nil, err
		}
		sc.UpdatedAt = sc.UpdatedAt.UTC()
		out = append(out, sc)
	}
	return out, rows.Err()
}
