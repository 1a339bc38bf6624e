package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// maxParams bounds the parameters of one statement (SQLite allows 32766,
// PostgreSQL 65535). Beyond a few hundred rows per statement nothing is
// gained, and smaller bind buffers are reused rather than freed (measured on
// the national division import: 16,000 vs 4,000 parameters, 4,000 as fast or
// faster).
const maxParams = 4000

// bulkInsert inserts n rows into table, many rows per statement, through two
// prepared statements (full chunks and the last partial one). row appends the
// values of row i, in column order, to dst.
func (tx *Tx) bulkInsert(ctx context.Context, table string, cols []string, n int, row func(i int, dst []any) []any) error {
	return tx.bulkInsertThen(ctx, table, cols, "", n, row)
}

// bulkInsertThen is bulkInsert with a clause after the rows, such as
// ON CONFLICT ... DO UPDATE.
func (tx *Tx) bulkInsertThen(ctx context.Context, table string, cols []string, then string, n int, row func(i int, dst []any) []any) error {
	if n == 0 {
		return nil
	}
	per := maxParams / len(cols)
	stmtFor := func(rows int) (*sql.Stmt, error) {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		for i := 0; i < rows; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
		}
		if then != "" {
			b.WriteString(" " + then)
		}
		return tx.sqlTx().PrepareContext(ctx, tx.d.rebind(b.String()))
	}
	var full *sql.Stmt
	args := make([]any, 0, per*len(cols))
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		if len(args) != (end-start)*len(cols) {
			return fmt.Errorf("bulk insert %s: row gave %d values for %d columns", table, len(args)/(end-start), len(cols))
		}
		stmt := full
		if end-start < per || full == nil {
			s, err := stmtFor(end - start)
			if err != nil {
				return fmt.Errorf("bulk insert %s: %w", table, err)
			}
			if end-start == per {
				full = s
				defer full.Close()
			} else {
				defer s.Close()
			}
			stmt = s
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("bulk insert %s rows %d..%d: %w", table, start, end, err)
		}
	}
	return nil
}

// reserveIDs returns the first of n consecutive ids for rows of table that
// the caller inserts with explicit ids, so that child rows can refer to them
// without a round trip per row. On PostgreSQL the table is locked against
// other writers for the rest of the transaction and the identity sequence is
// moved past the reserved range.
func (tx *Tx) reserveIDs(ctx context.Context, table string, n int) (int64, error) {
	if tx.d == Postgres {
		if _, err := tx.exec(ctx, "LOCK TABLE "+table+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return 0, err
		}
	}
	var first int64
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM "+table).Scan(&first); err != nil {
		return 0, err
	}
	if tx.d == Postgres && n > 0 {
		if _, err := tx.exec(ctx, "SELECT setval(pg_get_serial_sequence('"+table+"', 'id'), ?)", first+int64(n)-1); err != nil {
			return 0, err
		}
	}
	return first, nil
}

// withIndexesDeferred runs load with the secondary indexes of table dropped
// when the table is empty, and recreates them afterwards in the same
// transaction. Building an index over loaded rows sorts once; inserting
// keyed hashes into a live index touches pages in random order (measured on
// the demo's 280,000 residents: several times slower on SQLite). A table
// that already has rows keeps its indexes: rebuilding them would cost more
// than the load.
func (tx *Tx) withIndexesDeferred(ctx context.Context, table string, load func() error) error {
	var nonEmpty int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+table+" LIMIT 1) t").Scan(&nonEmpty); err != nil {
		return err
	}
	if nonEmpty > 0 {
		return load()
	}
	q := "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
	if tx.d == Postgres {
		q = `SELECT i.indexname, i.indexdef FROM pg_indexes i
			WHERE i.schemaname = current_schema() AND i.tablename = ?
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`
	}
	rows, err := tx.query(ctx, q, table)
	if err != nil {
		return err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := tx.exec(ctx, "DROP INDEX "+name); err != nil {
			return err
		}
	}
	if err := load(); err != nil {
		return err
	}
	for _, def := range defs {
		if _, err := tx.q.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("recreate index: %w", err)
		}
	}
	return nil
}
