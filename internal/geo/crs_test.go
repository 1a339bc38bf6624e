package geo_test

import (
	"math"
	"strings"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

func near(a, b geo.Point, tol float64) bool {
	return math.Abs(a.X-b.X) <= tol && math.Abs(a.Y-b.Y) <= tol
}

// TestConvertReference checks published pairs. The Beijing pairs are the
// worked examples of the widely used coordtransform library; Tiananmen is
// the usual sanity check against what Amap shows.
func TestConvertReference(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to geo.CRS
		in, want geo.Point
		tol      float64
	}{
		{"Tiananmen WGS84 to GCJ-02", geo.WGS84, geo.GCJ02, geo.Point{X: 116.391305, Y: 39.905530}, geo.Point{X: 116.397545, Y: 39.906941}, 1e-5},
		{"Beijing WGS84 to GCJ-02", geo.WGS84, geo.GCJ02, geo.Point{X: 116.404, Y: 39.915}, geo.Point{X: 116.41024449916938, Y: 39.91640428150164}, 1e-9},
		{"Beijing GCJ-02 to BD-09", geo.GCJ02, geo.BD09, geo.Point{X: 116.404, Y: 39.915}, geo.Point{X: 116.41036949371029, Y: 39.92133699351021}, 1e-9},
		// The published inverse is the approximate closed form; ours is
		// refined, so agreement is only to its accuracy.
		{"Beijing BD-09 to GCJ-02", geo.BD09, geo.GCJ02, geo.Point{X: 116.404, Y: 39.915}, geo.Point{X: 116.39762729119315, Y: 39.90865673957631}, 2e-6},
		{"Beijing GCJ-02 to WGS84 (one-step inverse)", geo.GCJ02, geo.WGS84, geo.Point{X: 116.404, Y: 39.915}, geo.Point{X: 116.39775550083061, Y: 39.91359571849836}, 2e-5},
		{"same system is identity", geo.GCJ02, geo.GCJ02, geo.Point{X: 116.404, Y: 39.915}, geo.Point{X: 116.404, Y: 39.915}, 0},
	} {
		if got := geo.Convert(tc.in, tc.from, tc.to); !near(got, tc.want, tc.tol) {
			t.Errorf("%s: Convert(%v) = %v, want %v ± %g", tc.name, tc.in, got, tc.want, tc.tol)
		}
	}
}

func TestConvertRoundTrip(t *testing.T) {
	pairs := [][2]geo.CRS{{geo.WGS84, geo.GCJ02}, {geo.WGS84, geo.BD09}, {geo.GCJ02, geo.BD09}}
	r := &rng{s: 77}
	worst := 0.0
	for range 2000 {
		// All of China's rough box, where the obfuscation applies.
		p := geo.Point{X: 73 + 62*r.float(), Y: 3 + 50*r.float()}
		for _, pr := range pairs {
			for _, dir := range [][2]geo.CRS{pr, {pr[1], pr[0]}} {
				back := geo.Convert(geo.Convert(p, dir[0], dir[1]), dir[1], dir[0])
				d := geo.Distance(p, back)
				worst = math.Max(worst, d)
				if d >= 0.5 {
					t.Fatalf("%v %s→%s→%s is off by %.3f m", p, dir[0], dir[1], dir[0], d)
				}
			}
		}
	}
	if worst > 0.01 {
		t.Errorf("worst round trip %.4f m; the iterations should reach millimetres", worst)
	}
}

func TestConvertOutsideChina(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    geo.Point
	}{
		{"Boston", geo.Point{X: -71.0587, Y: 42.3594}},
		{"Köln", geo.Point{X: 6.9603, Y: 50.9375}},
		{"south of the box", geo.Point{X: 110, Y: 0.5}},
		{"north of the box", geo.Point{X: 110, Y: 56}},
	} {
		for _, pr := range [][2]geo.CRS{{geo.WGS84, geo.GCJ02}, {geo.GCJ02, geo.WGS84}} {
			if got := geo.Convert(tc.p, pr[0], pr[1]); got != tc.p {
				t.Errorf("%s: %s→%s moved %v to %v", tc.name, pr[0], pr[1], tc.p, got)
			}
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b geo.Point
		want float64
		tol  float64
	}{
		{"same point", geo.Point{X: 116, Y: 26}, geo.Point{X: 116, Y: 26}, 0, 0},
		{"one degree of latitude", geo.Point{X: 116, Y: 26}, geo.Point{X: 116, Y: 27}, 111195, 1},
		{"one degree of longitude at the equator", geo.Point{X: 0, Y: 0}, geo.Point{X: 1, Y: 0}, 111195, 1},
		{"Beijing to Shanghai", geo.Point{X: 116.4074, Y: 39.9042}, geo.Point{X: 121.4737, Y: 31.2304}, 1067000, 3000},
		{"antipodes", geo.Point{X: 0, Y: 0}, geo.Point{X: 180, Y: 0}, math.Pi * geo.EarthRadius, 1},
	} {
		if got := geo.Distance(tc.a, tc.b); math.Abs(got-tc.want) > tc.tol {
			t.Errorf("%s: Distance = %.1f m, want %.1f ± %g", tc.name, got, tc.want, tc.tol)
		}
	}
}

