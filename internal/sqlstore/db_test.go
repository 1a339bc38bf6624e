package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// TestGroupCommit: many concurrent transactions share commits; one that
// fails or panics is rolled back alone and the others are kept.
func TestGroupCommit(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
			return tx.ExecForTest(ctx, "CREATE TABLE gc_test (n INTEGER PRIMARY KEY)")
		}); err != nil {
			t.Fatal(err)
		}
		const n = 200
		errs := make([]error, n)
		panics := make([]any, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				errs[i] = db.Transact(ctx, func(tx *sqlstore.Tx) error {
					if err := tx.ExecForTest(ctx, fmt.Sprintf("INSERT INTO gc_test (n) VALUES (%d)", i)); err != nil {
						return err
					}
					switch i % 10 {
					case 3:
						return errors.New("refused")
					case 7:
						panic("inside")
					}
					return nil
				})
			}()
		}
		wg.Wait()
		want := 0
		for i := range n {
			switch i % 10 {
			case 3:
				if errs[i] == nil {
					t.Errorf("transaction %d: want its error", i)
				}
			case 7:
				if panics[i] == nil {
					t.Errorf("transaction %d: want its panic", i)
				}
			default:
				want++
				if errs[i] != nil || panics[i] != nil {
					t.Errorf("transaction %d: %v %v", i, errs[i], panics[i])
				}
			}
		}
		var got int
		if err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
			return tx.QueryRowForTest(ctx, "SELECT COUNT(*) FROM gc_test WHERE n % 10 NOT IN (3, 7)", &got)
		}); err != nil {
			t.Fatal(err)
		}
		var bad int
		if err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
			return tx.QueryRowForTest(ctx, "SELECT COUNT(*) FROM gc_test WHERE n % 10 IN (3, 7)", &bad)
		}); err != nil {
			t.Fatal(err)
		}
		if got != want || bad != 0 {
			t.Errorf("kept %d rows of the %d that committed, and %d of the failed ones", got, want, bad)
		}
	})
}
