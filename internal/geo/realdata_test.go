package geo_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wangge/wangge/internal/geo"
)

// dataDir holds the project's shared real data, read-only.
const dataDir = "../../../shared/data/china"

func readFeatures(t *testing.T, name string) []geo.Feature {
	t.Helper()
	if _, err := os.Stat(dataDir); err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := geo.ParseFeatureCollection(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fs
}

func featureItems(fs []geo.Feature) []geo.Item {
	items := make([]geo.Item, len(fs))
	for i, f := range fs {
		items[i] = geo.Item{ID: int64(i + 1), Shape: f.Geometry}
	}
	return items
}

func TestRealBoundaries(t *testing.T) {
	for _, tc := range []struct {
		file     string
		features int
		crs      geo.CRS
		// Official land areas, as a sanity check of Area; the published
		// outlines are simplified, so the tolerance is loose.
		areaKm2 float64
	}{
		{"fuzhou_urban_streets_bigemap.geojson", 47, geo.WGS84, 0},
		{"fuzhou_350100_districts_datav.geojson", 13, geo.GCJ02, 11968},
		{"ningdu_360730_county_datav.geojson", 1, geo.GCJ02, 4053},
	} {
		t.Run(tc.file, func(t *testing.T) {
			fs := readFeatures(t, tc.file)
			if len(fs) != tc.features {
				t.Fatalf("got %d features, want %d", len(fs), tc.features)
			}
			for i := range fs {
				fs[i].Geometry = fs[i].Geometry.Transform(tc.crs, geo.WGS84)
			}
			items := featureItems(fs)
			if tc.areaKm2 > 0 {
				total := 0.0
				for _, it := range items {
					total += it.Shape.Area() / 1e6
				}
				if total < 0.9*tc.areaKm2 || total > 1.1*tc.areaKm2 {
					t.Errorf("total area %.0f km², official figure %.0f km²", total, tc.areaKm2)
				}
			}
			n := 3000
			if testing.Short() {
				n = 500
			}
			ix := geo.NewIndex(items)
			checkIndex(t, items, probes(items, ix, n, 5), false)
		})
	}
}

func TestNingduContainsCountySeat(t *testing.T) {
	fs := readFeatures(t, "ningdu_360730_county_datav.geojson")
	county := fs[0].Geometry.Transform(geo.GCJ02, geo.WGS84)
	// The DataV "center" property is the county seat in GCJ-02.
	seat := geo.Convert(geo.Point{X: 116.018782, Y: 26.472054}, geo.GCJ02, geo.WGS84)
	if !county.Contains(seat) {
		t.Fatalf("county boundary does not contain its seat %v", seat)
	}
	ix := geo.NewIndex([]geo.Item{{ID: 360730, Shape: county}})
	if id, ok := ix.Locate(seat); !ok || id != 360730 {
		t.Errorf("Locate(seat) = %d, %v", id, ok)
	}
	if c := county.Centroid(); geo.Distance(c, seat) > 30000 || !county.Contains(c) {
		t.Errorf("centroid %v is implausibly far from the seat %v", c, seat)
	}
	// Shifting by the GCJ-02 offset matters at street scale.
	if d := geo.Distance(seat, geo.Point{X: 116.018782, Y: 26.472054}); d < 100 || d > 1000 {
		t.Errorf("GCJ-02 offset at Ningdu is %.0f m; expected a few hundred metres", d)
	}
}
