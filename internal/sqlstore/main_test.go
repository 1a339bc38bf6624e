package sqlstore_test

import (
	"context"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

var (
	forEachDB  = sqlstoretest.ForEachDB
	MustOpenDB = sqlstoretest.MustOpenDB
)

var testNow = sqlstoretest.Now

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
