package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// boxes is a FeatureCollection of rectangles in the fixture's grid (see
// rect), each with a Chinese name.
func boxes(parts ...[5]any) string {
	var fs []string
	for _, p := range parts {
		mp := rect(p[1].(float64), p[2].(float64), p[3].(float64), p[4].(float64))
		var ring []string
		for _, pt := range mp[0][0] {
			ring = append(ring, fmt.Sprintf("[%.6f,%.6f]", pt.X, pt.Y))
		}
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","properties":{"name_zh":%q},"geometry":{"type":"Polygon","coordinates":[[%s]]}}`, p[0], strings.Join(ring, ",")))
	}
	return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
}

// setText puts text into a field as typing would, with an input event.
func setText(sel, text string) chromedp.Action[chromedp.Void] {
	js, _ := json.Marshal(text)
	q, _ := json.Marshal(sel)
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.querySelector(%s); el.value = %s; el.dispatchEvent(new Event('input', { bubbles: true })) })()`, q, js))
}

// acceptConfirms makes window.confirm answer yes, as the user would.
var acceptConfirms = chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`)

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	q, _ := json.Marshal(sel)
	return eval[string](t, ctx, fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || ''`, q))
}

// TestSplitThroughAdmin splits grid 1 into its west and east halves in the
// units screen: a plan with a gap is refused next to the GeoJSON, the
// right one is previewed (coverage, new codes, children moving, the map),
// confirmed, and the new grids and the history appear.
func TestSplitThroughAdmin(t *testing.T) {
	f := smallCounty(t)
	ctx := tab(t)
	login(t, ctx, f.base, "/", "admin")
	do(t, ctx, "units screen",
		chromedp.Navigate(f.base+"/#/admin/units?level=grid"),
		chromedp.WaitVisible(css(`tr[data-unit="`+grid1+`"]`)),
		chromedp.Click(css(`[data-split="`+grid1+`"]`)),
		chromedp.WaitVisible(css(`#split-form textarea[name=geojson]`)))

	// A gap: the east half stops short.
	do(t, ctx, "preview with a gap",
		setText(`#split-form textarea[name=geojson]`, boxes([5]any{"一网格西片", 0.0, 1.0, 1.0, 3.0}, [5]any{"一网格东片", 1.0, 1.0, 2.0, 2.5})),
		chromedp.Click(css(`#split-form button[data-step=preview]`)),
		chromedp.WaitVisible(css(`#split-form .field-error[data-for=geojson]`)))
	if msg := text(t, ctx, `#split-form .field-error[data-for=geojson]`); !strings.Contains(msg, "空隙") || !strings.Contains(msg, "%") {
		t.Errorf("gap message next to the GeoJSON: %q", msg)
	}
	if eval[bool](t, ctx, `!document.querySelector('#split-form button[data-step=confirm]').disabled`) {
		t.Fatal("confirm is enabled after a refused preview")
	}

	// The right parts: preview, then confirm.
	do(t, ctx, "preview",
		setText(`#split-form textarea[name=geojson]`, boxes([5]any{"一网格西片", 0.0, 1.0, 1.0, 3.0}, [5]any{"一网格东片", 1.0, 1.0, 2.0, 3.0})),
		chromedp.Click(css(`#split-form button[data-step=preview]`)),
		chromedp.WaitVisible(css(`#change-plan`)))
	if n := eval[int](t, ctx, `document.querySelectorAll('#change-plan tr[data-new]').length`); n != 2 {
		t.Errorf("%d new units in the plan, want 2", n)
	}
	if c := eval[string](t, ctx, `document.querySelector('#change-plan [data-coverage]').dataset.coverage`); c != "1" {
		t.Errorf("coverage %s, want 1", c)
	}
	for _, mv := range [][2]string{{grid1 + "001", "360730100001003001"}, {grid1 + "002", "360730100001004002"}} {
		if got := text(t, ctx, `#change-plan tr[data-move="`+mv[0]+`"]`); !strings.Contains(got, mv[1]) {
			t.Errorf("plan moves %s to %q, want %s", mv[0], got, mv[1])
		}
	}
	if !eval[bool](t, ctx, `!!document.querySelector('#split-form .change-map.leaflet-container') && !document.querySelector('#split-form .change-map').hidden`) {
		t.Error("no preview map")
	}
	// Nothing changed yet.
	var unit map[string]any
	if st := f.api(t, "admin", "GET", "/api/v1/units/"+grid1, nil, &unit); st != 200 {
		t.Fatalf("after the preview the grid answers %d", st)
	}
	do(t, ctx, "confirm",
		chromedp.Click(css(`#split-form button[data-step=confirm]`)),
		chromedp.WaitVisible(css(`#unit-history tr[data-change=split]`)),
		chromedp.WaitVisible(css(`tr[data-unit="360730100001003"]`)),
		chromedp.WaitVisible(css(`tr[data-unit="360730100001004"]`)))
	if eval[bool](t, ctx, `!!document.querySelector('tr[data-unit="`+grid1+`"]')`) {
		t.Error("the split grid is still listed")
	}
	// The locator knows the new shapes; the history of a part shows the split.
	var loc struct{ Units []struct{ Code string } }
	lat, lon := 26.46+2*0.004, 116.00+1.5*0.004
	f.api(t, "", "GET", fmt.Sprintf("/api/v1/locate?lat=%f&lon=%f", lat, lon), nil, &loc)
	if n := len(loc.Units); n == 0 || loc.Units[n-1].Code != "360730100001004002" {
		t.Errorf("the point of the east micro-grid is in %+v", loc.Units)
	}
	do(t, ctx, "history of a part",
		chromedp.Click(css(`[data-history="360730100001004"]`)),
		chromedp.WaitVisible(css(`#unit-history[data-unit="360730100001004"] tr[data-change=split]`)))
	if got := text(t, ctx, `#unit-history tr[data-change=split]`); !strings.Contains(got, grid1) || !strings.Contains(got, "admin") {
		t.Errorf("history row %q", got)
	}
}

