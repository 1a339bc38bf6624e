package territory_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/territory"
)

// sharedData is the project's shared real data, beside the repository.
func sharedData(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "data"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data not found at %s", p)
	}
	return p
}

func TestReadDivisionsSubtree(t *testing.T) {
	units, err := territory.ReadDivisions(sharedData(t, "china"), "360730")
	if err != nil {
		t.Fatal(err)
	}
	byLevel := map[wangge.Level]int{}
	for _, u := range units {
		byLevel[u.Level]++
	}
	// Ningdu: its province and city, itself, 24 towns and their villages.
	if byLevel[wangge.LevelProvince] != 1 || byLevel[wangge.LevelCity] != 1 || byLevel[wangge.LevelCounty] != 1 {
		t.Errorf("ancestors: %v", byLevel)
	}
	if byLevel[wangge.LevelStreet] < 20 || byLevel[wangge.LevelCommunity] < 300 {
		t.Errorf("subtree too small: %v", byLevel)
	}
	found := false
	for _, u := range units {
		if u.Code == "360730100019" {
			found = u.NameZH == "雪竹坪社区居委会" && u.ParentCode == "360730100"
		}
	}
	if !found {
		t.Error("雪竹坪社区 (360730100019) missing or wrong")
	}
}

func BenchmarkReadDivisions(b *testing.B) {
	dir := sharedData(b, "china")
	for b.Loop() {
		units, err := territory.ReadDivisions(dir, "")
		if err != nil || len(units) != 665276 {
			b.Fatal(len(units), err)
		}
	}
}
