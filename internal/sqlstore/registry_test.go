package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

// idFor completes 17 digits with the GB 11643 check character.
func idFor(first17 string) string {
	c, _ := wangge.IDCheckDigit(first17)
	return first17 + string(c)
}

func seedRegistry(t *testing.T, db *sqlstore.DB) (worker *wangge.User, p1, p2 *wangge.Person) {
	t.Helper()
	seedTree(t, db)
	worker = &wangge.User{Username: "gw1", Role: wangge.RoleGridWorker, Units: []string{"360730100001001"}}
	if err := db.CreateUser(asAdmin(), worker, "password1"); err != nil {
		t.Fatal(err)
	}
	b := &wangge.Building{Code: "3607301000010010001", UnitCode: "360730100001001", Address: "宁都县梅江镇中山南路1号", Floors: 6, Lon: 116.01, Lat: 26.47}
	if err := db.CreateBuilding(as(worker), b); err != nil {
		t.Fatal(err)
	}
	h := &wangge.Household{BuildingID: b.ID, Room: "101", HeadName: "张演示", Members: 2}
	if err := db.CreateHousehold(as(worker), h); err != nil {
		t.Fatal(err)
	}
	if h.UnitCode != b.UnitCode || h.Address != b.Address+"101" {
		t.Fatalf("household did not take the building's unit and address: %+v", h)
	}
	p1 = &wangge.Person{HouseholdID: h.ID, Name: "张演示", IDNumber: idFor("36073019400101001"), Phone: "19900001111", Tags: []string{wangge.TagElderlyAlone}, Relation: "head"}
	if err := db.CreatePerson(as(worker), p1); err != nil {
		t.Fatal(err)
	}
	p2 = &wangge.Person{UnitCode: "360730100002001", Name: "李演示", IDNumber: idFor("36073019900101002")}
	if err := db.CreatePerson(asAdmin(), p2); err != nil {
		t.Fatal(err)
	}
	return worker, p1, p2
}

func TestPersonsEncryptedMaskedScoped(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		worker, p1, p2 := seedRegistry(t, db)
		plainID := idFor("36073019400101001")
		if p1.IDNumber != wangge.MaskIDNumber(plainID) || p1.Phone != "199****1111" || p1.UnitCode != "360730100001001" || p1.CareTier != wangge.CareHighRisk {
			t.Fatalf("created person = %+v", p1)
		}
		got, err := db.Person(as(worker), p1.ID)
		if err != nil || got.IDNumber != "360***********"+plainID[14:] || got.Sex != wangge.SexMale || got.BirthDate.Year() != 1940 {
			t.Fatalf("read back = %+v, %v", got, err)
		}
		// Outside the worker's grid: exactly like a missing person.
		_, err = db.Person(as(worker), p2.ID)
		mustCode(t, err, wangge.ENOTFOUND)
		_, err = db.Person(as(worker), 987654)
		mustCode(t, err, wangge.ENOTFOUND)
		// A person may not be registered outside one's scope either.
		err = db.CreatePerson(as(worker), &wangge.Person{UnitCode: "360730100002001", Name: "x", IDNumber: idFor("36073019900101003")})
		mustCode(t, err, wangge.EINVALID)
		// The same ID number cannot be registered twice.
		err = db.CreatePerson(asAdmin(), &wangge.Person{UnitCode: "360730100002001", Name: "y", IDNumber: plainID})
		mustCode(t, err, wangge.ECONFLICT)

		// Found by the lookup hash, not by scanning plaintext.
		list, total, err := db.Persons(as(worker), sqlstore.RegistryFilter{IDNumber: strings.ToLower(plainID)})
		if err != nil || total != 1 || list[0].ID != p1.ID {
			t.Fatalf("lookup by id number = %v %d %v", list, total, err)
		}
		list, total, _ = db.Persons(asAdmin(), sqlstore.RegistryFilter{Tag: wangge.TagElderlyAlone})
		if total != 1 || list[0].ID != p1.ID {
			t.Errorf("tag filter = %d", total)
		}
		_, total, _ = db.Persons(as(worker), sqlstore.RegistryFilter{})
		if total != 1 {
			t.Errorf("worker sees %d persons, want 1", total)
		}
	})
}

func TestNoPlaintextAtRest(t *testing.T) {
	dsn := t.TempDir() + "/plain.db"
	db := MustOpenDB(t, dsn)
	seedRegistry(t, db)
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query("SELECT * FROM persons")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rows.Scan(ptrs...)
		for i, v := range vals {
			var s string
			switch v := v.(type) {
			case string:
				s = v
			case []byte:
				s = string(v)
			}
			for _, secret := range []string{idFor("36073019400101001"), "19900001111", idFor("36073019900101002")} {
				if strings.Contains(s, secret) {
					t.Errorf("column %s holds %s in the clear", cols[i], secret)
				}
			}
		}
	}
}

func TestRevealIsLogged(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		worker, p1, p2 := seedRegistry(t, db)
		ctx := as(worker)
		_, err := db.Reveal(ctx, p1.ID, "id_number", "")
		mustCode(t, err, wangge.EINVALID)
		_, err = db.Reveal(ctx, p1.ID, "password", "because")
		mustCode(t, err, wangge.EINVALID)
		_, err = db.Reveal(ctx, p2.ID, "id_number", "checking")
		mustCode(t, err, wangge.ENOTFOUND)
		_, err = db.Reveal(as(&wangge.User{ID: worker.ID, Role: wangge.RoleResident, Units: worker.Units}), p1.ID, "phone", "curious")
		mustCode(t, err, wangge.EFORBIDDEN)

		plain, err := db.Reveal(ctx, p1.ID, "id_number", "核实低保申请")
		if err != nil || plain != idFor("36073019400101001") {
			t.Fatalf("reveal = %q, %v", plain, err)
		}
		if phone, _ := db.Reveal(ctx, p1.ID, "phone", "回访"); phone != "19900001111" {
			t.Errorf("phone = %q", phone)
		}
		log, total, err := db.AccessLog(asAdmin(), p1.ID, 0, 0)
		if err != nil || total != 2 || log[0].Field != "phone" || log[1].Reason != "核实低保申请" || log[1].Username != "gw1" || !log[1].At.Equal(testNow) {
			t.Fatalf("access log = %+v %d %v", log, total, err)
		}
		_, _, err = db.AccessLog(ctx, 0, 0, 0)
		mustCode(t, err, wangge.EFORBIDDEN)
	})
}

