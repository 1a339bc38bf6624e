package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/pii"
)

// BenchmarkDueCases measures the scheduler's query for the cases due now
// with 10^5 and 10^6 open cases whose next looks are spread over 30 days
// (about 0.1 % due at the benchmark's now). With the next-check index the
// cost follows the cases due, not the cases open.
func BenchmarkDueCases(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(b.TempDir(), "sched.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			db.Keys, _ = pii.New(bytes.Repeat([]byte{1}, 32))
			now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
			admin := wangge.NewContextWithUser(ctx, &wangge.User{Role: wangge.RoleAdmin})
			if err := db.CreateUnits(admin, []wangge.Unit{{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县"}}); err != nil {
				b.Fatal(err)
			}
			cat := &wangge.Catalogue{Items: []wangge.DutyItem{{Code: "D01", NameZH: "x", NameEN: "x"}}, Categories: []wangge.Category{
				{Code: "01", Kind: wangge.KindEvent, NameZH: "x", NameEN: "x"},
				{Code: "0101", Kind: wangge.KindEvent, NameZH: "x", NameEN: "x", Item: "D01", Level: wangge.LevelCounty, Limits: wangge.Limits{
					Accept: wangge.Limit{Value: 1, Unit: "hours"}, Dispatch: wangge.Limit{Value: 1, Unit: "hours"}, Handle: wangge.Limit{Value: 1, Unit: "days"}, Verify: wangge.Limit{Value: 1, Unit: "days"}}}}}
			if err := db.SaveCatalogue(admin, cat); err != nil {
				b.Fatal(err)
			}
			u, _ := db.Unit(admin, "360730")
			rng := rand.New(rand.NewPCG(1, 2))
			cols := []string{"number", "status", "level", "unit_id", "unit_code", "category", "kind", "channel", "description", "reported_at", "updated_at", "step_started_at", "next_check_at"}
			err = db.Transact(ctx, func(tx *Tx) error {
				return tx.bulkInsert(ctx, "cases", cols, n, func(i int, dst []any) []any {
					next := now.Add(-time.Hour + time.Duration(rng.Int64N(int64(30*24*time.Hour))))
					return append(dst, fmt.Sprintf("360730-20261123-%07d", i), "dispatched", "county", u.ID, "360730", "0101", "event", "hotline", "x", now, now, now, next)
				})
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			due := 0
			for b.Loop() {
				ids, err := db.DueCases(ctx, now, 500)
				if err != nil {
					b.Fatal(err)
				}
				due = len(ids)
			}
			b.ReportMetric(float64(due), "due")
		})
	}
}
