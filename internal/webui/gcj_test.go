package webui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wangge/wangge/internal/geo"
)

// TestGCJConversionMatchesGo: the map's JavaScript conversion between
// WGS84 and GCJ-02 (map.js) gives what internal/geo gives, on the published
// reference points, across China's box, at its edges and outside it.
func TestGCJConversionMatchesGo(t *testing.T) {
	f := smallCounty(t)
	desk := tab(t)
	login(t, desk, f.base, "/", "operator")
	do(t, desk, "dashboard", chromedp.WaitVisible(css(`#kpis .kpi`)))

	pts := []geo.Point{
		{X: 116.391305, Y: 39.905530},               // Tiananmen
		{X: 116.404, Y: 39.915},                     // the coordtransform library's example
		{X: 116.004, Y: 26.468},                     // the test county
		{X: 72.005, Y: 0.83}, {X: 137.83, Y: 55.82}, // just inside the box
		{X: 72.0, Y: 30}, {X: 110, Y: 56}, {X: -71.0587, Y: 42.3594}, // outside
	}
	for lon := 73.0; lon <= 135; lon += 7.75 {
		for lat := 4.0; lat <= 53; lat += 7 {
			pts = append(pts, geo.Point{X: lon, Y: lat})
		}
	}
	in, _ := json.Marshal(pts)
	got, err := chromedp.Run(desk, chromedp.Evaluate[[][4]float64](fmt.Sprintf(`import(window.STATIC + '/js/map.js').then(m => %s.map(p => [...m.wgsToGcj(p.X, p.Y), ...m.gcjToWgs(p.X, p.Y)]))`, in), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(pts) {
		t.Fatalf("%d answers for %d points", len(got), len(pts))
	}
	for i, p := range pts {
		g := geo.Convert(p, geo.WGS84, geo.GCJ02)
		w := geo.Convert(p, geo.GCJ02, geo.WGS84)
		// The forward formula is the same arithmetic in the same order; the
		// inverse iterates to 1e-9° on both sides.
		if math.Abs(got[i][0]-g.X) > 1e-11 || math.Abs(got[i][1]-g.Y) > 1e-11 {
			t.Errorf("WGS84 %v to GCJ-02: JavaScript %v, Go %v", p, got[i][:2], g)
		}
		if math.Abs(got[i][2]-w.X) > 1e-8 || math.Abs(got[i][3]-w.Y) > 1e-8 {
			t.Errorf("GCJ-02 %v to WGS84: JavaScript %v, Go %v", p, got[i][2:], w)
		}
	}
}

// TestTilesGCJ serves map tiles from a local server whose only feature is
// a magenta disc at a known place, files a case (stored in WGS84) exactly
// there, and checks on screenshots of the command centre where the case's
// dot is drawn relative to the disc: on it when the tiles are declared in
// the system they are drawn in, GCJ-02 (AutoNavi, Tencent) or WGS84, and off
// by the GCJ-02 shift when GCJ-02 tiles are declared as WGS84 — which shows
// that the check sees the shift.
func TestTilesGCJ(t *testing.T) {
	browser(t)
	at := geo.Point{X: 116.004, Y: 26.468} // in grid 1 of the test county
	shifted := geo.Convert(at, geo.WGS84, geo.GCJ02)
	for _, tc := range []struct {
		name    string
		disc    geo.Point // where the tiles draw the case's place
		crs     string    // what the server is told about the tiles
		aligned bool
	}{
		{"GCJ-02 tiles declared gcj02", shifted, "gcj02", true},
		{"WGS84 tiles declared wgs84", at, "wgs84", true},
		{"GCJ-02 tiles declared wgs84", shifted, "wgs84", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tiles := httptest.NewServer(discTiles(tc.disc, 12))
			defer tiles.Close()
			t.Setenv("WANGGE_TILE_URL", tiles.URL+"/{z}/{x}/{y}.png")
			t.Setenv("WANGGE_TILE_CRS", tc.crs)
			f := smallCounty(t)
			var c struct{ ID int64 }
			f.api(t, "operator", "POST", "/api/v1/cases", map[string]any{"category": "0101", "description": "井盖缺失", "lat": at.Y, "lon": at.X}, &c)
			var got struct{ Light string }
			f.api(t, "operator", "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), nil, &got)
			if got.Light != "green" {
				t.Fatalf("the new case's light is %q; the test finds its dot by the green", got.Light)
			}

			desk := tab(t)
			do(t, desk, "viewport", chromedp.EmulateViewport(1400, 1000))
			login(t, desk, f.base, "/", "operator")
			do(t, desk, "points", chromedp.WaitReady(css(`body[data-points="1"]`)))
			settle(t, desk)
			// One step out, so that a shifted dot stays well inside the map.
			z0 := eval[float64](t, desk, `Number(document.querySelector('#map').dataset.zoom)`)
			do(t, desk, "zoom out", chromedp.Click(css(`.leaflet-control-zoom-out`)))
			waitJS(t, desk, "zoomed out", fmt.Sprintf(`Number(document.querySelector('#map').dataset.zoom) === %v`, z0-1))
			waitJS(t, desk, "tiles", `(() => {
				const m = document.querySelector('#map'); const tiles = [...m.querySelectorAll('.leaflet-tile-container img')]
				return !m.querySelector('.leaflet-zoom-anim') && tiles.length > 0 && tiles.every(i => i.complete && i.classList.contains('leaflet-tile-loaded')) })()`)
			time.Sleep(600 * time.Millisecond) // the tiles fade in
			zoom := eval[float64](t, desk, `Number(document.querySelector('#map').dataset.zoom)`)
			box := eval[map[string]float64](t, desk, `(() => { const r = document.querySelector('#map').getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height } })()`)
			area := image.Rect(int(box["x"]), int(box["y"]), int(box["x"]+box["w"]), int(box["y"]+box["h"]))

			tilesOnly := shoot(t, desk, `.leaflet-overlay-pane, .leaflet-marker-pane, .leaflet-tooltip-pane, .leaflet-control-container, .map-note { visibility: hidden !important }`)
			disc, n := centroid(tilesOnly, area, func(r, g, b uint8) bool { return r > 200 && g < 80 && b > 200 })
			if n < 400 { // π·12² ≈ 452
				t.Fatalf("the disc of the tiles is not all on the map (%d magenta pixels)", n)
			}
			overlaysOnly := shoot(t, desk, `.leaflet-tile-pane { visibility: hidden !important }`)
			dot, n := centroid(overlaysOnly, area, func(r, g, b uint8) bool { return g > 120 && int(g) > int(r)+50 && int(g) > int(b)+50 })
			if n < 30 {
				t.Fatalf("the case's dot is not on the map (%d green pixels)", n)
			}

			// How far the GCJ-02 shift moves a point at this zoom, in pixels.
			scale := 256 * math.Pow(2, zoom)
			sx, sy := mercator(shifted), mercator(at)
			shift := math.Hypot((sx[0]-sy[0])*scale, (sx[1]-sy[1])*scale)
			d := math.Hypot(disc[0]-dot[0], disc[1]-dot[1])
			t.Logf("zoom %.1f: the disc at %.1f,%.1f, the dot at %.1f,%.1f: %.1f px apart; the GCJ-02 shift is %.1f px", zoom, disc[0], disc[1], dot[0], dot[1], d, shift)
			if shift < 50 {
				t.Fatalf("the shift is %.1f px at zoom %.1f, too small to tell", shift, zoom)
			}
			if tc.aligned && d > 3 {
				t.Errorf("the case's dot is %.1f px from its place on the tiles; want it on it", d)
			}
			if !tc.aligned && math.Abs(d-shift) > 3 {
				t.Errorf("the case's dot is %.1f px from the disc; want the GCJ-02 shift, %.1f px", d, shift)
			}
		})
	}
}

// mercator returns the Web Mercator position of p in [0, 1]², as Leaflet's
// EPSG:3857 projects it before scaling by 256·2^zoom.
func mercator(p geo.Point) [2]float64 {
	s := math.Sin(p.Y * math.Pi / 180)
	return [2]float64{0.5 + p.X/360, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)}
}

// discTiles serves 256-pixel PNG tiles, /{z}/{x}/{y}.png, of a grey world
// with one magenta disc of radius r pixels centred on p.
func discTiles(p geo.Point, r float64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var z, x, y int
		if _, err := fmt.Sscanf(req.URL.Path, "/%d/%d/%d.png", &z, &x, &y); err != nil {
			http.NotFound(w, req)
			return
		}
		m := mercator(p)
		scale := 256 * math.Pow(2, float64(z))
		cx, cy := m[0]*scale-float64(x*256), m[1]*scale-float64(y*256)
		img := image.NewRGBA(image.Rect(0, 0, 256, 256))
		for j := range 256 {
			for i := range 256 {
				c := color.RGBA{225, 225, 225, 255}
				if math.Hypot(float64(i)+0.5-cx, float64(j)+0.5-cy) <= r {
					c = color.RGBA{255, 0, 255, 255}
				}
				img.SetRGBA(i, j, c)
			}
		}
		w.Header().Set("Content-Type", "image/png")
		png.Encode(w, img)
	})
}

