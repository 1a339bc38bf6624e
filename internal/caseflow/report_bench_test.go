package caseflow_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/pii"
	"github.com/wangge/wangge/internal/sqlstore"
)

// BenchmarkReport files cases one after another on SQLite, the way intake
// does: place, duplicate check, clock, one transaction.
func BenchmarkReport(b *testing.B) {
	f := benchFixture(b)
	now := cst("2025-11-03 09:00")
	b.ResetTimer()
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range b.N {
		// Anywhere in the grid's 10 km square.
		lon, lat := 116.0+rng.Float64()/10, 26.4+rng.Float64()/10
		if _, err := f.svc.Report(as(f.worker), &wangge.Case{Category: "0101", Channel: wangge.ChannelGridWorker, Description: "暴露垃圾",
			Lon: lon, Lat: lat, ReporterID: &f.worker.ID}, now.Add(time.Duration(i)*time.Second)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyncReportAndClose files a case the way a sync key does
// (reported, accepted, dispatched) and reports it closed, one after another.
func BenchmarkSyncReportAndClose(b *testing.B) {
	f := benchFixture(b)
	now := cst("2025-11-03 09:00")
	rng := rand.New(rand.NewPCG(4, 4))
	b.ResetTimer()
	for i := range b.N {
		at := now.Add(time.Duration(i) * time.Second)
		c, err := f.svc.ReportSynced(admin, &wangge.Case{Category: "0101", Channel: wangge.ChannelOpen311, Description: "暴露垃圾",
			Lon: 116.0 + rng.Float64()/10, Lat: 26.4 + rng.Float64()/10}, at, "bench", false)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.svc.Sync(admin, c.ID, at.Add(time.Hour), "bench", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// benchFixture is the fixture of setup on a file SQLite database (as a
// server runs it), closed at the end of the benchmark.
func benchFixture(b *testing.B) *fixture {
	dir := b.TempDir()
	db, err := sqlstore.Open(admin, filepath.Join(dir, "w.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	keys, _, err := pii.Load(filepath.Join(dir, "k"), true)
	if err != nil {
		b.Fatal(err)
	}
	db.Keys = keys
	if _, err := db.Migrate(admin); err != nil {
		b.Fatal(err)
	}
	return setup(&testing.T{}, db)
}
