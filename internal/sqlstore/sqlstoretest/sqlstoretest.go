// Package sqlstoretest opens real test databases: a fresh SQLite file, and
// a fresh schema on the PostgreSQL named by WANGGE_TEST_POSTGRES. A
// PostgreSQL that cannot be reached fails the test instead of skipping it.
package sqlstoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wangge/wangge/internal/pii"
	"github.com/wangge/wangge/internal/sqlstore"
)

// Now is the fixed clock of test databases.
var Now = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// ForEachDB runs fn as parallel subtests "sqlite" and, when
// WANGGE_TEST_POSTGRES is set, "postgres", each on a fresh database.
func ForEachDB(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, MustOpenDB(t, filepath.Join(t.TempDir(), "test.db")))
	})
	if dsn := os.Getenv("WANGGE_TEST_POSTGRES"); dsn != "" {
		t.Run("postgres", func(t *testing.T) {
			t.Parallel()
			fn(t, MustOpenDB(t, PostgresSchema(t, dsn)))
		})
	}
}

// PostgresSchema creates an empty schema for one test and returns a DSN
// whose search_path points at it; the schema is dropped at the end.
func PostgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("WANGGE_TEST_POSTGRES: %v", err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("WANGGE_TEST_POSTGRES=%s: cannot create a test schema: %v", dsn, err)
	}
	t.Cleanup(func() {
		if admin, err := sql.Open("pgx", dsn); err == nil {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MustOpenDB opens and migrates a database with a test key and the fixed
// clock Now.
func MustOpenDB(t testing.TB, dsn string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Keys, _ = pii.New(bytes.Repeat([]byte{42}, 32))
	db.Now = func() time.Time { return Now }
	return db
}
