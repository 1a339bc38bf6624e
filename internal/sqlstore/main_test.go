package sqlstore_test

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

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/pii"
	"github.com/wangge/wangge/internal/sqlstore"
)

// forEachDB runs fn against a fresh SQLite database and, when
// WANGGE_TEST_POSTGRES is set, against a fresh schema on that PostgreSQL
// server. A PostgreSQL that cannot be reached fails the test: it never
// skips, so CI cannot pass without having tested PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
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
		admin, err := sql.Open("pgx", dsn)
		if err == nil {
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

// MustOpenDB opens and migrates a database with a test key and a fixed clock.
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
	db.Now = func() time.Time { return testNow }
	return db
}

var testNow = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

func asAdmin() context.Context {
	return wangge.NewContextWithUser(context.Background(), &wangge.User{ID: 0, Username: "system", Role: wangge.RoleAdmin})
}

func as(u *wangge.User) context.Context { return wangge.NewContextWithUser(context.Background(), u) }

// seedTree creates county 360730 > street 360730100 > communities 001, 002 >
// two grids each, with square boundaries.
func seedTree(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	units := []wangge.Unit{
		{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县", NameEN: "Ningdu County"},
		{Code: "360730100", ParentCode: "360730", Level: wangge.LevelStreet, NameZH: "梅江镇"},
		{Code: "360730100001", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "中山南路社区"},
		{Code: "360730100002", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "中山北路社区"},
		{Code: "360730100001001", ParentCode: "360730100001", Level: wangge.LevelGrid, NameZH: "第1网格", Households: 400},
		{Code: "360730100001002", ParentCode: "360730100001", Level: wangge.LevelGrid, NameZH: "第2网格", Households: 350},
		{Code: "360730100002001", ParentCode: "360730100002", Level: wangge.LevelGrid, NameZH: "第1网格", Households: 300},
	}
	if err := db.CreateUnits(asAdmin(), units); err != nil {
		t.Fatal(err)
	}
}

func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := wangge.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}