// shoot takes a screenshot of the page with a style sheet added for it.
func shoot(t *testing.T, desk context.Context, style string) image.Image {
	t.Helper()
	eval[bool](t, desk, fmt.Sprintf(`(() => { let s = document.getElementById('test-style'); if (!s) { s = document.createElement('style'); s.id = 'test-style'; document.head.append(s) } s.textContent = %q; return true })()`, style))
	time.Sleep(100 * time.Millisecond)
	b, err := chromedp.Run(desk, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// centroid returns the mean position (pixel centres) of the pixels of area
// whose colour matches, and how many there are.
func centroid(img image.Image, area image.Rectangle, match func(r, g, b uint8) bool) ([2]float64, int) {
	var sx, sy float64
	n := 0
	area = area.Intersect(img.Bounds())
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if match(uint8(r>>8), uint8(g>>8), uint8(b>>8)) {
				sx += float64(x) + 0.5
				sy += float64(y) + 0.5
				n++
			}
		}
	}
	if n == 0 {
		return [2]float64{}, 0
	}
	return [2]float64{sx / float64(n), sy / float64(n)}, n
}

// settle waits until the command centre's map has ended any zoom (the
// first fit to the boundaries is animated) and painted its canvas whole.
func settle(t *testing.T, desk context.Context) {
	t.Helper()
	waitJS(t, desk, "map settled", `(() => { const m = document.querySelector('#map'); return !!m.dataset.zoom && !m.querySelector('.leaflet-zoom-anim') })()`)
	time.Sleep(300 * time.Millisecond)
}
