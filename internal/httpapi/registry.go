package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
)

type buildingRequest struct {
	wangge.Building
	CRS string `json:"crs,omitempty"` // of lon/lat: wgs84 (default), gcj02, bd09
}

type personRequest struct {
	HouseholdID int64            `json:"household_id,omitempty"`
	UnitCode    string           `json:"unit_code,omitempty"`
	Name        string           `json:"name"`
	IDNumber    string           `json:"id_number"`
	Phone       string           `json:"phone,omitempty"`
	Ethnicity   string           `json:"ethnicity,omitempty"`
	Residence   wangge.Residence `json:"residence,omitempty"`
	Relation    string           `json:"relation,omitempty"`
	Tags        []string         `json:"tags,omitempty"`
	CareTier    wangge.CareTier  `json:"care_tier,omitempty"`
}

type revealRequest struct {
	Field  string `json:"field"` // id_number or phone
	Reason string `json:"reason"`
}

type revealResponse struct {
	PersonID int64  `json:"person_id"`
	Field    string `json:"field"`
	Value    string `json:"value"`
}

type visitRequest struct {
	At   *time.Time `json:"at,omitempty"`
	Note string     `json:"note"`
	// IdempotencyKey makes a retried visit record once (the app's offline
	// queue sends one with each visit).
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// registryFilter reads the common listing parameters.
func registryFilter(r *http.Request) (sqlstore.RegistryFilter, error) {
	q := r.URL.Query()
	f := sqlstore.RegistryFilter{Unit: q.Get("unit"), Q: q.Get("q"), Tag: q.Get("tag"), CareTier: wangge.CareTier(q.Get("care_tier")),
		IDNumber: q.Get("id_number"), Phone: q.Get("phone")}
	var err error
	if f.Limit, f.Offset, err = pageParams(r); err != nil {
		return f, err
	}
	for name, dst := range map[string]*int64{"building": &f.Building, "household": &f.Household} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil {
				return f, wangge.FieldError(name, "must be an id")
			}
		}
	}
	if f.CareTier != "" && f.CareTier.Interval() == nil {
		return f, wangge.FieldError("care_tier", "must be high_risk, key or general")
	}
	switch v := q.Get("visit_due"); v {
	case "":
	case "now":
		t := time.Now().UTC()
		f.VisitDue = &t
	default:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, wangge.FieldError("visit_due", "must be an RFC 3339 time or now")
		}
		f.VisitDue = &t
	}
	return f, nil
}

func listOf[T any](w http.ResponseWriter, r *http.Request, find func(*http.Request, sqlstore.RegistryFilter) ([]T, int, error)) error {
	f, err := registryFilter(r)
	if err != nil {
		return err
	}
	items, total, err := find(r, f)
	if err != nil {
		return err
	}
	writeJSON(w, 200, page[T]{items, total})
	return nil
}

func getOne[T any](w http.ResponseWriter, r *http.Request, get func(*http.Request, int64) (T, error)) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	x, err := get(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, x)
	return nil
}

func (s *Server) listBuildings(w http.ResponseWriter, r *http.Request) error {
	return listOf(w, r, func(r *http.Request, f sqlstore.RegistryFilter) ([]*wangge.Building, int, error) {
		return s.DB.Buildings(r.Context(), f)
	})
}

func (s *Server) getBuilding(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, func(r *http.Request, id int64) (*wangge.Building, error) { return s.DB.Building(r.Context(), id) })
}

func (s *Server) createBuilding(w http.ResponseWriter, r *http.Request) error {
	var req buildingRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	crs, err := geo.ParseCRS(req.CRS)
	if err != nil {
		return err
	}
	b := req.Building
	if _, err := geo.ParseLatLon(strconv.FormatFloat(b.Lat, 'f', -1, 64), strconv.FormatFloat(b.Lon, 'f', -1, 64)); err != nil {
		return err
	}
	p := geo.Convert(geo.Point{X: b.Lon, Y: b.Lat}, crs, geo.WGS84)
	b.Lon, b.Lat, b.CRS = p.X, p.Y, string(crs)
	if err := s.DB.CreateBuilding(r.Context(), &b); err != nil {
		return err
	}
	writeJSON(w, 201, b)
	return nil
}

func (s *Server) listHouseholds(w http.ResponseWriter, r *http.Request) error {
	return listOf(w, r, func(r *http.Request, f sqlstore.RegistryFilter) ([]*wangge.Household, int, error) {
		return s.DB.Households(r.Context(), f)
	})
}

func (s *Server) getHousehold(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, func(r *http.Request, id int64) (*wangge.Household, error) { return s.DB.Household(r.Context(), id) })
}

func (s *Server) createHousehold(w http.ResponseWriter, r *http.Request) error {
	var h wangge.Household
	if err := decode(r, &h); err != nil {
		return err
	}
	h.ID = 0
	if err := s.DB.CreateHousehold(r.Context(), &h); err != nil {
		return err
	}
	writeJSON(w, 201, h)
	return nil
}

func (s *Server) listPersons(w http.ResponseWriter, r *http.Request) error {
	return listOf(w, r, func(r *http.Request, f sqlstore.RegistryFilter) ([]*wangge.Person, int, error) {
		return s.DB.Persons(r.Context(), f)
	})
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, func(r *http.Request, id int64) (*wangge.Person, error) { return s.DB.Person(r.Context(), id) })
}

func (s *Server) createPerson(w http.ResponseWriter, r *http.Request) error {
	var req personRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p := wangge.Person{HouseholdID: req.HouseholdID, UnitCode: req.UnitCode, Name: req.Name, IDNumber: req.IDNumber, Phone: req.Phone,
		Ethnicity: req.Ethnicity, Residence: req.Residence, Relation: req.Relation, Tags: req.Tags, CareTier: req.CareTier}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	if err := s.DB.CreatePerson(r.Context(), &p); err != nil {
		return err
	}
	writeJSON(w, 201, p)
	return nil
}

func (s *Server) reveal(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var req revealRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	v, err := s.DB.Reveal(r.Context(), id, req.Field, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, 200, revealResponse{PersonID: id, Field: req.Field, Value: v})
	return nil
}

func (s *Server) listVisits(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	if _, err := s.DB.Person(r.Context(), id); err != nil {
		return err
	}
	vs, total, err := s.DB.Visits(r.Context(), id, limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, 200, page[*wangge.Visit]{vs, total})
	return nil
}

func (s *Server) recordVisit(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var req visitRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	v := wangge.Visit{PersonID: id, Note: req.Note, IdempotencyKey: strings.TrimSpace(req.IdempotencyKey)}
	if req.At != nil {
		v.At = *req.At
	}
	if err := s.DB.RecordVisit(r.Context(), &v); err != nil {
		return err
	}
	writeJSON(w, 201, v)
	return nil
}

func (s *Server) accessLog(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	person, err := intParam(r, "person")
	if err != nil {
		return err
	}
	entries, total, err := s.DB.AccessLog(r.Context(), int64(person), limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, 200, page[*sqlstore.AccessLogEntry]{entries, total})
	return nil
}
