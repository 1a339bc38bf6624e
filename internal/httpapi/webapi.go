package httpapi

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/photo"
	"github.com/wangge/wangge/internal/sqlstore"
)

// The endpoints the web interfaces need beyond the general API: the case
// points of the command-centre map in one compact answer, and what the
// resident's page may see without an account.

// maxMapPoints bounds the points one map answer carries.
const maxMapPoints = 50000

// mapPoints is the compact shape of the map layer: each row is
// [id, lat, lon, unit index, light index, status index], with the unit
// codes, lights and statuses listed once.
type mapPoints struct {
	Total     int       `json:"total"`
	Truncated bool      `json:"truncated"`
	Units     []string  `json:"units"`
	Lights    []string  `json:"lights"`
	Statuses  []string  `json:"statuses"`
	Rows      [][6]any  `json:"rows"`
	At        time.Time `json:"at"`
}

// caseFilterOf reads the listing filters of GET /api/v1/cases.
func caseFilterOf(r *http.Request) (sqlstore.CaseFilter, error) {
	q := r.URL.Query()
	f := sqlstore.CaseFilter{Unit: q.Get("unit"), Category: q.Get("category"), Light: q.Get("light"), Channel: wangge.Channel(q.Get("channel")), Mine: q.Get("mine") == "true"}
	for _, st := range strings.Split(q.Get("status"), ",") {
		if st != "" {
			f.Status = append(f.Status, wangge.Status(st))
		}
	}
	switch q.Get("open") {
	case "true", "":
		t := true
		f.Open = &t
	case "false":
		t := false
		f.Open = &t
	case "all":
	default:
		return f, wangge.FieldError("open", "true, false or all")
	}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, wangge.FieldError(name, "must be an RFC 3339 time")
			}
			*dst = &t
		}
	}
	d, err := intParam(r, "department")
	f.Department = int64(d)
	return f, err
}

