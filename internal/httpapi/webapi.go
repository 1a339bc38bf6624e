package httpapi

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
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

	unitIdx   map[string]int
	statusIdx map[wangge.Status]int
}

// mapLights are the lights a row names by index.
var mapLights = map[string]int{"": 0, "green": 1, "yellow": 2, "red": 3}

func newMapPoints(at time.Time) mapPoints {
	return mapPoints{Units: []string{}, Lights: []string{"", "green", "yellow", "red"}, Rows: [][6]any{}, At: at,
		unitIdx: map[string]int{}, statusIdx: map[wangge.Status]int{}}
}

// add appends a case's row: its unit and status as indexes into Units and
// Statuses, which grow as new ones appear.
func (m *mapPoints) add(id int64, lat, lon float64, unit string, light string, status wangge.Status) {
	ui, ok := m.unitIdx[unit]
	if !ok {
		ui = len(m.Units)
		m.unitIdx[unit] = ui
		m.Units = append(m.Units, unit)
	}
	si, ok := m.statusIdx[status]
	if !ok {
		si = len(m.Statuses)
		m.statusIdx[status] = si
		m.Statuses = append(m.Statuses, string(status))
	}
	m.Rows = append(m.Rows, [6]any{id, round6(lat), round6(lon), ui, mapLights[light], si})
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
// unless open=false or all), for the map's markers and unit colours. Open
// cases come from the in-memory map layer; others from the database.
func (s *Server) casePoints(w http.ResponseWriter, r *http.Request) error {
	f, err := caseFilterOf(r)
	if err != nil {
		return err
	}
	if f.BBox, err = bboxParam(r, "bbox"); err != nil {
		return err
	}
	if f.Open != nil && *f.Open && !f.Mine && f.Channel == "" {
		if recs, at, ok := s.openPoints(r); ok {
			writeJSONGzip(w, r, pointsOf(recs, at, f, wangge.UserFromContext(r.Context())))
			return nil
		}
	}
	out := newMapPoints(s.DB.Now())
	// The first page says how many there are; the others are read side by
	// side on the pool of read connections.
	const pageSize = 1000
	f.Limit = pageSize
	first, total, err := s.DB.FindCases(r.Context(), f)
	if err != nil {
		return err
	}
	out.Total = total
	pages := [][]*wangge.Case{first}
	if n := min(total, maxMapPoints); n > pageSize {
		pages = append(pages, make([][]*wangge.Case, (n-1)/pageSize)...)
		errs := make([]error, len(pages))
		var wg sync.WaitGroup
		for i := 1; i < len(pages); i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				pf := f
				pf.Offset = i * pageSize
				pages[i], _, errs[i] = s.DB.FindCases(r.Context(), pf)
			}(i)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	seen := map[int64]bool{}
	for _, cases := range pages {
		for _, c := range cases {
			if seen[c.ID] { // a case reported while the pages were read shifts the later ones
				continue
			}
			seen[c.ID] = true
			out.add(c.ID, c.Lat, c.Lon, c.UnitCode, c.Light, c.Status)
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

// The map layer of open cases is kept in memory: loading 10,000 cases from
// the database takes over a second, and the command centre asks for it on
// every page load and filter. It is loaded once, kept current from the live
// case events, and loaded again when older than pointsMaxAge (events a slow
// listener lost, changes made by another server). It is dropped after
// pointsIdle without a request.
const (
	pointsMaxAge = 2 * time.Minute
	pointsIdle   = 10 * time.Minute
	pointsMax    = 200000 // above this many open cases, read the database each time
)

// pointRec is what the map needs of an open case, and what the scope and
// the filters look at.
type pointRec struct {
	ID, Department, Reporter int64
	Version                  int
	Lat, Lon                 float64
	Unit, Category, Light    string
	Status                   wangge.Status
	Reported                 time.Time
}

func recOf(c *wangge.Case) pointRec {
	p := pointRec{ID: c.ID, Version: c.Version, Lat: c.Lat, Lon: c.Lon, Unit: c.UnitCode, Category: c.Category, Light: c.Light, Status: c.Status, Reported: c.ReportedAt}
	if c.DepartmentID != nil {
		p.Department = *c.DepartmentID
	}
	if c.ReporterID != nil {
		p.Reporter = *c.ReporterID
	}
	return p
}

type pointCache struct {
	mu       sync.Mutex
	recs     map[int64]pointRec
	at       time.Time // when loaded
	used     time.Time // last request
	loading  bool
	watching bool
	tooMany  bool
}

// pointCaches holds each server's cache (kept beside the Server so that
// the web UI's support stays in this file).
var pointCaches sync.Map // *Server → *pointCache

func (s *Server) pointCache() *pointCache {
	pc, _ := pointCaches.LoadOrStore(s, &pointCache{})
	return pc.(*pointCache)
}

// openPoints returns the open cases' points, loading them on first use.
func (s *Server) openPoints(r *http.Request) ([]pointRec, time.Time, bool) {
	pc := s.pointCache()
	pc.mu.Lock()
	pc.used = time.Now()
	if !pc.watching {
		pc.watching = true
		go s.watchPoints()
	}
	stale := pc.recs == nil || time.Since(pc.at) > pointsMaxAge
	if stale && !pc.loading {
		pc.loading = true
		if pc.recs == nil {
			pc.mu.Unlock()
			s.loadPoints(r)
			pc.mu.Lock()
		} else {
			go s.loadPoints(r)
		}
	}
	defer pc.mu.Unlock()
	if pc.recs == nil || pc.tooMany {
		return nil, time.Time{}, false
	}
	out := make([]pointRec, 0, len(pc.recs))
	for _, p := range pc.recs {
		out = append(out, p)
	}
	return out, pc.at, true
}

// loadPoints reads every open case (as the platform, all scopes) into the
// cache. Events that arrive meanwhile are applied by version.
func (s *Server) loadPoints(r *http.Request) {
	ctx := system(r.WithContext(context.WithoutCancel(r.Context()))).Context()
	open := true
	f := sqlstore.CaseFilter{Open: &open, Limit: 1000}
	recs := map[int64]pointRec{}
	at := time.Now()
	tooMany := false
	var err error
	for f.Offset = 0; ; f.Offset += f.Limit {
		var cases []*wangge.Case
		var total int
		cases, total, err = s.DB.FindCases(ctx, f)
		if err != nil || total > pointsMax {
			tooMany = err == nil
			break
		}
		for _, c := range cases {
			recs[c.ID] = recOf(c)
		}
		if len(cases) < f.Limit {
			break
		}
	}
	pc := s.pointCache()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.loading = false
	if err != nil {
		s.Logger.Warn("map points", "err", err)
		return
	}
	for id, p := range pc.recs { // changes seen while loading win if newer
		if q, ok := recs[id]; !ok || q.Version < p.Version {
			if ok || p.Reported.After(at.Add(-time.Minute)) {
				recs[id] = p
			}
		}
	}
	pc.recs, pc.at, pc.tooMany = recs, at, tooMany
}

// watchPoints keeps the cache current from the live events until it has
// not been used for pointsIdle.
func (s *Server) watchPoints() {
	events, cancel := s.Cases.Broker.Subscribe()
	defer cancel()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	pc := s.pointCache()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			pc.mu.Lock()
			if pc.recs != nil && e.Case != nil {
				if old, seen := pc.recs[e.Case.ID]; !seen || old.Version <= e.Case.Version {
					if e.Case.Status.Open() {
						pc.recs[e.Case.ID] = recOf(e.Case)
					} else {
						delete(pc.recs, e.Case.ID)
					}
				}
			}
			pc.mu.Unlock()
		case <-tick.C:
			pc.mu.Lock()
			idle := time.Since(pc.used) > pointsIdle
			if idle {
				pc.recs, pc.watching = nil, false
			}
			pc.mu.Unlock()
			if idle {
				return
			}
		}
	}
}

// pointsOf filters the cached points for a viewer, as the database would.
func pointsOf(recs []pointRec, at time.Time, f sqlstore.CaseFilter, me *wangge.User) mapPoints {
	sort.Slice(recs, func(i, j int) bool {
		if !recs[i].Reported.Equal(recs[j].Reported) {
			return recs[i].Reported.After(recs[j].Reported)
		}
		return recs[i].ID > recs[j].ID
	})
	out := newMapPoints(at)
	for _, p := range recs {
		c := wangge.Case{UnitCode: p.Unit}
		if p.Department != 0 {
			c.DepartmentID = &p.Department
		}
		if p.Reporter != 0 {
			c.ReporterID = &p.Reporter
		}
		if !wangge.CanSee(me, &c) ||
			(f.Unit != "" && !wangge.InSubtree(p.Unit, f.Unit)) ||
			(f.Category != "" && !strings.HasPrefix(p.Category, f.Category)) ||
			(f.Department != 0 && p.Department != f.Department) ||
			(f.Light != "" && p.Light != f.Light) ||
			(f.BBox != nil && (p.Lon < f.BBox[0] || p.Lon > f.BBox[2] || p.Lat < f.BBox[1] || p.Lat > f.BBox[3])) ||
			(len(f.Status) > 0 && !slices.Contains(f.Status, p.Status)) ||
			(f.From != nil && p.Reported.Before(*f.From)) || (f.To != nil && !p.Reported.Before(*f.To)) {
			continue
		}
		out.Total++
		if len(out.Rows) >= maxMapPoints {
			continue
		}
		out.add(p.ID, p.Lat, p.Lon, p.Unit, p.Light, p.Status)
	}
	out.Truncated = len(out.Rows) < out.Total
	return out
}
