package sqlstore_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

// TestStatsEveryLevel checks every kind of question (unit at each level,
// periods that cut months or not, every grouping, filters, scopes) against
// a count of the cases, while deltas are pending, after folds, after a new
// level of units makes the levels grow, and after a rebuild.
func TestStatsEveryLevel(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		deptUser, _, _ := seedCases(t, db)
		more := []wangge.Unit{
			{Code: "360730200", ParentCode: "360730", Level: wangge.LevelStreet, NameZH: "青塘镇"},
			{Code: "360730200001", ParentCode: "360730200", Level: wangge.LevelCommunity, NameZH: "青塘村"},
			{Code: "360730200001001", ParentCode: "360730200001", Level: wangge.LevelGrid, NameZH: "第1网格"},
		}
		if err := db.CreateUnits(asAdmin(), more); err != nil {
			t.Fatal(err)
		}
		other := &wangge.Department{Code: "gaj", NameZH: "公安局", NameEN: "Police", UnitCode: "360730"}
		if err := db.CreateDepartment(asAdmin(), other); err != nil {
			t.Fatal(err)
		}
		// Cases of grids, and a few filed at a community, a street and
		// the county itself.
		codes := []string{"360730100001001", "360730100001002", "360730100002001", "360730200001001",
			"360730100001001", "360730200001", "360730100", "360730"}
		ids := map[string]int64{}
		for _, c := range codes {
			u, err := db.Unit(asAdmin(), c)
			if err != nil {
				t.Fatal(err)
			}
			ids[c] = u.ID
		}
		cat := *testCatalogue
		second := cat.Categories[1]
		second.Code, second.NameZH, second.NameEN = "0102", "道路不洁", "Dirty road"
		cat.Categories = append(slices.Clone(cat.Categories), second)
		if err := db.SaveCatalogue(asAdmin(), &cat); err != nil {
			t.Fatal(err)
		}
		depts := []*int64{nil, deptUser.DepartmentID, &other.ID}
		cats := []string{"0101", "0102"}
		start := time.Date(2026, 1, 20, 0, 0, 0, 0, wangge.ChinaTime)
		draw := func(rng *rand.Rand, c *wangge.Case) {
			c.Status = wangge.RollupStatuses[rng.IntN(len(wangge.RollupStatuses))]
			c.DepartmentID = depts[rng.IntN(len(depts))]
			c.Overdue = rng.IntN(4) == 0
			c.Light = []string{"green", "yellow", "red"}[rng.IntN(3)]
			c.Rating = 0
			if c.Status == wangge.StatusRated {
				c.Rating = 1 + rng.IntN(5)
			}
		}
		const n = 400
		_, err := db.LoadCases(asAdmin(), n, func(i int, c *wangge.Case) {
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			unit := codes[rng.IntN(len(codes))]
			at := start.Add(time.Duration(rng.IntN(70*24)) * time.Hour) // 20 Jan .. end of March
			*c = wangge.Case{UnitID: ids[unit], UnitCode: unit, Category: cats[rng.IntN(2)], Kind: wangge.KindEvent, Level: wangge.LevelGrid,
				Channel: wangge.ChannelGridWorker, Description: "井盖缺失", Lon: 116, Lat: 26.5, CRS: "wgs84",
				ReportedAt: at.UTC(), StepStartedAt: at.UTC(), StepLimit: time.Hour}
			draw(rng, c)
		})
		if err != nil {
			t.Fatal(err)
		}
		all := func() []*wangge.Case {
			var out []*wangge.Case
			for off := 0; ; off += 1000 {
				page, _, err := db.FindCases(asAdmin(), sqlstore.CaseFilter{Limit: 1000, Offset: off})
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, page...)
				if len(page) < 1000 {
					return out
				}
			}
		}
		rng := rand.New(rand.NewPCG(7, 7))
		change := func(k int) {
			cs := all()
			for i := 0; i < k; i++ {
				c := cs[rng.IntN(len(cs))]
				_, err := db.UpdateCase(asAdmin(), c.ID, 0, false, func(c wangge.Case) (wangge.Case, wangge.CaseEvent, error) {
					draw(rng, &c)
					return c, wangge.CaseEvent{At: testNow, Action: "comment"}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		worker := as(&wangge.User{ID: 99, Role: wangge.RoleGridWorker, Units: []string{"360730100002", "360730200001001"}})
		day := func(s string) *time.Time {
			if s == "" {
				return nil
			}
			d, err := time.ParseInLocation("2006-01-02", s, wangge.ChinaTime)
			if err != nil {
				t.Fatal(err)
			}
			return &d
		}
		periods := [][2]string{{"", ""}, {"2026-02-01", "2026-03-01"}, {"2026-01-25", "2026-03-10"}, {"2026-02-03", "2026-02-17"},
			{"2026-02-10", ""}, {"", "2026-02-20"}, {"2026-03-01", ""}, {"2026-01-01", "2026-04-01"}}
		groups := []struct {
			by    string
			depth int
		}{{"", 0}, {"category", 0}, {"major", 0}, {"department", 0}, {"day", 0}, {"unit", 6}, {"unit", 9}, {"unit", 12}, {"unit", 15}, {"unit", 4}}
		// -short (CI, under the race detector) asks every fifth question
		// of each stage, a different fifth each time; the full run all.
		every, turn := 1, 0
		if testing.Short() {
			every = 5
		}
		check := func(stage string) {
			t.Helper()
			cases := all()
			seen, checked := 0, 0
			turn++
			for _, root := range []string{"", "360730", "360730100", "360730200", "360730100001", "360730100001001"} {
				for _, p := range periods {
					for _, g := range groups {
						for _, filt := range []struct {
							cat  string
							dept int64
						}{{"", 0}, {"01", 0}, {"0102", 0}, {"", other.ID}} {
							if seen++; (seen+turn)%every != 0 {
								continue
							}
							f := wangge.StatsFilter{Unit: root, From: day(p[0]), To: day(p[1]), GroupBy: g.by, UnitDepth: g.depth,
								Category: filt.cat, Department: filt.dept}
							ctx := asAdmin()
							if root == "360730100001001" && g.by == "unit" && g.depth == 12 {
								f.Unit, ctx = "", worker // the worker's two roots
							}
							gotTotal, gotGroups, err := db.Stats(ctx, f)
							if err != nil {
								t.Fatalf("%s: %+v: %v", stage, f, err)
							}
							for i := range gotGroups { // names are checked with the children
								gotGroups[i].NameZH, gotGroups[i].NameEN = "", ""
							}
							wantTotal, wantGroups := countStats(cases, f, ctx == worker)
							if !reflect.DeepEqual(gotTotal, wantTotal) || !reflect.DeepEqual(gotGroups, wantGroups) {
								t.Fatalf("%s: %+v (from %s to %s):\n got %+v %+v\nwant %+v %+v", stage, f, p[0], p[1], gotTotal, gotGroups, wantTotal, wantGroups)
							}
							checked++
						}
					}
				}
			}
			if checked < seen/every {
				t.Fatalf("%s: %d questions checked of %d", stage, checked, seen)
			}
		}
		check("loaded")
		// The children of everything: the county alone at 2, 4 and 6
		// digits, so its streets (and the cases filed at the county).
		_, kids, err := db.Stats(asAdmin(), wangge.StatsFilter{GroupBy: "children"})
		if err != nil || len(kids) != 3 || kids[0].Key != "360730" || kids[1].Key != "360730100" || kids[1].NameZH != "梅江镇" || kids[2].NameZH != "青塘镇" {
			t.Errorf("children: %+v %v", kids, err)
		}
		_, kids, err = db.Stats(asAdmin(), wangge.StatsFilter{Unit: "360730100", GroupBy: "children"})
		if err != nil || len(kids) < 2 || kids[0].Key != "360730100" || kids[1].Key != "360730100001" || kids[1].NameZH != "中山南路社区" {
			t.Errorf("children of a street: %+v %v", kids, err)
		}
		change(150)
		check("deltas pending")
		if n, err := db.FoldStats(asAdmin()); err != nil || n == 0 {
			t.Fatalf("fold: %d %v", n, err)
		}
		check("folded")
		// The case list's total comes from the statistics when the
		// filter allows: it must be the number of cases listed.
		yes, no := true, false
		for _, cf := range []sqlstore.CaseFilter{{}, {Open: &yes}, {Open: &no, Unit: "360730100"}, {Status: []wangge.Status{wangge.StatusRated, wangge.StatusClosed}},
			{Category: "0102", Department: other.ID}, {From: day("2026-02-03"), To: day("2026-03-01"), Open: &yes}, {Light: "red"}} {
			cf.Limit = 1000
			items, total, err := db.FindCases(asAdmin(), cf)
			if err != nil || total != len(items) || total == 0 {
				t.Errorf("FindCases(%+v): total %d, %d listed, %v", cf, total, len(items), err)
			}
		}
		if items, total, err := db.FindCases(worker, sqlstore.CaseFilter{Unit: "360730100", Limit: 1000}); err != nil || total != len(items) || total == 0 {
			t.Errorf("worker's cases under the street: total %d, %d listed, %v", total, len(items), err)
		}
		change(100)
		check("folded, then more deltas")
		// A province and a city above the county: the levels grow, and
		// the next fold rebuilds case_stats for them.
		if err := db.CreateUnits(asAdmin(), []wangge.Unit{
			{Code: "36", Level: wangge.LevelProvince, NameZH: "江西省"},
			{Code: "3607", ParentCode: "36", Level: wangge.LevelCity, NameZH: "赣州市"},
		}); err != nil {
			t.Fatal(err)
		}
		change(30)
		if _, err := db.FoldStats(asAdmin()); err != nil {
			t.Fatal(err)
		}
		check("province added")
		for _, root := range []string{"36", "3607"} {
			got, _, err := db.Stats(asAdmin(), wangge.StatsFilter{Unit: root, From: day("2026-02-03"), To: day("2026-03-17")})
			want, _ := countStats(all(), wangge.StatsFilter{Unit: root, From: day("2026-02-03"), To: day("2026-03-17")}, false)
			if err != nil || !reflect.DeepEqual(got, want) || got.Reported == 0 {
				t.Errorf("%s: %+v %v, want %+v", root, got, err, want)
			}
		}
		if err := db.RebuildStats(asAdmin()); err != nil {
			t.Fatal(err)
		}
		check("rebuilt")
		if err := db.RebuildStats(as(deptUser)); wangge.ErrorCode(err) != wangge.EFORBIDDEN {
			t.Errorf("rebuild by a department user: %v", err)
		}
	})
}

// countStats answers a statistics question by looking at every case.
func countStats(cases []*wangge.Case, f wangge.StatsFilter, scoped bool) (wangge.Stats, []wangge.Stats) {
	roots := []string{f.Unit}
	if scoped {
		roots = []string{"360730100002", "360730200001001"}
	}
	var total wangge.RollupVector
	byKey := map[string]*wangge.RollupVector{}
	for _, c := range cases {
		in := false
		for _, r := range roots {
			in = in || wangge.InSubtree(c.UnitCode, r)
		}
		k, v := wangge.Rollup(c)
		if !in || (f.From != nil && k.Day < f.From.In(wangge.ChinaTime).Format("2006-01-02")) ||
			(f.To != nil && k.Day >= f.To.In(wangge.ChinaTime).Format("2006-01-02")) ||
			!strings.HasPrefix(c.Category, f.Category) || (f.Department != 0 && k.DepartmentID != f.Department) {
			continue
		}
		var key string
		switch f.GroupBy {
		case "category":
			key = c.Category
		case "major":
			key = c.Category[:2]
		case "department":
			key = strconv.FormatInt(k.DepartmentID, 10)
		case "day":
			key = k.Day
		case "unit":
			key = c.UnitCode[:min(f.UnitDepth, len(c.UnitCode))]
		}
		s := byKey[key]
		if s == nil {
			s = new(wangge.RollupVector)
			byKey[key] = s
		}
		for i := range v {
			s[i] += v[i]
			total[i] += v[i]
		}
	}
	var groups []wangge.Stats
	if f.GroupBy != "" && f.GroupBy != "status" {
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			groups = append(groups, wangge.StatsOf(k, *byKey[k]))
		}
	}
	return wangge.StatsOf("", total), groups
}
