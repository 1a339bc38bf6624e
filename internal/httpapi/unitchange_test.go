package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// featureCollection is a GeoJSON FeatureCollection of boxes with names.
func featureCollection(parts ...[5]any) string {
	var fs []string
	for _, p := range parts {
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","properties":{"name_zh":%q},"geometry":%s}`, p[0], square(p[1].(float64), p[2].(float64), p[3].(float64), p[4].(float64))))
	}
	return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
}

type changeAnswer struct {
	ID         int64
	Kind       string
	From, To   []string
	DryRun     bool `json:"dry_run"`
	CasesMoved int  `json:"cases_moved"`
	Moves      []struct{ From, To string }
	Coverage   *struct{ Ratio float64 }
	Units      []struct {
		Code     string
		Boundary json.RawMessage
	}
}

func locateChain(e *env, lat, lon string) string {
	var loc struct{ Units []struct{ Code string } }
	e.do("", "GET", "/api/v1/locate?lat="+lat+"&lon="+lon, nil, 200, &loc)
	var codes []string
	for _, u := range loc.Units {
		codes = append(codes, u.Code)
	}
	return strings.Join(codes, ">")
}

func TestSplitUnitHTTP(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		const grid = "360730100001001"
		fc := featureCollection([5]any{"西片", 116.0, 26.4, 116.025, 26.5}, [5]any{"东片", 116.025, 26.4, 116.05, 26.5})

		// Refusals, each naming the field at fault.
		e.do("gw1", "POST", "/api/v1/units/"+grid+"/split", fc, 403, nil)
		e.do("admin", "POST", "/api/v1/units/360730100001009/split", fc, 404, nil)
		for _, tt := range []struct{ name, path, body, field string }{
			{"gap", grid + "/split", featureCollection([5]any{"西片", 116.0, 26.4, 116.025, 26.5}, [5]any{"东片", 116.025, 26.4, 116.05, 26.45}), "features"},
			{"outside", grid + "/split", featureCollection([5]any{"西片", 116.0, 26.4, 116.025, 26.5}, [5]any{"东片", 116.025, 26.4, 116.06, 26.5}), "features[1].geometry"},
			{"no name", grid + "/split", featureCollection([5]any{"", 116.0, 26.4, 116.025, 26.5}, [5]any{"东片", 116.025, 26.4, 116.05, 26.5}), "features[0].properties.name_zh"},
			{"bad geometry", grid + "/split", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[116,26.4],[116.1,26.4],[116,26.5]]]}}]}`, "features[0].geometry.coordinates[0]"},
			{"list without boundary", grid + "/split", `[{"name_zh":"西片"},{"name_zh":"东片","boundary":` + square(116.025, 26.4, 116.05, 26.5) + `}]`, "parts[0].boundary"},
			{"dry_run word", grid + "/split?dry_run=perhaps", fc, "dry_run"},
		} {
			var ae apiError
			e.do("admin", "POST", "/api/v1/units/"+tt.path, tt.body, 400, &ae)
			if ae.Code != "invalid" || ae.Fields[tt.field] == "" {
				t.Errorf("%s: %+v, want a problem with %s", tt.name, ae, tt.field)
			}
		}

		// The dry run plans without changing anything.
		var plan changeAnswer
		e.do("admin", "POST", "/api/v1/units/"+grid+"/split?dry_run=true", fc, 200, &plan)
		if !plan.DryRun || plan.ID != 0 || strings.Join(plan.To, ",") != "360730100001002,360730100001003" || plan.Coverage == nil || plan.Coverage.Ratio != 1 || len(plan.Units) != 2 || len(plan.Units[1].Boundary) == 0 {
			t.Errorf("dry run: %+v", plan)
		}
		if got := locateChain(e, "26.45", "116.04"); got != "360730>360730100>360730100001>"+grid {
			t.Errorf("after the dry run the point is in %s", got)
		}
		var hist []changeAnswer
		e.do("admin", "GET", "/api/v1/units/"+grid+"/history", nil, 200, &hist)
		if len(hist) != 0 {
			t.Errorf("history after a dry run: %+v", hist)
		}

		// The split itself, in the JSON list form with a note; the locator
		// sees the parts at once.
		var list []map[string]any
		for i, p := range [][4]float64{{116.0, 26.4, 116.025, 26.5}, {116.025, 26.4, 116.05, 26.5}} {
			list = append(list, map[string]any{"name_zh": []string{"西片", "东片"}[i], "boundary": json.RawMessage(square(p[0], p[1], p[2], p[3]))})
		}
		var done changeAnswer
		e.do("admin", "POST", "/api/v1/units/"+grid+"/split", map[string]any{"parts": list, "note": "按道路划分"}, 200, &done)
		if done.DryRun || done.ID == 0 || done.Kind != "split" {
			t.Errorf("split: %+v", done)
		}
		if got := locateChain(e, "26.45", "116.04"); got != "360730>360730100>360730100001>360730100001003" {
			t.Errorf("after the split the point is in %s", got)
		}
		e.do("admin", "GET", "/api/v1/units/"+grid, nil, 404, nil)
		for _, code := range []string{grid, "360730100001003"} {
			e.do("admin", "GET", "/api/v1/units/"+code+"/history", nil, 200, &hist)
			if len(hist) != 1 || hist[0].Kind != "split" || hist[0].From[0] != grid {
				t.Errorf("history of %s: %+v", code, hist)
			}
		}
		// A grid worker of the old grid now covers both parts and sees
		// their history; one elsewhere does not.
		e.do("gw1", "GET", "/api/v1/units/360730100001002/history", nil, 200, &hist)
		e.do("gw2", "GET", "/api/v1/units/360730100001002/history", nil, 404, nil)
		// Splitting the retired grid again is refused on its code.
		var ae apiError
		e.do("admin", "POST", "/api/v1/units/"+grid+"/split", fc, 400, &ae)
		if ae.Fields["code"] == "" {
			t.Errorf("retired unit: %+v", ae)
		}
	})
}

func TestMergeUnitsHTTP(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		body := map[string]any{"codes": []string{"360730100001", "360730100002"}, "name_zh": "中山社区", "name_en": "Zhongshan"}
		e.do("gw1", "POST", "/api/v1/units/merge", body, 403, nil)
		for _, tt := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"not siblings", map[string]any{"codes": []string{"360730100001", "360730100002001"}, "name_zh": "x"}, "codes[1]"},
			{"unknown", map[string]any{"codes": []string{"360730100001", "360730100009"}, "name_zh": "x"}, "codes[1]"},
			{"no name", map[string]any{"codes": []string{"360730100001", "360730100002"}}, "name_zh"},
			{"one", map[string]any{"codes": []string{"360730100001"}, "name_zh": "x"}, "codes"},
		} {
			var ae apiError
			e.do("admin", "POST", "/api/v1/units/merge", tt.body, 400, &ae)
			if ae.Fields[tt.field] == "" {
				t.Errorf("%s: %+v, want a problem with %s", tt.name, ae, tt.field)
			}
		}
		var plan changeAnswer
		e.do("admin", "POST", "/api/v1/units/merge?dry_run=true", body, 200, &plan)
		if !plan.DryRun || strings.Join(plan.To, ",") != "360730100003" || len(plan.Moves) != 2 || plan.Moves[1].To != "360730100003002" {
			t.Errorf("dry run: %+v", plan)
		}
		e.do("admin", "POST", "/api/v1/units/merge", body, 200, nil)
		if got := locateChain(e, "26.45", "116.07"); got != "360730>360730100>360730100003>360730100003002" {
			t.Errorf("after the merge the point is in %s", got)
		}
		var hist []changeAnswer
		e.do("admin", "GET", "/api/v1/units/360730100002001/history", nil, 200, &hist)
		if len(hist) != 1 || hist[0].Kind != "merge" || len(hist[0].Moves) != 2 {
			t.Errorf("history: %+v", hist)
		}
	})
}