// casePoints answers the points of the cases a filter selects (open ones
// unless open=false or all), for the map's markers and unit colours.
func (s *Server) casePoints(w http.ResponseWriter, r *http.Request) error {
	f, err := caseFilterOf(r)
	if err != nil {
		return err
	}
	out := mapPoints{Units: []string{}, Lights: []string{"", "green", "yellow", "red"}, Rows: [][6]any{}, At: s.DB.Now()}
	unitIdx, statusIdx := map[string]int{}, map[wangge.Status]int{}
	lightIdx := map[string]int{"": 0, "green": 1, "yellow": 2, "red": 3}
	f.Limit = 1000
	for f.Offset = 0; f.Offset < maxMapPoints; f.Offset += f.Limit {
		cases, total, err := s.DB.FindCases(r.Context(), f)
		if err != nil {
			return err
		}
		out.Total = total
		for _, c := range cases {
			ui, ok := unitIdx[c.UnitCode]
			if !ok {
				ui = len(out.Units)
				unitIdx[c.UnitCode] = ui
				out.Units = append(out.Units, c.UnitCode)
			}
			si, ok := statusIdx[c.Status]
			if !ok {
				si = len(out.Statuses)
				statusIdx[c.Status] = si
				out.Statuses = append(out.Statuses, string(c.Status))
			}
			out.Rows = append(out.Rows, [6]any{c.ID, round6(c.Lat), round6(c.Lon), ui, lightIdx[c.Light], si})
		}
		if len(cases) < f.Limit {
			break
		}
	}
	out.Truncated = len(out.Rows) < out.Total
	writeJSONGzip(w, r, out)
	return nil
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// writeJSONGzip is writeJSON compressed when the client accepts it: map
// layers are large and compress tenfold.
func writeJSONGzip(w http.ResponseWriter, r *http.Request, v any) {
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		writeJSON(w, 200, v)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Vary", "Accept-Encoding")
	w.WriteHeader(200)
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err == nil {
		zw.Close()
	}
}

// publicCategory is a filing category as the resident's page lists it.
type publicCategory struct {
	Code    string      `json:"code"`
	Kind    wangge.Kind `json:"kind"`
	NameZH  string      `json:"name_zh"`
	NameEN  string      `json:"name_en"`
	MajorZH string      `json:"major_zh"`
	MajorEN string      `json:"major_en"`
}

// system is a context acting as the platform, for what the public may see
// without an account (the published catalogue and outlines).
func system(r *http.Request) *http.Request {
	return r.WithContext(wangge.NewContextWithUser(r.Context(), &wangge.User{Username: "system", Role: wangge.RoleAdmin}))
}

// publicCategories lists the categories residents may report under.
func (s *Server) publicCategories(w http.ResponseWriter, r *http.Request) error {
	cat, err := s.DB.Catalogue(system(r).Context())
	if err != nil {
		return err
	}
	majors := map[string]wangge.Category{}
	for _, c := range cat.Categories {
		if !c.Leaf() {
			majors[c.Code] = c
		}
	}
	out := []publicCategory{}
	for _, c := range cat.Categories {
		if c.Leaf() {
			m := majors[c.Code[:2]]
			out = append(out, publicCategory{Code: c.Code, Kind: c.Kind, NameZH: c.NameZH, NameEN: c.NameEN, MajorZH: m.NameZH, MajorEN: m.NameEN})
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSONGzip(w, r, out)
	return nil
}

// publicOutline answers the boundaries down to the communities, which the
// resident's map draws when no tile server is reachable.
func (s *Server) publicOutline(w http.ResponseWriter, r *http.Request) error {
	levels := []wangge.Level{wangge.LevelCounty, wangge.LevelStreet, wangge.LevelCommunity}
	switch l := wangge.Level(r.URL.Query().Get("level")); l {
	case "":
	case wangge.LevelCounty, wangge.LevelStreet, wangge.LevelCommunity:
		levels = []wangge.Level{l}
	default:
		return wangge.FieldError("level", "county, street or community")
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []feature{}}
	for _, level := range levels {
		units, total, err := s.DB.FindUnits(system(r).Context(), wangge.UnitFilter{Level: level, WithBoundary: true, Limit: 1000})
		if err != nil {
			return err
		}
		fc.Total += total
		for _, u := range units {
			if u.Boundary != "" {
				fc.Features = append(fc.Features, feature{Type: "Feature", ID: u.ID, Geometry: rawJSON(u.Boundary),
					Properties: map[string]any{"code": u.Code, "level": u.Level, "name_zh": u.NameZH, "name_en": u.NameEN}})
			}
		}
	}
	writeJSONGzip(w, r, fc)
	return nil
}

// publicPhoto attaches a resident's photo to the case their tracking code
// names (multipart fields "photo" and "code").
func (s *Server) publicPhoto(w http.ResponseWriter, r *http.Request) error {
	if !s.reports.allow(clientIP(r), time.Now()) {
		w.Header().Set("Retry-After", "3600")
		return wangge.Errorf(wangge.EFORBIDDEN, "too many uploads from this address; try again later")
	}
	if s.Photos == nil {
		return wangge.Errorf(wangge.EINTERNAL, "photo storage is not configured")
	}
	f, _, err := r.FormFile("photo")
	if err != nil {
		if _, tooBig := err.(*http.MaxBytesError); tooBig {
			return err
		}
		return wangge.FieldError("photo", "send the image as multipart form field \"photo\"")
	}
	defer f.Close()
	c, err := s.Cases.Track(r.Context(), r.PathValue("number"), r.FormValue("code"))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, photo.MaxSize+1))
	if err != nil {
		return err
	}
	saved, err := s.Photos.Put(data)
	if err != nil {
		return err
	}
	p := &sqlstore.Photo{SHA256: saved.SHA256, PublicSHA256: saved.PublicSHA256, Type: saved.Type, Size: saved.Size}
	if err := s.DB.AddPhoto(system(r).Context(), c.ID, p); err != nil {
		return err
	}
	writeJSON(w, 201, map[string]any{"size": p.Size, "type": p.Type})
	return nil
}
