package geo_test

import (
	"os"
	"testing"
	"time"

	"github.com/wangge/wangge/internal/geo"
)

func TestTuneHuge(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	items := benchLattice(1000000).items()
	geo.UseHuge = false
	a := geo.NewIndex(items)
	geo.UseHuge = true
	b := geo.NewIndex(items)
	pts := queryPoints(items, 1<<22)
	best := [2]time.Duration{time.Hour, time.Hour}
	for range 7 {
		for k, ix := range []*geo.Index{a, b} {
			t0 := time.Now()
			for i := range 1 << 22 {
				ix.Locate(pts[i])
			}
			best[k] = min(best[k], time.Since(t0))
		}
	}
	t.Logf("no huge %.1f ns, huge %.1f ns", float64(best[0].Nanoseconds())/(1<<22), float64(best[1].Nanoseconds())/(1<<22))
}