// TestMergeThroughAdmin merges the two grids of community 1: units that are
// not siblings are refused next to the picked list, then the merge is
// previewed, confirmed and shows in the history.
func TestMergeThroughAdmin(t *testing.T) {
	f := smallCounty(t)
	ctx := tab(t)
	login(t, ctx, f.base, "/", "admin")
	do(t, ctx, "units screen",
		chromedp.Navigate(f.base+"/#/admin/units?level=grid"),
		chromedp.WaitVisible(css(`tr[data-unit="`+grid1+`"]`)),
		chromedp.Click(css(`tr[data-unit="`+grid1+`"] input[name=merge]`)),
		chromedp.Click(css(`tr[data-unit="360730100002001"] input[name=merge]`)),
		chromedp.SendKeys(css(`#merge-form input[name=name_zh]`), "一社区合并网格"),
		chromedp.Click(css(`#merge-form button[data-step=preview]`)),
		chromedp.WaitVisible(css(`#merge-form .field-error[data-for=codes]`)))
	if msg := text(t, ctx, `#merge-form .field-error[data-for=codes]`); !strings.Contains(msg, "不是同一上级") {
		t.Errorf("not-siblings message: %q", msg)
	}
	do(t, ctx, "preview",
		chromedp.Click(css(`tr[data-unit="360730100002001"] input[name=merge]`)),
		chromedp.Click(css(`tr[data-unit="`+grid2+`"] input[name=merge]`)),
		chromedp.Click(css(`#merge-form button[data-step=preview]`)),
		chromedp.WaitVisible(css(`#change-plan tr[data-new="360730100001003"]`)))
	if n := eval[int](t, ctx, `document.querySelectorAll('#change-plan tr[data-move]').length`); n != 4 {
		t.Errorf("%d children move in the plan, want 4", n)
	}
	do(t, ctx, "confirm",
		chromedp.Click(css(`#merge-form button[data-step=confirm]`)),
		chromedp.WaitVisible(css(`#unit-history[data-unit="360730100001003"] tr[data-change=merge]`)),
		chromedp.WaitVisible(css(`tr[data-unit="360730100001003"]`)))
	var u struct {
		NameZH   string `json:"name_zh"`
		Boundary struct{ Coordinates []any }
	}
	if st := f.api(t, "admin", "GET", "/api/v1/units/360730100001003", nil, &u); st != 200 || u.NameZH != "一社区合并网格" || len(u.Boundary.Coordinates) != 2 {
		t.Errorf("merged unit: %d %+v", st, u)
	}
}

