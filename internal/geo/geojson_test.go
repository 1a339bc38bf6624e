package geo_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

const polyJSON = `{"type":"Polygon","coordinates":[[[116,26],[116.1,26],[116.1,26.1],[116,26.1],[116,26]]]}`

const collectionJSON = `{
  "type": "FeatureCollection",
  "features": [
    {"type": "Feature", "properties": {"name": "城南社区", "code": "360730100010"}, "geometry": ` + polyJSON + `},
    {"geometry": {"coordinates": [[[[116.2,26],[116.3,26],[116.3,26.1],[116.2,26],[116.2,26]]], [[[116.4,26],[116.5,26,12.5],[116.5,26.1],[116.4,26]],[[116.45,26.01],[116.46,26.02],[116.44,26.02],[116.45,26.01]]]], "type": "MultiPolygon"},
     "type": "Feature", "id": 7, "bbox": [1,2,3,4], "properties": null}
  ]
}`

func TestParseFeatureCollection(t *testing.T) {
	fs, err := geo.ParseFeatureCollection([]byte(collectionJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("got %d features, want 2", len(fs))
	}
	if fs[0].Properties["name"] != "城南社区" || len(fs[0].Geometry) != 1 || len(fs[0].Geometry[0][0]) != 5 {
		t.Errorf("first feature = %+v", fs[0])
	}
	if fs[1].Properties != nil || len(fs[1].Geometry) != 2 || len(fs[1].Geometry[1]) != 2 {
		t.Errorf("second feature = %+v", fs[1])
	}
	if got := fs[1].Geometry[1][0][1]; got != (geo.Point{X: 116.5, Y: 26}) {
		t.Errorf("position with altitude read as %v", got)
	}
	for _, tc := range []struct {
		name string
		doc  string
	}{
		{"bare feature", `{"type":"Feature","properties":{"a":1},"geometry":` + polyJSON + `}`},
		{"bare geometry", polyJSON},
		{"members in any order", `{"coordinates":[[[116,26],[116.1,26],[116.1,26.1],[116,26]]],"type":"Polygon"}`},
		{"escaped member name", `{"typ\u0065":"Polygon","coordinates":[[[116,26],[116.1,26],[116.1,26.1],[116,26]]]}`},
		{"foreign members", `{"type":"Polygon","crs":{"type":"name","properties":{"name":"x"}},"bbox":[0,0,1,1],"coordinates":[[[116,26],[116.1,26],[116.1,26.1],[116,26]]],"extra":[true,false,null,"\"\\\/\b\f\n\r\t\u4e2d"]}`},
	} {
		fs, err := geo.ParseFeatureCollection([]byte(tc.doc))
		if err != nil || len(fs) != 1 || len(fs[0].Geometry) != 1 {
			t.Errorf("%s: got %d features, %v", tc.name, len(fs), err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	ring := func(s string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":` + polyJSON + `},{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]],` + s + `]]}}]}`
	}
	for _, tc := range []struct {
		name, doc, field, problem string
	}{
		{"not JSON", `{"type":`, "geojson", "malformed JSON"},
		{"trailing garbage", polyJSON + `x`, "geojson", "malformed JSON"},
		{"trailing comma", `{"type":"Polygon","coordinates":[],}`, "geojson", "malformed JSON"},
		{"bad escape", `{"type":"Poly\qgon"}`, "geojson", "malformed JSON"},
		{"raw control character", "{\"type\":\"Poly\tgon\"}", "geojson", "malformed JSON"},
		{"leading zero", `{"type":"Polygon","coordinates":[[[01,2]]]}`, "geojson", "malformed JSON"},
		{"too deep", `{"type":"Polygon","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "geojson", "too deep"},
		{"top level array", `[1,2]`, "geojson", "must be a JSON object"},
		{"empty input", ``, "geojson", "malformed JSON"},
		{"missing type", `{"coordinates":[]}`, "type", "missing"},
		{"type not a string", `{"type":5}`, "type", "must be a string"},
		{"point geometry", `{"type":"Point","coordinates":[1,2]}`, "type", "unsupported type"},
		{"unknown type", `{"type":"Blob"}`, "type", "unsupported type"},
		{"duplicate type", `{"type":"Polygon","type":"MultiPolygon","coordinates":[]}`, "type", "duplicate member"},
		{"duplicate coordinates", `{"type":"Polygon","coordinates":[],"coordinates":[]}`, "coordinates", "duplicate member"},
		{"no features", `{"type":"FeatureCollection","features":[]}`, "features", "no features"},
		{"missing features", `{"type":"FeatureCollection"}`, "features", "missing"},
		{"features not an array", `{"type":"FeatureCollection","features":{}}`, "features", "must be an array"},
		{"feature not an object", `{"type":"FeatureCollection","features":[3]}`, "features[0]", "must be a JSON object"},
		{"feature of wrong type", `{"type":"FeatureCollection","features":[` + polyJSON + `]}`, "features[0].type", "unsupported type"},
		{"missing geometry", `{"type":"Feature","properties":{}}`, "geometry", "missing"},
		{"null geometry", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}`, "features[0].geometry", "missing"},
		{"geometry collection", `{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]}}`, "geometry.type", "unsupported type"},
		{"properties not an object", `{"type":"Feature","properties":[1],"geometry":` + polyJSON + `}`, "properties", "must be an object"},
		{"missing coordinates", `{"type":"Polygon"}`, "coordinates", "missing"},
		{"empty multipolygon", `{"type":"MultiPolygon","coordinates":[]}`, "coordinates", "no polygons"},
		{"polygon without rings", `{"type":"Polygon","coordinates":[]}`, "coordinates", "no rings"},
		{"coordinates not an array", `{"type":"Polygon","coordinates":"x"}`, "coordinates", "must be an array"},
		{"ring not an array", `{"type":"Polygon","coordinates":[5]}`, "coordinates[0]", "must be an array"},
		{"position not an array", `{"type":"Polygon","coordinates":[[5]]}`, "coordinates[0][0]", "must be a position"},
		{"position too short", `{"type":"Polygon","coordinates":[[[5]]]}`, "coordinates[0][0]", "must be a position"},
		{"position too long", `{"type":"Polygon","coordinates":[[[5,6,7,8]]]}`, "coordinates[0][0]", "more than 3"},
		{"position with a string", `{"type":"Polygon","coordinates":[[[5,"6"]]]}`, "coordinates[0][0]", "must be a position"},
		{"nested too deep", `{"type":"Polygon","coordinates":[[[[5,6]]]]}`, "coordinates[0][0]", "must be a position"},
		{"short ring", ring(`[[0,0],[1,0],[0,0]]`), "features[1].geometry.coordinates[0][1]", "fewer than 4"},
		{"unclosed ring", ring(`[[0,0],[1,0],[1,1],[0,1]]`), "features[1].geometry.coordinates[0][1]", "ring not closed"},
		{"longitude out of range", ring(`[[0,0],[181,0],[1,1],[0,0]]`), "features[1].geometry.coordinates[0][1][1]", "longitude out of range"},
		{"latitude out of range", ring(`[[0,0],[1,-90.5],[1,1],[0,0]]`), "features[1].geometry.coordinates[0][1][1]", "latitude out of range"},
		{"number overflows", ring(`[[0,0],[1e999,0],[1,1],[0,0]]`), "features[1].geometry.coordinates[0][1][1]", "not a finite number"},
	} {
		_, err := geo.ParseFeatureCollection([]byte(tc.doc))
		fields := wangge.ErrorFields(err)
		if wangge.ErrorCode(err) != wangge.EINVALID || len(fields) != 1 || !strings.Contains(fields[tc.field], tc.problem) {
			t.Errorf("%s: error %v; want field %q with %q", tc.name, err, tc.field, tc.problem)
		}
	}
}

func TestParseGeometry(t *testing.T) {
	mp, err := geo.ParseGeometry([]byte(polyJSON))
	if err != nil || len(mp) != 1 || len(mp[0][0]) != 5 {
		t.Fatalf("ParseGeometry = %v, %v", mp, err)
	}
	for _, doc := range []string{`{"type":"Feature","geometry":` + polyJSON + `}`, `{"type":"FeatureCollection","features":[]}`} {
		if _, err := geo.ParseGeometry([]byte(doc)); wangge.ErrorFields(err)["type"] == "" {
			t.Errorf("ParseGeometry(%.40s…) error %v; want a type error", doc, err)
		}
	}
}

func TestMarshalGeoJSON(t *testing.T) {
	mp := geo.MultiPolygon{
		{geo.Ring{{X: 116.123456789, Y: 26}, {X: 116.2, Y: -0.00000001}, {X: 116.2, Y: 26.5}, {X: 116.123456789, Y: 26}}},
		{square(1, 2, 3, 4), square(1.5, 2.5, 2, 3)},
	}
	got := string(mp.MarshalGeoJSON())
	want := `{"type":"MultiPolygon","coordinates":[[[[116.1234568,26],[116.2,0],[116.2,26.5],[116.1234568,26]]],[[[1,2],[3,2],[3,4],[1,4],[1,2]],[[1.5,2.5],[2,2.5],[2,3],[1.5,3],[1.5,2.5]]]]}`
	if got != want {
		t.Errorf("MarshalGeoJSON =\n%s\nwant\n%s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Error("output is not valid JSON")
	}
	back, err := geo.ParseGeometry([]byte(got))
	if err != nil || len(back) != 2 || back[0][0][0] != (geo.Point{X: 116.1234568, Y: 26}) {
		t.Errorf("round trip = %v, %v", back, err)
	}
	if got := string(geo.MultiPolygon(nil).MarshalGeoJSON()); got != `{"type":"MultiPolygon","coordinates":[]}` {
		t.Errorf("empty = %s", got)
	}
}

func TestTransform(t *testing.T) {
	mp := geo.MultiPolygon{{square(116, 26, 116.1, 26.1), square(116.02, 26.02, 116.03, 26.03)}}
	orig := mp.MarshalGeoJSON()
	out := mp.Transform(geo.GCJ02, geo.WGS84)
	if !bytes.Equal(orig, mp.MarshalGeoJSON()) {
		t.Error("Transform modified its receiver")
	}
	for i, pg := range out {
		for j, r := range pg {
			if r[0] != r[len(r)-1] {
				t.Errorf("ring %d/%d not closed after Transform", i, j)
			}
			for k, p := range r {
				if want := geo.Convert(mp[i][j][k], geo.GCJ02, geo.WGS84); p != want {
					t.Errorf("vertex %d/%d/%d = %v, want %v", i, j, k, p, want)
				}
			}
		}
	}
	// Appending to a transformed ring must not clobber the next one.
	_ = append(out[0][0], geo.Point{})
	if out[0][1][0] != geo.Convert(mp[0][1][0], geo.GCJ02, geo.WGS84) {
		t.Error("rings of the result share capacity")
	}
}

func FuzzParseFeatureCollection(f *testing.F) {
	f.Add([]byte(collectionJSON))
	f.Add([]byte(polyJSON))
	f.Add([]byte(`{"type":"Feature","properties":{"a":[1,{"b":null}]},"geometry":` + polyJSON + `}`))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`))
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`))
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[1e999,0]]]}`))
	f.Add([]byte(`{"type":"Polygon","coordinates":[[["\u00e9",0]]]}`))
	f.Add([]byte(`[[[[[[[[[[`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := geo.ParseFeatureCollection(data)
		if err != nil {
			if wangge.ErrorCode(err) != wangge.EINVALID || len(wangge.ErrorFields(err)) != 1 {
				t.Fatalf("error %v is not an invalid-input error naming one field", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if len(fs) == 0 {
			t.Fatal("success with no features")
		}
		for _, f := range fs {
			out := f.Geometry.MarshalGeoJSON()
			back, err := geo.ParseGeometry(out)
			if err != nil {
				t.Fatalf("own output %s rejected: %v", out, err)
			}
			if len(back) != len(f.Geometry) {
				t.Fatalf("round trip changed the polygon count")
			}
			for i, pg := range f.Geometry {
				for j, r := range pg {
					if len(back[i][j]) != len(r) {
						t.Fatalf("round trip changed a ring's length")
					}
					for k, p := range r {
						q := back[i][j][k]
						if math.Abs(p.X-q.X) > 5.1e-8 || math.Abs(p.Y-q.Y) > 5.1e-8 || q != roundPoint(p) {
							t.Fatalf("vertex %v came back as %v", p, q)
						}
					}
				}
			}
		}
	})
}

func roundPoint(p geo.Point) geo.Point {
	r := func(v float64) float64 {
		f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 7, 64), 64)
		return f + 0 // turns -0 into 0
	}
	return geo.Point{X: r(p.X), Y: r(p.Y)}
}
