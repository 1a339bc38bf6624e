package boston

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/territory"
)

// CityCode is the code of the city unit; wards are BOSW01..BOSW22 and
// precincts BOSW01P01.., each extending its parent's code.
const CityCode = "BOS"

// ValidFrom is when the imported units take effect: the start of the data,
// so that every request of the replay falls inside their validity.
var ValidFrom = time.Date(2011, 7, 1, 4, 0, 0, 0, time.UTC)

// Units returns the city (a county-level unit, see HandlingLevel), its 22
// wards (street level) and their 255 precincts (community level), with the
// files' WGS84 boundaries. The city itself has no boundary of its own here;
// it is the union of its wards.
func Units(d *Data) ([]wangge.Unit, error) {
	wards, err := geo.ParseFeatureCollection(d.Wards)
	if err != nil {
		return nil, fmt.Errorf("boston: %s: %w", WardsFile, err)
	}
	precincts, err := geo.ParseFeatureCollection(d.Precincts)
	if err != nil {
		return nil, fmt.Errorf("boston: %s: %w", PrecinctsFile, err)
	}
	units := []wangge.Unit{{
		Code: CityCode, Level: wangge.LevelCounty, NameZH: "波士顿市", NameEN: "City of Boston",
		Type: wangge.UnitComprehensive, Version: 1, ValidFrom: ValidFrom,
	}}
	var ws, ps []wangge.Unit
	seen := map[string]bool{}
	for i, f := range wards {
		w, ok := intProp(f.Properties["WARD"])
		if !ok || w < 1 || w > 99 {
			return nil, fmt.Errorf("boston: %s: features[%d]: no WARD", WardsFile, i)
		}
		u := wangge.Unit{
			Code: WardCode(w), ParentCode: CityCode, Level: wangge.LevelStreet,
			NameZH: fmt.Sprintf("第%d选区", w), NameEN: fmt.Sprintf("Ward %d", w),
			Type: wangge.UnitComprehensive, Version: 1, ValidFrom: ValidFrom,
		}
		u.Boundary, u.BBox = territory.Boundary(f.Geometry, geo.WGS84)
		if seen[u.Code] {
			return nil, fmt.Errorf("boston: %s: duplicate ward %d", WardsFile, w)
		}
		seen[u.Code] = true
		ws = append(ws, u)
	}
	for i, f := range precincts {
		w, p, ok := wardPrecinct(f.Properties)
		if !ok {
			return nil, fmt.Errorf("boston: %s: features[%d]: no WARD_PRECINCT", PrecinctsFile, i)
		}
		u := wangge.Unit{
			Code: PrecinctCode(w, p), ParentCode: WardCode(w), Level: wangge.LevelCommunity,
			NameZH: "第" + precinctName(w, p) + "投票分区", NameEN: "Precinct " + precinctName(w, p),
			Type: wangge.UnitComprehensive, Version: 1, ValidFrom: ValidFrom,
		}
		if !seen[u.ParentCode] {
			return nil, fmt.Errorf("boston: %s: precinct %d-%s of unknown ward", PrecinctsFile, w, p)
		}
		if seen[u.Code] {
			return nil, fmt.Errorf("boston: %s: duplicate precinct %d-%s", PrecinctsFile, w, p)
		}
		seen[u.Code] = true
		u.Boundary, u.BBox = territory.Boundary(f.Geometry, geo.WGS84)
		ps = append(ps, u)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Code < ws[j].Code })
	sort.Slice(ps, func(i, j int) bool { return ps[i].Code < ps[j].Code })
	units = append(units, ws...)
	return append(units, ps...), nil
}

// WardCode returns the unit code of ward w: "BOSW01".
func WardCode(w int) string { return fmt.Sprintf("%sW%02d", CityCode, w) }

// PrecinctCode returns the unit code of precinct p of ward w: "BOSW01P13",
// or "BOSW05P02A" for Ward 5's precinct 2A.
func PrecinctCode(w int, p string) string { return WardCode(w) + "P" + p }

func intProp(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) {
			return int(x), true
		}
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

// wardPrecinct reads WARD_PRECINCT: two digits of ward, then the precinct,
// "0113" for ward 1 precinct 13, "0502A" for ward 5 precinct 2A.
func wardPrecinct(props map[string]any) (w int, p string, ok bool) {
	s, _ := props["WARD_PRECINCT"].(string)
	if len(s) < 4 || len(s) > 6 || !wangge.ValidCode(s) {
		return 0, "", false
	}
	w, err := strconv.Atoi(s[:2])
	return w, s[2:], err == nil && w > 0
}

// precinctName is "Precinct 1-13": the precinct without its leading zero.
func precinctName(w int, p string) string {
	for len(p) > 1 && p[0] == '0' {
		p = p[1:]
	}
	return fmt.Sprintf("%d-%s", w, p)
}

// Placement is where the requests' points fall among the precincts.
type Placement struct {
	Outside   int // points in no precinct polygon
	AtDefault int // points on the City Hall default point
	// DefaultPrecinct is the precinct code that contains the default point.
	DefaultPrecinct string
	// FieldAgrees counts rows whose own precinct field names the polygon
	// that contains their point (the polygons are the 2012-2022 ones).
	FieldAgrees int
}

// Place locates every request's point in the precinct polygons.
func Place(d *Data) (Placement, error) {
	fs, err := geo.ParseFeatureCollection(d.Precincts)
	if err != nil {
		return Placement{}, err
	}
	items := make([]geo.Item, 0, len(fs))
	var codes, fields []string
	for _, f := range fs {
		w, p, ok := wardPrecinct(f.Properties)
		if !ok {
			return Placement{}, fmt.Errorf("boston: precinct without WARD_PRECINCT")
		}
		items = append(items, geo.Item{ID: int64(len(codes)), Shape: f.Geometry})
		codes = append(codes, PrecinctCode(w, p))
		fields = append(fields, fmt.Sprintf("%02d%s", w, p))
	}
	ix := geo.NewIndex(items)
	var pl Placement
	if id, ok := ix.Locate(geo.Point{X: DefaultLon, Y: DefaultLat}); ok {
		pl.DefaultPrecinct = codes[id]
	}
	for i := range d.Requests {
		q := &d.Requests[i]
		if q.AtDefaultPoint() {
			pl.AtDefault++
		}
		id, ok := ix.Locate(geo.Point{X: q.Lon, Y: q.Lat})
		if !ok {
			pl.Outside++
			continue
		}
		if q.Precinct == fields[id] {
			pl.FieldAgrees++
		}
	}
	return pl, nil
}
