package territory

import (
	"fmt"
	"math"
	"strconv"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

// Defaults fill what a feature's properties leave out.
type Defaults struct {
	Level      wangge.Level
	ParentCode string
	CRS        geo.CRS // the system the coordinates are in
}

// Boundary converts a shape to WGS84 and returns its stored GeoJSON and
// bounding box.
func Boundary(mp geo.MultiPolygon, from geo.CRS) (string, *[4]float64) {
	if from != geo.WGS84 {
		mp = mp.Transform(from, geo.WGS84)
	}
	b := mp.Bounds()
	return string(mp.MarshalGeoJSON()), &[4]float64{b.MinX, b.MinY, b.MaxX, b.MaxY}
}

// UnitsFromGeoJSON reads a FeatureCollection of unit boundaries. Properties
// read: code (or adcode, street_code), name / name_zh, name_en, level,
// parent_code (or parent, district_adcode), type, households, population. Coordinates are
// converted from d.CRS to WGS84.
func UnitsFromGeoJSON(data []byte, d Defaults) ([]wangge.Unit, error) {
	features, err := geo.ParseFeatureCollection(data)
	if err != nil {
		return nil, err
	}
	units := make([]wangge.Unit, len(features))
	for i, f := range features {
		p := func(field string) string { return fmt.Sprintf("features[%d].properties.%s", i, field) }
		u := &units[i]
		u.Code = str(f.Properties, "code", "adcode", "street_code")
		u.NameZH = str(f.Properties, "name_zh", "name")
		u.NameEN = str(f.Properties, "name_en")
		u.Level = wangge.Level(str(f.Properties, "level"))
		if !u.Level.Valid() {
			u.Level = d.Level
		}
		u.ParentCode = str(f.Properties, "parent_code", "parent", "district_adcode")
		if u.ParentCode == "" {
			u.ParentCode = d.ParentCode
		}
		u.Type = wangge.UnitType(str(f.Properties, "type"))
		if u.Code == "" {
			return nil, wangge.FieldError(p("code"), "required")
		}
		if !u.Level.Valid() {
			return nil, wangge.FieldError(p("level"), "required (one of province, city, county, street, community, grid, micro_grid, building)")
		}
		for _, c := range []struct {
			name string
			dst  *int
		}{{"households", &u.Households}, {"population", &u.Population}} {
			if n, ok, bad := num(f.Properties, c.name); bad {
				return nil, wangge.FieldError(p(c.name), "must be a whole non-negative number")
			} else if ok {
				*c.dst = n
			}
		}
		u.Boundary, u.BBox = Boundary(f.Geometry, d.CRS)
	}
	return units, nil
}

// str returns the first of the keys present, as a string (numbers such as
// DataV's adcode are formatted without a fraction).
func str(props map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := props[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1e15 {
				return strconv.FormatInt(int64(v), 10)
			}
		}
	}
	return ""
}

func num(props map[string]any, key string) (n int, ok, bad bool) {
	v, present := props[key]
	if !present || v == nil {
		return 0, false, false
	}
	f, isNum := v.(float64)
	if !isNum || f < 0 || f != math.Trunc(f) || f > 1e9 {
		return 0, false, true
	}
	return int(f), true, false
}
