package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

func TestUsersAndSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		ctx := context.Background()
		u := &wangge.User{Username: "police01", Role: wangge.RoleGridPolice, Units: []string{"360730100001001", "360730100002001"}}
		if err := db.CreateUser(asAdmin(), u, "short"); wangge.ErrorFields(err)["password"] == "" {
			t.Fatalf("short password: %v", err)
		}
		if err := db.CreateUser(asAdmin(), &wangge.User{Username: "x y", Role: "boss"}, "longenough"); len(wangge.ErrorFields(err)) != 2 {
			t.Fatalf("bad user: %v", err)
		}
		mustCode(t, db.CreateUser(asAdmin(), &wangge.User{Username: "ghost", Role: wangge.RoleGridWorker, Units: []string{"999"}}, "longenough"), wangge.EINVALID)
		mustCode(t, db.CreateUser(as(u), &wangge.User{Username: "mine", Role: wangge.RoleAdmin}, "longenough"), wangge.EFORBIDDEN)
		if err := db.CreateUser(asAdmin(), u, "correct horse"); err != nil {
			t.Fatal(err)
		}
		mustCode(t, db.CreateUser(asAdmin(), &wangge.User{Username: "police01", Role: wangge.RoleGridPolice}, "longenough"), wangge.ECONFLICT)

		_, _, err := db.Login(ctx, "police01", "wrong horse", "api")
		mustCode(t, err, wangge.EUNAUTHORIZED)
		_, _, err2 := db.Login(ctx, "nobody", "wrong horse", "api")
		if wangge.ErrorMessage(err) != wangge.ErrorMessage(err2) {
			t.Error("a failed login must not tell whether the user exists")
		}
		token, me, err := db.Login(ctx, "police01", "correct horse", "api")
		if err != nil || len(token) < 40 || me.ID != u.ID || len(me.Units) != 2 {
			t.Fatalf("login = %q %+v %v", token, me, err)
		}
		got, err := db.Authenticate(ctx, token)
		if err != nil || got.Username != "police01" {
			t.Fatalf("authenticate = %+v %v", got, err)
		}
		_, err = db.Authenticate(ctx, token+"x")
		mustCode(t, err, wangge.EUNAUTHORIZED)

		// Sessions expire.
		later := *db
		later.Now = func() time.Time { return testNow.Add(sqlstore.SessionTTL + time.Second) }
		_, err = later.Authenticate(ctx, token)
		mustCode(t, err, wangge.EUNAUTHORIZED)

		if err := db.SetAssignments(asAdmin(), u.ID, []string{"360730100001", "360730100001001"}); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Authenticate(ctx, token)
		if len(got.Units) != 1 || got.Units[0] != "360730100001" {
			t.Errorf("assignments not normalised: %v", got.Units)
		}
		if err := db.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		_, err = db.Authenticate(ctx, token)
		mustCode(t, err, wangge.EUNAUTHORIZED)

		users, total, err := db.Users(asAdmin(), wangge.RoleGridPolice, 0, 0)
		if err != nil || total != 1 || users[0].Username != "police01" {
			t.Fatalf("users = %v %d %v", users, total, err)
		}
		_, err = db.User(as(&wangge.User{ID: 999, Role: wangge.RoleGridWorker}), u.ID)
		mustCode(t, err, wangge.ENOTFOUND)
	})
}

func TestDepartments(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		d := &wangge.Department{Code: "gaj", NameZH: "公安局", NameEN: "Public Security Bureau", UnitCode: "360730"}
		if err := db.CreateDepartment(asAdmin(), d); err != nil {
			t.Fatal(err)
		}
		mustCode(t, db.CreateDepartment(asAdmin(), d), wangge.ECONFLICT)
		mustCode(t, db.CreateDepartment(asAdmin(), &wangge.Department{Code: "x", NameZH: "x", UnitCode: "1"}), wangge.EINVALID)
		ds, err := db.Departments(as(&wangge.User{Role: wangge.RoleGridWorker, Units: []string{"360730100001001"}}))
		if err != nil || len(ds) != 1 {
			t.Fatalf("a grid worker sees the county's departments: %v %v", ds, err)
		}
	})
}