// TestCalendarsThroughAdmin edits the county's own calendar through the
// screen against the real endpoints: a local holiday is saved and survives a
// reload, mistakes are shown next to their inputs in the user's language,
// and the calendar is deleted.
func TestCalendarsThroughAdmin(t *testing.T) {
	f := smallCounty(t)
	ctx := tab(t)
	login(t, ctx, f.base, "/", "admin")
	do(t, ctx, "calendars screen",
		chromedp.Navigate(f.base+"/#/admin/calendars"),
		chromedp.WaitVisible(css(`#calendar-form`)),
		chromedp.WaitVisible(css(`#calendars-empty`)))
	if v := eval[string](t, ctx, `document.querySelector('#calendar-form [name=unit_code]').value`); v != county {
		t.Fatalf("unit filled with %q, want the admin's county %s", v, county)
	}
	// Two rows on one date: the server names the second.
	do(t, ctx, "duplicate day",
		chromedp.Click(css(`#calendar-add-day`)),
		chromedp.SetValue(css(`[name="calendar.overrides[0].date"]`), "2026-11-20"),
		chromedp.SendKeys(css(`[name="calendar.overrides[0].name"]`), "县庆日"),
		chromedp.Click(css(`#calendar-add-day`)),
		chromedp.SetValue(css(`[name="calendar.overrides[1].date"]`), "2026-11-20"),
		chromedp.Click(css(`#calendar-form button[type=submit]`)),
		chromedp.WaitVisible(css(`.field-error[data-for="calendar.overrides[1].date"]`)))
	if msg := text(t, ctx, `.field-error[data-for="calendar.overrides[1].date"]`); msg != "与前面的重复" {
		t.Errorf("duplicate date message: %q", msg)
	}
	do(t, ctx, "save",
		chromedp.Click(css(`tr[data-day]:nth-child(2) button`)),
		chromedp.Click(css(`#calendar-form button[type=submit]`)),
		chromedp.WaitVisible(css(`tr[data-calendar="`+county+`"]`)))
	var list struct {
		Calendars []struct {
			UnitCode string `json:"unit_code"`
			Calendar struct {
				Base      string
				Overrides []struct{ Date, Kind, Name string }
			}
		}
	}
	f.api(t, "admin", "GET", "/api/v1/calendars", nil, &list)
	if len(list.Calendars) != 1 || list.Calendars[0].UnitCode != county || list.Calendars[0].Calendar.Base != "cn" ||
		len(list.Calendars[0].Calendar.Overrides) != 1 || list.Calendars[0].Calendar.Overrides[0] != (struct{ Date, Kind, Name string }{"2026-11-20", "holiday", "县庆日"}) {
		t.Errorf("stored calendars: %+v", list)
	}
	do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(css(`tr[data-calendar="`+county+`"]`)))
	if got := text(t, ctx, `tr[data-calendar="`+county+`"]`); !strings.Contains(got, "2026-11-20") || !strings.Contains(got, "县庆日") {
		t.Errorf("after a reload the row says %q", got)
	}

	// An own calendar with an unknown zone, in English: the message is
	// next to the zone.
	do(t, ctx, "bad zone",
		chromedp.Click(css(`#lang-switch`)),
		chromedp.Click(css(`[data-edit="`+county+`"]`)),
		chromedp.SetValue(css(`#calendar-form [name="calendar.base"]`), ""),
		setText(`#calendar-form [name="calendar.zone"]`, "Mars/Olympus"),
		setText(`#calendar-form [name="calendar.weekdays"]`, "1,2,3,4,5"),
		setText(`#calendar-form [name="calendar.hours"]`, "08:30-12:00"),
		chromedp.Click(css(`#calendar-form button[type=submit]`)),
		chromedp.WaitVisible(css(`.field-error[data-for="calendar.zone"]`)))
	if msg := text(t, ctx, `.field-error[data-for="calendar.zone"]`); msg != "Unknown time zone" {
		t.Errorf("zone message: %q", msg)
	}
	do(t, ctx, "bad hours",
		setText(`#calendar-form [name="calendar.zone"]`, "Asia/Shanghai"),
		setText(`#calendar-form [name="calendar.hours"]`, "08:30-12:00,2pm-5pm"),
		chromedp.Click(css(`#calendar-form button[type=submit]`)),
		chromedp.WaitVisible(css(`.field-error[data-for="calendar.hours[1]"]`)))
	if msg := text(t, ctx, `.field-error[data-for="calendar.hours[1]"]`); msg != "An interval such as 08:30-12:00" {
		t.Errorf("hours message: %q", msg)
	}

	// Delete it.
	do(t, ctx, "delete",
		acceptConfirms,
		chromedp.Click(css(`[data-delete="`+county+`"]`)),
		chromedp.WaitVisible(css(`#calendars-empty`)))
	f.api(t, "admin", "GET", "/api/v1/calendars", nil, &list)
	if len(list.Calendars) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}
