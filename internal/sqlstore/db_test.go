package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wangge/wangge/internal/sqlstore"
)

func TestMigrate(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("migrated database: %v", err)
		}
		n, err := db.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
		}
	})
}

func TestTransactRollsBack(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		boom := errors.New("boom")
		err := db.Transact(context.Background(), func(tx *sqlstore.Tx) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic not propagated")
				}
			}()
			db.Transact(context.Background(), func(tx *sqlstore.Tx) error { panic("inside") })
		}()
		if _, err := db.Unit(asAdmin(), "360730100001"); err != nil {
			t.Fatalf("database unusable after a panic in a transaction: %v", err)
		}
	})
}
