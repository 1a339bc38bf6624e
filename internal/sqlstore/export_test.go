package sqlstore

import "context"

// ExecForTest runs a raw statement; tests use it to prove constraints hold.
func (tx *Tx) ExecForTest(ctx context.Context, q string) error {
	_, err := tx.exec(ctx, q)
	return err
}

// QueryRowForTest scans one row of a raw query.
func (tx *Tx) QueryRowForTest(ctx context.Context, q string, dest ...any) error {
	return tx.queryRow(ctx, q).Scan(dest...)
}
