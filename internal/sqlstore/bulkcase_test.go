package sqlstore_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

// TestLoadCases loads open cases in bulk and checks that they are cases
// like any other: numbered from the day counter (a case reported afterwards
// gets the next number), found by the scheduler when due, changed under
// the usual row lock, with a timeline row and counted in the statistics.
func TestLoadCases(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		deptUser, _, _ := seedCases(t, db)
		first := newCase(t, db, "360730100001001", nil, "")
		units := map[string]int64{}
		for _, code := range []string{"360730100001001", "360730100001002", "360730100002001"} {
			u, err := db.Unit(asAdmin(), code)
			if err != nil {
				t.Fatal(err)
			}
			units[code] = u.ID
		}
		codes := []string{"360730100001001", "360730100001002", "360730100002001"}
		const n = 1500 // more than one multi-row statement
		gen := func(i int, c *wangge.Case) {
			code := codes[i%len(codes)]
			next := testNow.Add(time.Duration(i-10) * time.Minute) // the first 10 are due at testNow
			due := next.Add(time.Hour)
			*c = wangge.Case{Status: wangge.StatusDispatched, Level: wangge.LevelGrid, UnitID: units[code], UnitCode: code,
				Category: "0101", Kind: wangge.KindEvent, Channel: wangge.ChannelImport, Description: "bulk", Lon: 116.01, Lat: 26.47,
				DepartmentID: deptUser.DepartmentID, ReportedAt: testNow.Add(-time.Hour), StepStartedAt: testNow.Add(-time.Hour),
				StepLimit: 3 * 8 * time.Hour, DueAt: &due, NextCheckAt: &next, Light: "green"}
		}
		if _, err := db.LoadCases(as(&wangge.User{Role: wangge.RoleOperator}), n, gen); wangge.ErrorCode(err) != wangge.EFORBIDDEN {
			t.Fatalf("an operator loads cases: %v", err)
		}
		firstID, err := db.LoadCases(asAdmin(), n, gen)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.Case(asAdmin(), firstID+n-1)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != wangge.StatusDispatched || c.NextCheckAt == nil || c.StepLimit != 24*time.Hour || c.Version != 1 {
			t.Errorf("last loaded case = %+v", c)
		}
		after := newCase(t, db, "360730100002001", nil, "")
		if db.Dialect() == sqlstore.SQLite {
			if c.Number != wangge.CaseNumber("360730", testNow.Add(-time.Hour), n+1) {
				t.Errorf("last loaded number = %s, want the %dth of the day", c.Number, n+1)
			}
			if want := wangge.CaseNumber("360730", testNow, n+2); after.Number != want || first.Number == after.Number {
				t.Errorf("case reported after the load = %s, want %s", after.Number, want)
			}
		} else {
			// PostgreSQL servers take numbers in blocks (see nextNumber): the
			// load numbers after the block the first case took, and the next
			// case still draws from that block.
			if c.Number != wangge.CaseNumber("360730", testNow.Add(-time.Hour), 64+n) {
				t.Errorf("last loaded number = %s, want %d after the first block", c.Number, 64+n)
			}
			if want := wangge.CaseNumber("360730", testNow, 2); after.Number != want {
				t.Errorf("case reported after the load = %s, want %s from the server's block", after.Number, want)
			}
		}

		due, err := db.DueCases(asAdmin(), testNow, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 11 || due[0] != firstID {
			t.Fatalf("due = %v, want the 11 first loaded cases from %d", due, firstID)
		}
		_, err = db.UpdateCase(asAdmin(), due[0], 0, true, func(cur wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
			next := cur
			next.Light, next.NextCheckAt = "yellow", nil
			return next, wangge.CaseEvent{At: testNow, Action: "yellow", From: cur.Status, To: cur.Status}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		events, err := db.CaseEvents(asAdmin(), due[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].Action != "import" || events[0].To != wangge.StatusDispatched || events[1].Action != "yellow" {
			t.Errorf("timeline = %+v", events)
		}

		st, _, err := db.Stats(asAdmin(), wangge.StatsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Reported != n+2 || st.ByStatus[wangge.StatusDispatched] != n {
			t.Errorf("stats: reported %d, dispatched %d; want %d, %d", st.Reported, st.ByStatus[wangge.StatusDispatched], n+2, n)
		}

		// A second load goes into a table that has rows (indexes kept).
		second, err := db.LoadCases(asAdmin(), 3, gen)
		if err != nil || second <= firstID+n {
			t.Fatalf("second load: first id %d, %v", second, err)
		}
		// Cases on 600 different days: more rollup rows than one statement holds.
		if _, err := db.LoadCases(asAdmin(), 600, func(i int, c *wangge.Case) {
			gen(i, c)
			c.ReportedAt = testNow.AddDate(0, 0, -i)
		}); err != nil {
			t.Fatal(err)
		}
		if st, _, err := db.Stats(asAdmin(), wangge.StatsFilter{}); err != nil || st.Reported != n+2+3+600 {
			t.Errorf("stats after a load over 600 days: %d reported, %v", st.Reported, err)
		}
		if _, err := db.LoadCases(asAdmin(), 1, func(i int, c *wangge.Case) { gen(i, c); c.UnitID = 0 }); wangge.ErrorCode(err) != wangge.EINVALID {
			t.Errorf("a case without a unit: %v", err)
		}
	})
}