func TestParseCRS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want geo.CRS
		ok   bool
	}{
		{"", geo.WGS84, true},
		{"wgs84", geo.WGS84, true},
		{"WGS-84", geo.WGS84, true},
		{"CGCS2000", geo.WGS84, true},
		{"gcj02", geo.GCJ02, true},
		{"GCJ-02", geo.GCJ02, true},
		{" gcj02ll ", geo.GCJ02, true},
		{"bd09", geo.BD09, true},
		{"BD-09", geo.BD09, true},
		{"bd09ll", geo.BD09, true},
		{"bd09mc", "", false},
		{"mars", "", false},
		{strings.Repeat("x", 1000), "", false},
	} {
		got, err := geo.ParseCRS(tc.in)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("ParseCRS(%.20q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || wangge.ErrorCode(err) != wangge.EINVALID || wangge.ErrorFields(err)["crs"] == "" {
			t.Errorf("ParseCRS(%.20q) = %q, %v; want an invalid error on field crs", tc.in, got, err)
		}
		if len(wangge.ErrorMessage(err)) > 200 {
			t.Errorf("ParseCRS(%.20q): message of %d bytes echoes too much input", tc.in, len(wangge.ErrorMessage(err)))
		}
	}
}

func TestParseLatLon(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lat, lon string
		want     geo.Point
		badField []string
	}{
		{"plain", "26.472054", "116.018782", geo.Point{X: 116.018782, Y: 26.472054}, nil},
		{"signs and spaces", " -33.5 ", "+151", geo.Point{X: 151, Y: -33.5}, nil},
		{"exponent", "2.6e1", "1.16E2", geo.Point{X: 116, Y: 26}, nil},
		{"limits", "-90", "180", geo.Point{X: 180, Y: -90}, nil},
		{"empty lat", "", "116", geo.Point{}, []string{"lat"}},
		{"latitude out of range", "90.0001", "116", geo.Point{}, []string{"lat"}},
		{"longitude out of range", "26", "-180.5", geo.Point{}, []string{"lon"}},
		{"both bad", "abc", "1e999", geo.Point{}, []string{"lat", "lon"}},
		{"NaN", "NaN", "116", geo.Point{}, []string{"lat"}},
		{"infinity", "26", "Inf", geo.Point{}, []string{"lon"}},
		{"hexadecimal", "0x1p4", "116", geo.Point{}, []string{"lat"}},
		{"digit separators", "2_6", "116", geo.Point{}, []string{"lat"}},
		{"comma decimal", "26,5", "116", geo.Point{}, []string{"lat"}},
		{"overflow to infinity", "26", "1e400", geo.Point{}, []string{"lon"}},
		{"too long", "26." + strings.Repeat("1", 100), "116", geo.Point{}, []string{"lat"}},
		{"bare dot", ".", "116", geo.Point{}, []string{"lat"}},
		{"dangling exponent", "26e", "116", geo.Point{}, []string{"lat"}},
	} {
		got, err := geo.ParseLatLon(tc.lat, tc.lon)
		if tc.badField == nil {
			if err != nil || got != tc.want {
				t.Errorf("%s: ParseLatLon = %v, %v; want %v", tc.name, got, err, tc.want)
			}
			continue
		}
		fields := wangge.ErrorFields(err)
		if wangge.ErrorCode(err) != wangge.EINVALID || len(fields) != len(tc.badField) {
			t.Errorf("%s: ParseLatLon error %v; want invalid fields %v", tc.name, err, tc.badField)
			continue
		}
		for _, f := range tc.badField {
			if fields[f] == "" {
				t.Errorf("%s: error %v does not name %q", tc.name, err, f)
			}
		}
	}
}

func FuzzParseLatLon(f *testing.F) {
	for _, s := range [][2]string{{"26.472054", "116.018782"}, {"-90", "180"}, {"1e3", "x"}, {"", ""}, {"NaN", "Inf"}, {"0x1p2", "1_0"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, lat, lon string) {
		p, err := geo.ParseLatLon(lat, lon)
		if err != nil {
			if wangge.ErrorCode(err) != wangge.EINVALID || len(wangge.ErrorFields(err)) == 0 {
				t.Fatalf("error %v is not an invalid-input error with fields", err)
			}
			return
		}
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || p.Y < -90 || p.Y > 90 || p.X < -180 || p.X > 180 {
			t.Fatalf("ParseLatLon(%q, %q) = %v: out of range", lat, lon, p)
		}
	})
}
