package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
)

// rawJSON is embedded GeoJSON, passed through as it is stored.
type rawJSON = json.RawMessage

type unitRequest struct {
	Code       string          `json:"code"`
	ParentCode string          `json:"parent_code"`
	Level      wangge.Level    `json:"level"`
	NameZH     string          `json:"name_zh"`
	NameEN     string          `json:"name_en"`
	Type       wangge.UnitType `json:"type"`
	Households int             `json:"households"`
	Population int             `json:"population"`
	Boundary   rawJSON         `json:"boundary,omitempty"` // a GeoJSON Polygon or MultiPolygon
	CRS        string          `json:"crs,omitempty"`      // of the boundary: wgs84, gcj02, bd09
}

type unitRevision struct {
	NameZH     *string          `json:"name_zh,omitempty"`
	NameEN     *string          `json:"name_en,omitempty"`
	Type       *wangge.UnitType `json:"type,omitempty"`
	Households *int             `json:"households,omitempty"`
	Population *int             `json:"population,omitempty"`
	Boundary   rawJSON          `json:"boundary,omitempty"`
	CRS        string           `json:"crs,omitempty"`
}

// unitResponse is a unit with its boundary as a GeoJSON object and the
// chain of units above it.
type unitResponse struct {
	*wangge.Unit
	Boundary  rawJSON        `json:"boundary,omitempty"`
	Ancestors []*wangge.Unit `json:"ancestors"`
}

func (s *Server) unitResponse(r *http.Request, u *wangge.Unit) (unitResponse, error) {
	out := unitResponse{Unit: u, Ancestors: []*wangge.Unit{}}
	if u.Boundary != "" {
		out.Boundary = rawJSON(u.Boundary)
	}
	if u.ParentCode != "" {
		anc, err := s.DB.UnitAncestors(r.Context(), u.ParentCode)
		if err != nil {
			return out, err
		}
		out.Ancestors = anc
	}
	return out, nil
}

// boundaryOf parses an optional boundary geometry in the given CRS.
func boundaryOf(raw rawJSON, crsName string) (string, *[4]float64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil, nil
	}
	crs, err := geo.ParseCRS(crsName)
	if err != nil {
		return "", nil, err
	}
	mp, err := geo.ParseGeometry(raw)
	if err != nil {
		return "", nil, wangge.PrefixFields(err, "boundary.", false)
	}
	b, box := territory.Boundary(mp, crs)
	return b, box, nil
}

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := wangge.UnitFilter{Level: wangge.Level(q.Get("level")), Parent: q.Get("parent"), Under: q.Get("under"), Q: q.Get("q")}
	if f.Level != "" && !f.Level.Valid() {
		return wangge.FieldError("level", "unknown level")
	}
	if v := q.Get("as_of"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return wangge.FieldError("as_of", "must be an RFC 3339 time")
		}
		f.AsOf = &t
	}
	var err error
	if f.Limit, f.Offset, err = pageParams(r); err != nil {
		return err
	}
	units, total, err := s.DB.FindUnits(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, 200, page[*wangge.Unit]{units, total})
	return nil
}

