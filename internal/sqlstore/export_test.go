package sqlstore

import "context"

// ExecForTest runs a raw statement; tests use it to prove constraints hold.
func (tx *Tx) ExecForTest(ctx context.Context, q string) error {
	_, err := tx.exec(ctx, q)
	return err
}
