package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

type reportRequest struct {
	Category       string  `json:"category"`
	Title          string  `json:"title,omitempty"`
	Description    string  `json:"description"`
	Address        string  `json:"address,omitempty"`
	Lat            float64 `json:"lat,omitempty"`
	Lon            float64 `json:"lon,omitempty"`
	CRS            string  `json:"crs,omitempty"`       // wgs84 (default; a browser's geolocation), gcj02, bd09
	UnitCode       string  `json:"unit_code,omitempty"` // instead of a point
	ReporterName   string  `json:"reporter_name,omitempty"`
	ReporterPhone  string  `json:"reporter_phone,omitempty"`
	Urgent         bool    `json:"urgent,omitempty"`
	IdempotencyKey string  `json:"idempotency_key,omitempty"` // a retried report is stored once
}

type actionRequest struct {
	Action         wangge.Action `json:"action"`
	Version        int           `json:"version,omitempty"` // the version you saw; a concurrent change answers 409
	Note           string        `json:"note,omitempty"`
	DepartmentID   *int64        `json:"department_id,omitempty"`
	Rating         int           `json:"rating,omitempty"`
	ExtensionHours float64       `json:"extension_hours,omitempty"`
	Card           string        `json:"card,omitempty"`
	ToLevel        wangge.Level  `json:"to_level,omitempty"`
	SurvivorID     int64         `json:"survivor_id,omitempty"`
}

// caseResponse is a case with what the viewer may do with it now.
type caseResponse struct {
	*wangge.Case
	Actions []wangge.Action `json:"actions"`
}

// channelOf is the intake channel of a report filed by a user of a role.
func channelOf(r wangge.Role) wangge.Channel {
	switch r {
	case wangge.RoleOperator, wangge.RoleAdmin:
		return wangge.ChannelHotline
	case wangge.RoleDepartment:
		return wangge.ChannelDepartment
	case wangge.RoleResident:
		return wangge.ChannelResident
	}
	return wangge.ChannelGridWorker
}

func (s *Server) reportCase(w http.ResponseWriter, r *http.Request) error {
	var req reportRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	me := wangge.UserFromContext(r.Context())
	c := &wangge.Case{Category: req.Category, Title: req.Title, Description: req.Description, Address: req.Address,
		Lat: req.Lat, Lon: req.Lon, CRS: req.CRS, UnitCode: req.UnitCode, ReporterName: req.ReporterName, ReporterPhone: req.ReporterPhone,
		Urgent: req.Urgent, IdempotencyKey: req.IdempotencyKey, Channel: channelOf(me.Role), ReporterID: &me.ID}
	if c.UnitCode != "" && !wangge.ScopeOf(me).Contains(c.UnitCode) {
		return wangge.FieldError("unit_code", "unknown unit")
	}
	if _, err := s.Cases.Report(r.Context(), c, s.DB.Now()); err != nil {
		return err
	}
	writeJSON(w, 201, caseResponse{c, wangge.Allowed(*c, me)})
	return nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := sqlstore.CaseFilter{Unit: q.Get("unit"), Category: q.Get("category"), Light: q.Get("light"), Channel: wangge.Channel(q.Get("channel")), Mine: q.Get("mine") == "true"}
	for _, st := range strings.Split(q.Get("status"), ",") {
		if st != "" {
			f.Status = append(f.Status, wangge.Status(st))
		}
	}
	switch q.Get("open") {
	case "true":
		t := true
		f.Open = &t
	case "false":
		t := false
		f.Open = &t
	case "":
	default:
		return wangge.FieldError("open", "true or false")
	}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return wangge.FieldError(name, "must be an RFC 3339 time")
			}
			*dst = &t
		}
	}
	d, err := intParam(r, "department")
	if err != nil {
		return err
	}
	f.Department = int64(d)
	if f.Limit, f.Offset, err = pageParams(r); err != nil {
		return err
	}
	cases, total, err := s.DB.FindCases(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, 200, page[*wangge.Case]{cases, total})
	return nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	c, err := s.DB.Case(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, caseResponse{c, wangge.Allowed(*c, wangge.UserFromContext(r.Context()))})
	return nil
}

func (s *Server) caseTimeline(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	evs, err := s.DB.CaseEvents(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, evs)
	return nil
}

func (s *Server) caseAction(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var req actionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.ExtensionHours < 0 || req.ExtensionHours > 2000 {
		return wangge.FieldError("extension_hours", "0 to 2000")
	}
	step := wangge.Step{Action: req.Action, Note: req.Note, Department: req.DepartmentID, Rating: req.Rating,
		Extension: time.Duration(req.ExtensionHours * float64(time.Hour)), Card: req.Card, ToLevel: req.ToLevel, SurvivorID: req.SurvivorID}
	c, err := s.Cases.Act(r.Context(), id, req.Version, step, s.DB.Now())
	if err != nil {
		return err
	}
	writeJSON(w, 200, caseResponse{c, wangge.Allowed(*c, wangge.UserFromContext(r.Context()))})
	return nil
}

func (s *Server) getCatalogue(w http.ResponseWriter, r *http.Request) error {
	cat, err := s.DB.Catalogue(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, 200, cat)
	return nil
}

func (s *Server) putCatalogue(w http.ResponseWriter, r *http.Request) error {
	var cat wangge.Catalogue
	if err := decode(r, &cat); err != nil {
		return err
	}
	if err := s.DB.SaveCatalogue(r.Context(), &cat); err != nil {
		return err
	}
	s.Cases.CatalogueChanged()
	return s.getCatalogue(w, r)
}

type routingRequest struct {
	Rules []sqlstore.RoutingRule `json:"rules"`
}

func (s *Server) putRouting(w http.ResponseWriter, r *http.Request) error {
	var req routingRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	code := r.PathValue("category")
	if _, err := s.Cases.Category(r.Context(), code); err != nil {
		return err
	}
	if err := s.DB.SetRoutingRules(r.Context(), code, req.Rules); err != nil {
		return err
	}
	writeJSON(w, 200, req)
	return nil
}
