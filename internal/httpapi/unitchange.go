package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
)

// splitPart is one part of a split, in the JSON form of the request.
type splitPart struct {
	Code       string          `json:"code,omitempty"` // default: the next free code among the siblings
	NameZH     string          `json:"name_zh"`
	NameEN     string          `json:"name_en,omitempty"`
	Type       wangge.UnitType `json:"type,omitempty"`
	Households int             `json:"households,omitempty"` // default: the old unit's, shared by area
	Population int             `json:"population,omitempty"`
	Boundary   rawJSON         `json:"boundary"` // a GeoJSON Polygon or MultiPolygon
}

// splitRequest is the JSON form of a split; a GeoJSON FeatureCollection of
// the parts (properties code, name_zh or name, name_en, households,
// population) or a bare list of parts is accepted too.
type splitRequest struct {
	Parts []splitPart `json:"parts"`
	Note  string      `json:"note,omitempty"`
	CRS   string      `json:"crs,omitempty"` // of the boundaries: wgs84 (default), gcj02, bd09
}

type mergeRequest struct {
	Codes      []string        `json:"codes"`
	Code       string          `json:"code,omitempty"` // default: the next free code among the siblings
	NameZH     string          `json:"name_zh"`
	NameEN     string          `json:"name_en,omitempty"`
	Type       wangge.UnitType `json:"type,omitempty"`
	Households int             `json:"households,omitempty"` // default: the sum
	Population int             `json:"population,omitempty"`
	Note       string          `json:"note,omitempty"`
}

// unitChangeResponse is a change with its new units' boundaries as GeoJSON.
type unitChangeResponse struct {
	*wangge.UnitChange
	Units []unitResponse `json:"units,omitempty"`
}

func changeResponse(ch *wangge.UnitChange) unitChangeResponse {
	out := unitChangeResponse{UnitChange: ch}
	for _, u := range ch.Units {
		ur := unitResponse{Unit: u, Ancestors: []*wangge.Unit{}}
		if u.Boundary != "" {
			ur.Boundary = rawJSON(u.Boundary)
		}
		out.Units = append(out.Units, ur)
	}
	return out
}

func dryRun(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("dry_run") {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, wangge.FieldError("dry_run", "must be true or false")
}

// readParts reads the parts of a split from any of its three forms. fc
// tells whether they came as GeoJSON features, whose fields are named
// features[i].properties.x and features[i].geometry in errors.
func readParts(r *http.Request) (parts []wangge.Unit, note string, fc bool, err error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, "", false, err
	}
	q := r.URL.Query()
	note = q.Get("note")
	trimmed := bytes.TrimSpace(data)
	var head struct {
		Type string `json:"type"`
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		_ = json.Unmarshal(trimmed, &head)
	}
	if head.Type == "FeatureCollection" || head.Type == "Feature" {
		crs, err := geo.ParseCRS(q.Get("crs"))
		if err != nil {
			return nil, "", true, err
		}
		features, err := geo.ParseFeatureCollection(trimmed)
		if err != nil {
			return nil, "", true, err
		}
		for i, f := range features {
			u := wangge.Unit{Code: prop(f.Properties, "code"), NameZH: prop(f.Properties, "name_zh", "name"), NameEN: prop(f.Properties, "name_en"),
				Type: wangge.UnitType(prop(f.Properties, "type"))}
			for _, c := range []struct {
				name string
				dst  *int
			}{{"households", &u.Households}, {"population", &u.Population}} {
				if v, ok := f.Properties[c.name]; ok && v != nil {
					n, isNum := v.(float64)
					if !isNum || n < 0 || n != float64(int(n)) {
						return nil, "", true, wangge.FieldError(fmt.Sprintf("features[%d].properties.%s", i, c.name), "must be a whole non-negative number")
					}
					*c.dst = int(n)
				}
			}
			u.Boundary, u.BBox = territory.Boundary(f.Geometry, crs)
			parts = append(parts, u)
		}
		return parts, note, true, nil
	}
	var req splitRequest
	if len(trimmed) > 0 && trimmed[0] == '[' {
		req.CRS = q.Get("crs")
		err = decode(&http.Request{Body: io.NopCloser(bytes.NewReader(trimmed))}, &req.Parts)
	} else {
		err = decode(&http.Request{Body: io.NopCloser(bytes.NewReader(trimmed))}, &req)
	}
	if err != nil {
		return nil, "", false, err
	}
	if req.Note != "" {
		note = req.Note
	}
	if req.CRS == "" {
		req.CRS = q.Get("crs")
	}
	for i, p := range req.Parts {
		u := wangge.Unit{Code: p.Code, NameZH: p.NameZH, NameEN: p.NameEN, Type: p.Type, Households: p.Households, Population: p.Population}
		if u.Boundary, u.BBox, err = boundaryOf(p.Boundary, req.CRS); err != nil {
			return nil, "", false, wangge.PrefixFields(err, fmt.Sprintf("parts[%d].", i), false)
		}
		parts = append(parts, u)
	}
	return parts, note, false, nil
}

