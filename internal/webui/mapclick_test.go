package webui_test

import (
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestMapPointer: on the command centre's map, the dot of a case opens the
// case, a disc of several cases zooms in on them, hovering a unit names it
// with its open cases, and clicking a unit filters the page by its grid.
// The map draws all of this on one canvas and answers the mouse itself,
// so each is checked through the mouse at the place it is drawn.
func TestMapPointer(t *testing.T) {
	f := smallCounty(t)
	file := func(lat, lon float64) int64 {
		var c struct{ ID int64 }
		f.api(t, "operator", "POST", "/api/v1/cases", map[string]any{"category": "0101", "description": "垃圾堆积", "lat": lat, "lon": lon}, &c)
		if c.ID == 0 {
			t.Fatal("the case was not filed")
		}
		return c.ID
	}
	alone := file(26.470, 116.002) // grid 1, micro-grid 1
	file(26.462, 116.006)          // two at one place in grid 2: a disc
	file(26.462, 116.006)

	desk := tab(t)
	do(t, desk, "viewport", chromedp.EmulateViewport(1400, 1000))
	login(t, desk, f.base, "/", "operator")
	do(t, desk, "points", chromedp.WaitReady(css(`body[data-points="1"]`)))
	settle(t, desk)
	box := eval[map[string]float64](t, desk, `(() => { const r = document.querySelector('#map').getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height } })()`)
	area := image.Rect(int(box["x"]), int(box["y"]), int(box["x"]+box["w"]), int(box["y"]+box["h"]))
	blobs := greenBlobs(shoot(t, desk, ``), area)
	if len(blobs) != 2 {
		t.Fatalf("want a dot and a disc on the map, found %d green shapes: %v", len(blobs), blobs)
	}
	dot, disc := blobs[0], blobs[1]
	if dot.n > disc.n {
		dot, disc = disc, dot
	}

	// Hovering next to the dot names the unit there, with its open case.
	move := func(x, y float64) {
		do(t, desk, "move", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
	}
	move(dot.x-15, dot.y)
	waitJS(t, desk, "tooltip", `!!document.querySelector('.leaflet-tooltip')`)
	if s := eval[string](t, desk, `document.querySelector('.leaflet-tooltip').textContent`); !strings.Contains(s, "网格") || !strings.Contains(s, "在办 1") {
		t.Errorf("the tooltip next to the dot says %q; want the grid or micro-grid with 1 open case", s)
	}
	// Over the dot, the pointer says it can be clicked and no unit is named.
	move(dot.x, dot.y)
	waitJS(t, desk, "pointer", `document.querySelector('#map').classList.contains('map-pointer') && !document.querySelector('.leaflet-tooltip')`)

	// The disc zooms in by two steps.
	z0 := eval[float64](t, desk, `Number(document.querySelector('#map').dataset.zoom)`)
	do(t, desk, "disc", chromedp.MouseClickXY(disc.x, disc.y))
	waitJS(t, desk, "zoomed in", fmt.Sprintf(`Number(document.querySelector('#map').dataset.zoom) >= %v`, min(z0+2, 18)))

	// The dot opens its case.
	do(t, desk, "back", chromedp.Navigate(f.base+"/#/dashboard"), chromedp.Reload(), chromedp.WaitReady(css(`body[data-points="1"]`)))
	settle(t, desk)
	do(t, desk, "dot", chromedp.MouseClickXY(dot.x, dot.y))
	waitJS(t, desk, "case page", fmt.Sprintf(`location.hash === '#/case/%d'`, alone))

	// A click beside the dot filters the command centre by the grid there.
	do(t, desk, "back again", chromedp.Navigate(f.base+"/#/dashboard"), chromedp.Reload(), chromedp.WaitReady(css(`body[data-points="1"]`)))
	settle(t, desk)
	do(t, desk, "unit", chromedp.MouseClickXY(dot.x-15, dot.y))
	waitJS(t, desk, "filtered", fmt.Sprintf(`JSON.parse(localStorage.getItem('wangge.filters') || '{}').unit === %q`, grid1))
}

type blob struct {
	x, y float64 // centre
	n    int     // pixels
}

// greenBlobs finds the shapes of the map's green (the dots and discs of
// cases without a deadline near) in area, largest last.
func greenBlobs(img image.Image, area image.Rectangle) []blob {
	area = area.Intersect(img.Bounds())
	green := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return g>>8 > 120 && int(g>>8) > int(r>>8)+50 && int(g>>8) > int(b>>8)+50
	}
	seen := map[image.Point]bool{}
	var out []blob
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			if seen[image.Pt(x, y)] || !green(x, y) {
				continue
			}
			var sx, sy float64
			n := 0
			stack := []image.Point{image.Pt(x, y)}
			seen[image.Pt(x, y)] = true
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				sx += float64(p.X) + 0.5
				sy += float64(p.Y) + 0.5
				n++
				for _, q := range []image.Point{{p.X + 1, p.Y}, {p.X - 1, p.Y}, {p.X, p.Y + 1}, {p.X, p.Y - 1}} {
					if q.In(area) && !seen[q] && green(q.X, q.Y) {
						seen[q] = true
						stack = append(stack, q)
					}
				}
			}
			if n >= 20 { // the disc's digits leave specks
				out = append(out, blob{sx / float64(n), sy / float64(n), n})
			}
		}
	}
	return out
}