func (s *Server) getUnit(w http.ResponseWriter, r *http.Request) error {
	u, err := s.DB.Unit(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	out, err := s.unitResponse(r, u)
	if err != nil {
		return err
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) createUnit(w http.ResponseWriter, r *http.Request) error {
	var req unitRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u := wangge.Unit{Code: req.Code, ParentCode: req.ParentCode, Level: req.Level, NameZH: req.NameZH, NameEN: req.NameEN,
		Type: req.Type, Households: req.Households, Population: req.Population}
	var err error
	if u.Boundary, u.BBox, err = boundaryOf(req.Boundary, req.CRS); err != nil {
		return err
	}
	units := []wangge.Unit{u}
	if err := s.DB.CreateUnits(r.Context(), units); err != nil {
		return wangge.PrefixFields(err, "units[0].", true) // one unit: name its fields plainly
	}
	return s.afterUnitChange(w, r, req.Code, 201)
}

// afterUnitChange rebuilds the point index so that the next lookup sees the
// change, then answers with the unit.
func (s *Server) afterUnitChange(w http.ResponseWriter, r *http.Request, code string, status int) error {
	if err := s.Locator.Rebuild(r.Context(), false); err != nil {
		s.Logger.Error("rebuild locator", "err", err)
	}
	u, err := s.DB.Unit(r.Context(), code)
	if err != nil {
		return err
	}
	out, err := s.unitResponse(r, u)
	if err != nil {
		return err
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) importUnits(w http.ResponseWriter, r *http.Request) error {
	if !wangge.ScopeFromContext(r.Context()).All {
		return wangge.Errorf(wangge.EFORBIDDEN, "only an administrator may change the territory")
	}
	q := r.URL.Query()
	crs, err := geo.ParseCRS(q.Get("crs"))
	if err != nil {
		return err
	}
	level := wangge.Level(q.Get("level"))
	if level != "" && !level.Valid() {
		return wangge.FieldError("level", "unknown level")
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	units, err := territory.UnitsFromGeoJSON(data, territory.Defaults{Level: level, ParentCode: q.Get("parent"), CRS: crs})
	if err != nil {
		return err
	}
	if err := s.DB.CreateUnits(r.Context(), units); err != nil {
		return err
	}
	if err := s.Locator.Rebuild(r.Context(), false); err != nil {
		s.Logger.Error("rebuild locator", "err", err)
	}
	writeJSON(w, 201, importResponse{Created: len(units)})
	return nil
}

func (s *Server) reviseUnit(w http.ResponseWriter, r *http.Request) error {
	var req unitRevision
	if err := decode(r, &req); err != nil {
		return err
	}
	rev := sqlstore.UnitRevision{NameZH: req.NameZH, NameEN: req.NameEN, Type: req.Type, Households: req.Households, Population: req.Population}
	if len(req.Boundary) > 0 {
		b, box, err := boundaryOf(req.Boundary, req.CRS)
		if err != nil {
			return err
		}
		rev.Boundary, rev.BBox = &b, box
	}
	code := r.PathValue("code")
	if _, err := s.DB.ReviseUnit(r.Context(), code, rev); err != nil {
		return err
	}
	return s.afterUnitChange(w, r, code, 200)
}

func (s *Server) retireUnit(w http.ResponseWriter, r *http.Request) error {
	n, err := s.DB.RetireUnit(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	if err := s.Locator.Rebuild(r.Context(), false); err != nil {
		s.Logger.Error("rebuild locator", "err", err)
	}
	writeJSON(w, 200, retireResponse{Retired: n})
	return nil
}

func (s *Server) unitVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.DB.UnitVersions(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	out := make([]unitResponse, len(vs))
	for i, u := range vs {
		out[i] = unitResponse{Unit: u, Boundary: rawJSON(u.Boundary), Ancestors: []*wangge.Unit{}}
		if u.Boundary == "" {
			out[i].Boundary = nil
		}
	}
	writeJSON(w, 200, out)
	return nil
}

// maxBoundaries bounds the units one answer of /api/v1/boundaries carries
// (a map asks for the part of a level in view, page by page beyond this).
const maxBoundaries = 1000

// bboxParam reads an optional box "minLon,minLat,maxLon,maxLat" (WGS84).
func bboxParam(r *http.Request, name string) (*[4]float64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	var b [4]float64
	bad := wangge.FieldError(name, "four numbers minLon,minLat,maxLon,maxLat (WGS84), each minimum below its maximum")
	if len(parts) != 4 {
		return nil, bad
	}
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, bad
		}
		b[i] = x
	}
	if !wangge.ValidBBox(b) {
		return nil, bad
	}
	return &b, nil
}

func (s *Server) boundaries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := wangge.UnitFilter{Level: wangge.Level(q.Get("level")), Under: q.Get("under"), WithBoundary: true}
	if f.Level != "" && !f.Level.Valid() {
		return wangge.FieldError("level", "unknown level")
	}
	var err error
	if f.BBox, err = bboxParam(r, "bbox"); err != nil {
		return err
	}
	if f.Limit, f.Offset, err = pageParams(r); err != nil {
		return err
	}
	if f.Limit == 0 || f.Limit > maxBoundaries {
		f.Limit = maxBoundaries
	}
	units, total, err := s.DB.FindUnits(r.Context(), f)
	if err != nil {
		return err
	}
	fc := featureCollection{Type: "FeatureCollection", Features: make([]feature, 0, len(units)), Total: total}
	for _, u := range units {
		if u.Boundary == "" {
			continue
		}
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: u.ID, Geometry: rawJSON(u.Boundary), Properties: map[string]any{
			"code": u.Code, "level": u.Level, "name_zh": u.NameZH, "name_en": u.NameEN, "parent_code": u.ParentCode,
			"households": u.Households, "population": u.Population, "type": u.Type}})
	}
	writeJSONGzip(w, r, fc) // a page of boundaries compresses about fourfold
	return nil
}

func (s *Server) locate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := geo.ParseLatLon(q.Get("lat"), q.Get("lon"))
	if err != nil {
		return err
	}
	crs, err := geo.ParseCRS(q.Get("crs"))
	if err != nil {
		return err
	}
	wgs := geo.Convert(p, crs, geo.WGS84)
	writeJSON(w, 200, locateResponse{Lat: wgs.Y, Lon: wgs.X, CRS: string(crs), Units: s.Locator.Locate(wgs)})
	return nil
}
