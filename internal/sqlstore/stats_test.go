package sqlstore_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

// TestRollupsMatchCases moves random cases through random changes (status,
// department, overdue) and checks that the statistics summed from rollups
// equal what a scan of the cases says, for totals and every grouping.
func TestRollupsMatchCases(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		deptUser, _, _ := seedCases(t, db)
		other := &wangge.Department{Code: "gaj", NameZH: "公安局", NameEN: "Police", UnitCode: "360730"}
		if err := db.CreateDepartment(asAdmin(), other); err != nil {
			t.Fatal(err)
		}
		depts := []*int64{nil, deptUser.DepartmentID, &other.ID}
		rng := rand.New(rand.NewPCG(4, 4))
		units := []string{"360730100001001", "360730100001002", "360730100002001"}
		var ids []int64
		for i := 0; i < 60; i++ {
			c := newCase(t, db, units[rng.IntN(len(units))], nil, "")
			ids = append(ids, c.ID)
		}
		for i := 0; i < 300; i++ {
			id := ids[rng.IntN(len(ids))]
			_, err := db.UpdateCase(asAdmin(), id, 0, false, func(c wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
				c.Status = wangge.RollupStatuses[rng.IntN(len(wangge.RollupStatuses))]
				c.DepartmentID = depts[rng.IntN(len(depts))]
				if rng.IntN(5) == 0 {
					c.Overdue = true
				}
				return c, wangge.CaseEvent{At: testNow, Action: "comment"}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		all, _, err := db.FindCases(asAdmin(), sqlstore.CaseFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]wangge.RollupVector{}
		var total wangge.RollupVector
		for _, c := range all {
			_, v := wangge.Rollup(c)
			key := "0"
			if c.DepartmentID != nil {
				key = strconv.FormatInt(*c.DepartmentID, 10)
			}
			w := want[key]
			for i := range v {
				w[i] += v[i]
				total[i] += v[i]
			}
			want[key] = w
		}
		got, groups, err := db.Stats(asAdmin(), wangge.StatsFilter{GroupBy: "department"})
		if err != nil {
			t.Fatal(err)
		}
		if exp := wangge.StatsOf("", total); got.Reported != 60 || got.Closed != exp.Closed || got.ClosedOnTime != exp.ClosedOnTime || got.Overdue != exp.Overdue || got.Open != exp.Open {
			t.Errorf("totals: rollup %+v, cases %+v", got, exp)
		}
		if len(groups) != len(want) {
			t.Errorf("%d department groups, want %d", len(groups), len(want))
		}
		for _, g := range groups {
			exp := wangge.StatsOf(g.Key, want[g.Key])
			if g.Reported != exp.Reported || g.Closed != exp.Closed || g.ClosureRate != exp.ClosureRate {
				t.Errorf("department %s: rollup %+v, cases %+v", g.Key, g, exp)
			}
		}
		// A unit subtree and the caller's scope.
		sub, _, err := db.Stats(asAdmin(), wangge.StatsFilter{Unit: "360730100001"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range all {
			if wangge.InSubtree(c.UnitCode, "360730100001") {
				n++
			}
		}
		if sub.Reported != n {
			t.Errorf("community subtree: %d, want %d", sub.Reported, n)
		}
		worker := as(&wangge.User{ID: 99, Role: wangge.RoleGridWorker, Units: []string{"360730100002001"}})
		if _, _, err := db.Stats(worker, wangge.StatsFilter{Unit: "360730100001"}); wangge.ErrorCode(err) != wangge.ENOTFOUND {
			t.Errorf("stats outside scope: %v", err)
		}
		mine, units2, _ := db.Stats(worker, wangge.StatsFilter{GroupBy: "unit", UnitDepth: 15})
		if len(units2) > 1 || (len(units2) == 1 && units2[0].Key != "360730100002001") || mine.Reported != n2(all, "360730100002001") {
			t.Errorf("worker's own stats: %+v %+v", mine, units2)
		}
		// Period: everything was reported on testNow's China day.
		day := testNow.Add(24 * time.Hour)
		none, _, _ := db.Stats(asAdmin(), wangge.StatsFilter{From: &day})
		if none.Reported != 0 {
			t.Errorf("cases reported after today: %d", none.Reported)
		}
	})
}

func n2(all []*wangge.Case, unit string) int {
	n := 0
	for _, c := range all {
		if c.UnitCode == unit {
			n++
		}
	}
	return n
}

func TestStatsRates(t *testing.T) {
	var v wangge.RollupVector
	v[0], v[6], v[7], v[8], v[9], v[11] = 4, 3, 1, 1, 1, 3 // 4 reported, 3 closed, 1 rated, 1 rejected, 1 merged, 3 on time
	s := wangge.StatsOf("", v)
	if s.Reported != 10 || s.DueToClose != 8 || s.Closed != 4 || s.ClosureRate != 0.5 || s.OnTimeRate != 3.0/8 || s.Open != 4 {
		t.Errorf("%+v", s)
	}
}

// TestTotalsAddedOnUpgrade: a database whose statistics were built before
// the all-time totals of the fine levels existed (its stored shape has no
// "t:" part) gets them at its next fold, without a rebuild of the rest,
// and the open cases per community of a street are then read from them.
func TestTotalsAddedOnUpgrade(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedCases(t, db)
		for i, u := range []string{"360730100001001", "360730100001002", "360730100001002", "360730100002001"} {
			c := newCase(t, db, u, nil, "")
			if i == 0 {
				if _, err := db.UpdateCase(asAdmin(), c.ID, 0, false, func(c wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
					c.Status = wangge.StatusClosed
					return c, wangge.CaseEvent{At: testNow, Action: "close"}, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := db.FoldStats(asAdmin()); err != nil {
			t.Fatal(err)
		}
		q := wangge.StatsFilter{Unit: "360730100", GroupBy: "unit", UnitDepth: 12}
		_, want, err := db.Stats(asAdmin(), q)
		if err != nil {
			t.Fatal(err)
		}
		// Back to the shape of before: no totals below street.
		var fine int
		err = db.Transact(asAdmin(), func(tx *sqlstore.Tx) error {
			if err := tx.ExecForTest(asAdmin(), "DELETE FROM case_stats WHERE span = 'a0' AND depth > 9"); err != nil {
				return err
			}
			return tx.ExecForTest(asAdmin(), "UPDATE stats_meta SET v = 'a:6,9;d:6' WHERE k = 'shape'")
		})
		if err != nil {
			t.Fatal(err)
		}
		newCase(t, db, "360730100002001", nil, "") // something to fold
		if _, err := db.FoldStats(asAdmin()); err != nil {
			t.Fatal(err)
		}
		err = db.Transact(asAdmin(), func(tx *sqlstore.Tx) error {
			return tx.QueryRowForTest(asAdmin(), "SELECT COUNT(*) FROM case_stats WHERE span = 'a0' AND depth = 12", &fine)
		})
		if err != nil || fine != 2 {
			t.Fatalf("community totals after the fold: %d rows (%v), want one a community with cases (2)", fine, err)
		}
		_, got, err := db.Stats(asAdmin(), q)
		if err != nil {
			t.Fatal(err)
		}
		// The same over a period wider than the data, from case_rollup.
		from, to := time.Date(2000, 1, 1, 0, 0, 0, 0, wangge.ChinaTime), time.Date(2100, 1, 1, 0, 0, 0, 0, wangge.ChinaTime)
		wide := q
		wide.From, wide.To = &from, &to
		if _, want, err = db.Stats(asAdmin(), wide); err != nil {
			t.Fatal(err)
		}
		if len(want) != 2 || want[1].Open != 2 {
			t.Fatalf("from case_rollup: %+v", want)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("open per community after the upgrade:\n got %+v\nwant %+v", got, want)
		}
	})
}

// TestUnitCountsMatchStats: the map's two sums per unit are those of the
// full statistics, at every depth, with and without a period, folded or
// not, for the whole territory and for a scope.
func TestUnitCountsMatchStats(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		seedCases(t, db)
		units := []string{"360730100001001", "360730100001002", "360730100002001"}
		for i := 0; i < 24; i++ {
			c := newCase(t, db, units[i%len(units)], nil, "")
			if i%4 == 0 {
				if _, err := db.UpdateCase(asAdmin(), c.ID, 0, false, func(c wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
					c.Status = wangge.StatusClosed
					return c, wangge.CaseEvent{At: testNow, Action: "close"}, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			if i == 12 {
				if _, err := db.FoldStats(asAdmin()); err != nil { // half folded, half pending
					t.Fatal(err)
				}
			}
		}
		from, to := testNow.AddDate(0, 0, -1), testNow.AddDate(0, 0, 1)
		checked := 0
		cadre := as(&wangge.User{ID: 98, Role: wangge.RoleCadre, Units: []string{"360730100001"}})
		for _, ctx := range []context.Context{asAdmin(), cadre} {
			for _, root := range []string{"", "360730", "360730100", "360730100001"} {
				for _, depth := range []int{9, 12, 15} {
					for _, period := range [][2]*time.Time{{nil, nil}, {&from, &to}} {
						f := wangge.StatsFilter{Unit: root, GroupBy: "unit", UnitDepth: depth, From: period[0], To: period[1]}
						if ctx == cadre && root != "" && root != "360730100001" {
							continue // outside the cadre's scope
						}
						_, groups, err := db.Stats(ctx, f)
						if wangge.ErrorCode(err) == wangge.ENOTFOUND {
							continue
						}
						if err != nil {
							t.Fatal(err)
						}
						got, err := db.UnitCounts(ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						var want []sqlstore.UnitCount
						for _, g := range groups {
							if g.Open != 0 || g.Red != 0 {
								want = append(want, sqlstore.UnitCount{Code: g.Key, Open: g.Open, Red: g.Red})
							}
						}
						if !reflect.DeepEqual(got, want) {
							t.Errorf("%+v: counts %+v, statistics say %+v", f, got, want)
						}
						checked++
					}
				}
			}
		}
		if checked != 4*3*2+2*3*2 {
			t.Errorf("checked %d questions", checked)
		}
	})
}
