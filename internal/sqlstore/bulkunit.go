package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/wangge/wangge"
)

// unitLoadCols are the columns LoadUnits writes.
var unitLoadCols = append([]string{"id"}, unitInsertCols...)

// LoadUnits bulk-loads n new units in one transaction, all or nothing
// (administrators only): the territory of a province, a million grids and
// their parents, where CreateUnits (which holds the batch in memory and
// looks up versions) would take minutes and gigabytes.
//
// gen fills the i-th unit, from a zeroed Unit, with its code, parent code,
// level, names, type, counts and boundary (GeoJSON, WGS84) with BBox, which
// the caller has checked, as with CreateUnits. Version 0 means 1, a zero
// ValidFrom means now. gen is called once per unit, in order, and the
// units must come in code order, which puts every parent before its
// children: that lets LoadUnits check the tree with the chain of the
// current unit's ancestors instead of a map of the whole batch. A parent
// outside the batch must be a current unit of the database (checked after
// the rows are written, in the same transaction). Codes must be new: a code
// that has a history is continued by CreateUnits, and here is a conflict.
//
// SQLite gets multi-row INSERTs, PostgreSQL COPY; into an empty table the
// secondary indexes are built after the rows. The units get consecutive
// ids, in the order given, from the returned first one.
func (db *DB) LoadUnits(ctx context.Context, n int, gen func(i int, u *wangge.Unit)) (first int64, err error) {
	if err := requireAdmin(ctx, "load units"); err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, wangge.FieldError("n", "at least one unit")
	}
	defer db.changed("units")
	err = db.bulkTransact(ctx, func(tx *Tx, raw *sql.Conn) error {
		var err error
		if first, err = tx.reserveIDs(ctx, "units", n); err != nil {
			return err
		}
		l := &unitLoad{n: n, gen: gen, first: first, now: db.Now().UTC(), outside: map[string]outsideParent{}}
		err = tx.withIndexesDeferred(ctx, "units", func() error {
			if raw != nil {
				return l.copy(ctx, raw)
			}
			var failed error
			err := tx.bulkInsert(ctx, "units", unitLoadCols, n, func(i int, dst []any) []any {
				if err := l.make(i); err != nil && failed == nil {
					failed = err
				}
				return l.row(i, dst)
			})
			if failed != nil {
				return failed
			}
			return err
		})
		if err != nil {
			return err
		}
		return l.checkOutside(ctx, tx)
	})
	if isUniqueViolation(err) {
		return 0, wangge.Errorf(wangge.ECONFLICT, "load units: a unit with one of these codes already exists")
	}
	if err != nil {
		return 0, fmt.Errorf("load units: %w", err)
	}
	if db.dialect == Postgres {
		if _, err := db.w.ExecContext(ctx, "ANALYZE units"); err != nil {
			return first, fmt.Errorf("load units: analyze: %w", err)
		}
	}
	return first, nil
}

// unitLoad is one run of LoadUnits.
type unitLoad struct {
	n       int
	gen     func(int, *wangge.Unit)
	first   int64
	now     time.Time
	u       wangge.Unit
	prev    string
	chain   []wangge.Unit // the ancestors of the current unit in the batch, top first (codes and levels)
	outside map[string]outsideParent
}

// outsideParent is a parent code that is not in the batch: the first unit
// below it and the highest level of the units below it.
type outsideParent struct {
	child int
	level wangge.Level
}

// make fills l.u with unit i and checks it against the batch so far.
func (l *unitLoad) make(i int) error {
	l.u = wangge.Unit{}
	l.gen(i, &l.u)
	u := &l.u
	if u.Version == 0 {
		u.Version = 1
	}
	if u.ValidFrom.IsZero() {
		u.ValidFrom = l.now
	}
	if i > 0 && u.Code <= l.prev {
		return wangge.FieldError(fmt.Sprintf("units[%d].code", i), fmt.Sprintf("%s comes after %s: units must be in code order, parents first", u.Code, l.prev))
	}
	l.prev = u.Code
	for len(l.chain) > 0 && !strings.HasPrefix(u.Code, l.chain[len(l.chain)-1].Code) {
		l.chain = l.chain[:len(l.chain)-1]
	}
	var parent *wangge.Unit
	switch {
	case u.ParentCode == "":
	case len(l.chain) > 0 && l.chain[len(l.chain)-1].Code == u.ParentCode:
		parent = &l.chain[len(l.chain)-1]
	default:
		// Not in the batch: the code and level rules are checked against the
		// database's unit once the rows are in.
		parent = &wangge.Unit{Code: u.ParentCode}
		if o, ok := l.outside[u.ParentCode]; !ok || u.Level.Rank() < o.level.Rank() {
			if ok {
				o.level = u.Level
			} else {
				o = outsideParent{child: i, level: u.Level}
			}
			l.outside[u.ParentCode] = o
		}
	}
	if err := u.Validate(parent); err != nil {
		return prefixFields(err, fmt.Sprintf("units[%d].", i))
	}
	l.chain = append(l.chain, wangge.Unit{Code: u.Code, Level: u.Level})
	return nil
}

// row appends the current unit, unit i, in unitLoadCols order.
func (l *unitLoad) row(i int, dst []any) []any {
	return unitArgs(&l.u, append(dst, l.first+int64(i)))
}

// checkOutside checks the parents outside the batch: current units of a
// level above every child's.
func (l *unitLoad) checkOutside(ctx context.Context, tx *Tx) error {
	if len(l.outside) == 0 {
		return nil
	}
	need := make(map[string]bool, len(l.outside))
	for c := range l.outside {
		need[c] = true
	}
	have, err := tx.unitsByCode(ctx, need)
	if err != nil {
		return err
	}
	for code, o := range l.outside {
		p := have[code]
		if p == nil {
			return wangge.FieldError(fmt.Sprintf("units[%d].parent_code", o.child), "unknown parent "+code)
		}
		if p.Level.Rank() >= o.level.Rank() {
			return wangge.FieldError(fmt.Sprintf("units[%d].level", o.child), "must be below the parent's level "+string(p.Level))
		}
	}
	return nil
}

// copy writes the units with COPY (PostgreSQL) on the transaction's own
// connection.
func (l *unitLoad) copy(ctx context.Context, raw *sql.Conn) error {
	return raw.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("COPY needs the pgx driver, not %T", dc)
		}
		i := 0
		row := make([]any, 0, len(unitLoadCols))
		var failed error
		_, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{"units"}, unitLoadCols, pgx.CopyFromFunc(func() ([]any, error) {
			if i == l.n {
				return nil, nil
			}
			if err := l.make(i); err != nil {
				failed = err
				return nil, err
			}
			row = l.row(i, row[:0])
			i++
			return row, nil
		}))
		if failed != nil {
			return failed
		}
		if err != nil {
			return fmt.Errorf("copy units: %w", err)
		}
		return nil
	})
}