// prop returns the first of the keys present as a string.
func prop(props map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := props[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case float64:
			return fmt.Sprintf("%.0f", v)
		}
	}
	return ""
}

// featureFields renames parts to features, parts[i].boundary to
// features[i].geometry and parts[i].x to features[i].properties.x, for a
// request sent as GeoJSON.
func featureFields(err error) error {
	fields := wangge.ErrorFields(err)
	if fields == nil {
		return err
	}
	var v wangge.Validation
	for f, msg := range fields {
		if f == "parts" {
			f = "features"
		}
		if rest, ok := strings.CutPrefix(f, "parts["); ok {
			i, field, _ := strings.Cut(rest, "].")
			if field == "boundary" || strings.HasPrefix(field, "boundary.") {
				f = "features[" + i + "].geometry" + strings.TrimPrefix(field, "boundary")
			} else {
				f = "features[" + i + "].properties." + field
			}
		}
		v.Add(f, msg)
	}
	return v.Err()
}

func (s *Server) splitUnit(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdminHTTP(r); err != nil {
		return err
	}
	dry, err := dryRun(r)
	if err != nil {
		return err
	}
	parts, note, fc, err := readParts(r)
	if err != nil {
		return err
	}
	ch, err := s.DB.SplitUnit(r.Context(), r.PathValue("code"), parts, sqlstore.UnitChangeOptions{Note: note, DryRun: dry})
	if err != nil {
		if fc {
			return featureFields(err)
		}
		return err
	}
	return s.afterChange(w, r, ch)
}

func (s *Server) mergeUnits(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdminHTTP(r); err != nil {
		return err
	}
	dry, err := dryRun(r)
	if err != nil {
		return err
	}
	var req mergeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	into := wangge.Unit{Code: req.Code, NameZH: req.NameZH, NameEN: req.NameEN, Type: req.Type, Households: req.Households, Population: req.Population}
	ch, err := s.DB.MergeUnits(r.Context(), req.Codes, into, sqlstore.UnitChangeOptions{Note: req.Note, DryRun: dry})
	if err != nil {
		return err
	}
	return s.afterChange(w, r, ch)
}

// afterChange rebuilds the point index after a change that was made, so
// that the next lookup finds the new shapes, and answers with the change
// (200 for a dry run and a change alike: one answer shape, one status).
func (s *Server) afterChange(w http.ResponseWriter, r *http.Request, ch *wangge.UnitChange) error {
	if !ch.DryRun {
		if err := s.Locator.Rebuild(r.Context(), false); err != nil {
			s.Logger.Error("rebuild locator", "err", err)
		}
	}
	writeJSON(w, http.StatusOK, changeResponse(ch))
	return nil
}

func (s *Server) unitHistory(w http.ResponseWriter, r *http.Request) error {
	hist, err := s.DB.UnitChanges(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hist)
	return nil
}

// requireAdminHTTP refuses a non-administrator before the body is read.
func requireAdminHTTP(r *http.Request) error {
	if !wangge.ScopeFromContext(r.Context()).All {
		return wangge.Errorf(wangge.EFORBIDDEN, "only an administrator may change the territory")
	}
	return nil
}