func TestAccessLogAppendOnly(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		worker, p1, _ := seedRegistry(t, db)
		if _, err := db.Reveal(as(worker), p1.ID, "id_number", "test"); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{"UPDATE pii_access_log SET reason = 'x'", "DELETE FROM pii_access_log"} {
			err := db.Transact(context.Background(), func(tx *sqlstore.Tx) error { return tx.ExecForTest(context.Background(), stmt) })
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v", stmt, err)
			}
		}
	})
}

func TestVisits(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		worker, p1, p2 := seedRegistry(t, db)
		ctx := as(worker)
		due := testNow
		list, _, _ := db.Persons(ctx, sqlstore.RegistryFilter{VisitDue: &due})
		if len(list) != 1 {
			t.Fatalf("a new person is due for a visit: %v", list)
		}
		at := testNow.Add(-time.Hour)
		if err := db.RecordVisit(ctx, &wangge.Visit{PersonID: p1.ID, At: at, Note: "身体健康"}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Person(ctx, p1.ID)
		if !got.LastVisit.Equal(at) || !got.NextVisit.Equal(at.AddDate(0, 0, 7)) {
			t.Errorf("high-risk person: last %v next %v", got.LastVisit, got.NextVisit)
		}
		// A visit synced late, older than the last one, does not move the schedule back.
		if err := db.RecordVisit(ctx, &wangge.Visit{PersonID: p1.ID, At: at.Add(-48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Person(ctx, p1.ID)
		if !got.LastVisit.Equal(at) {
			t.Errorf("schedule moved back to %v", got.LastVisit)
		}
		vs, total, err := db.Visits(ctx, p1.ID, 0, 0)
		if err != nil || total != 2 || vs[0].Note != "身体健康" || vs[0].VisitorID != worker.ID {
			t.Fatalf("visits = %+v %d %v", vs, total, err)
		}
		mustCode(t, db.RecordVisit(ctx, &wangge.Visit{PersonID: p2.ID}), wangge.ENOTFOUND)
		mustCode(t, db.RecordVisit(ctx, &wangge.Visit{PersonID: p1.ID, At: testNow.Add(time.Hour)}), wangge.EINVALID)

		// A visit recorded offline and sent twice records once.
		for range 2 {
			v := &wangge.Visit{PersonID: p1.ID, At: at.Add(-time.Minute), Note: "离线记录", IdempotencyKey: "k-1"}
			if err := db.RecordVisit(ctx, v); err != nil || v.ID == 0 || v.Note != "离线记录" {
				t.Fatalf("visit with a key = %+v, %v", v, err)
			}
		}
		if _, total, _ := db.Visits(ctx, p1.ID, 0, 0); total != 3 {
			t.Errorf("%d visits after a visit sent twice, want 3", total)
		}
	})
}

func TestLoadRegistry(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedTree(t, db)
		bs := []wangge.Building{{Code: "3607301000010010001", UnitCode: "360730100001001", Address: "a"}, {Code: "3607301000020010001", UnitCode: "360730100002001", Address: "b"}}
		hs := []wangge.Household{{BuildingID: 1, UnitCode: "360730100002001", Address: "b101"}, {BuildingID: -1, UnitCode: "360730100001001", Address: "c"}}
		var ps []wangge.Person
		for i := 0; i < 3000; i++ { // more than one bulk chunk
			ps = append(ps, wangge.Person{HouseholdID: int64(i % 2), UnitCode: hs[i%2].UnitCode, Name: "演示", IDNumber: idFor(fmt.Sprintf("360730%s%03d", time.Date(1980, 1, 1+i/1000, 0, 0, 0, 0, time.UTC).Format("20060102"), i%1000))})
		}
		bad := append([]wangge.Person(nil), ps...)
		bad = append(bad, wangge.Person{HouseholdID: 0, UnitCode: "360730100002001", Name: "坏", IDNumber: "123"})
		err := db.LoadRegistry(asAdmin(), bs, hs, bad)
		if wangge.ErrorFields(err)["persons[3000].id_number"] == "" {
			t.Fatalf("bad row: %v", err)
		}
		if err := db.LoadRegistry(asAdmin(), bs, hs, ps); err != nil {
			t.Fatal(err)
		}
		_, total, _ := db.Persons(asAdmin(), sqlstore.RegistryFilter{Household: hs[0].ID})
		if total != 1500 {
			t.Errorf("household %d has %d persons, want 1500", hs[0].ID, total)
		}
		h, err := db.Household(asAdmin(), hs[0].ID)
		if err != nil || h.BuildingID != bs[1].ID {
			t.Errorf("household building = %v, %v; want %d", h, err, bs[1].ID)
		}
		// Ids continue after a bulk load.
		b := &wangge.Building{Code: "3607301000010010002", UnitCode: "360730100001001", Address: "d"}
		if err := db.CreateBuilding(asAdmin(), b); err != nil || b.ID != bs[1].ID+1 {
			t.Errorf("next building id = %d, %v", b.ID, err)
		}
	})
}
