package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/wangge/wangge"
)

type publicReportRequest struct {
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Address     string  `json:"address,omitempty"`
	Lat         float64 `json:"lat,omitempty"`
	Lon         float64 `json:"lon,omitempty"`
	CRS         string  `json:"crs,omitempty"`
	// UnitCode, instead of a point: the community (or a unit below it) the
	// resident chose, with the address typed in Address.
	UnitCode       string `json:"unit_code,omitempty"`
	Name           string `json:"name,omitempty"`
	Phone          string `json:"phone,omitempty"` // optional: for a return visit
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

type publicReportResponse struct {
	Number       string `json:"number"`
	TrackingCode string `json:"tracking_code"` // shown once: keep it to follow and rate the case
	Status       string `json:"status"`
}

// publicCaseView is what a reporter sees of their case: no staff, no
// department internals, no other reporter.
type publicCaseView struct {
	Number      string     `json:"number"`
	Status      string     `json:"status"`
	Category    string     `json:"category"`
	Description string     `json:"description"`
	ReportedAt  time.Time  `json:"reported_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	DueAt       *time.Time `json:"due_at,omitempty"`
	Rating      int        `json:"rating,omitempty"`
	CanRate     bool       `json:"can_rate"`
}

type publicRateRequest struct {
	TrackingCode string `json:"tracking_code"`
	Rating       int    `json:"rating"`
	Comment      string `json:"comment,omitempty"`
}

func viewOf(c *wangge.Case) publicCaseView {
	return publicCaseView{Number: c.Number, Status: string(c.Status), Category: c.Category, Description: c.Description,
		ReportedAt: c.ReportedAt, UpdatedAt: c.UpdatedAt, ClosedAt: c.ClosedAt, DueAt: c.DueAt, Rating: c.Rating, CanRate: c.Status == wangge.StatusClosed}
}

func (s *Server) publicReport(w http.ResponseWriter, r *http.Request) error {
	if !s.reports.allow(clientIP(r), time.Now()) {
		w.Header().Set("Retry-After", "3600")
		return wangge.Errorf(wangge.EFORBIDDEN, "too many reports from this address; try again later or call the hotline")
	}
	var req publicReportRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Lat == 0 && req.Lon == 0 {
		// Without a pin: a community and a typed address.
		var v wangge.Validation
		if req.UnitCode == "" {
			v.Add("lat", "pick a point on the map, or choose your community and type the address")
		} else if u, err := s.DB.Unit(wangge.NewContextWithUser(r.Context(), &wangge.User{Username: "public", Role: wangge.RoleAdmin}), req.UnitCode); err != nil ||
			u.Level.Rank() < wangge.LevelCommunity.Rank() {
			v.Add("unit_code", "choose a community")
		}
		if req.UnitCode != "" && len([]rune(strings.TrimSpace(req.Address))) < 4 {
			v.Add("address", "type the address (street, number, building)")
		}
		if err := v.Err(); err != nil {
			return err
		}
	} else {
		req.UnitCode = "" // the point decides
	}
	c := &wangge.Case{Category: req.Category, Description: req.Description, Address: strings.TrimSpace(req.Address), Lat: req.Lat, Lon: req.Lon, CRS: req.CRS,
		UnitCode: req.UnitCode, ReporterName: req.Name, ReporterPhone: req.Phone, IdempotencyKey: req.IdempotencyKey}
	if c.IdempotencyKey != "" {
		c.IdempotencyKey = "public:" + c.IdempotencyKey
	}
	out, code, err := s.Cases.ReportAnonymous(r.Context(), c, s.DB.Now())
	if err != nil {
		return err
	}
	writeJSON(w, 201, publicReportResponse{Number: out.Number, TrackingCode: code, Status: string(out.Status)})
	return nil
}

func (s *Server) publicTrack(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Cases.Track(r.Context(), r.PathValue("number"), r.URL.Query().Get("code"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, viewOf(c))
	return nil
}

func (s *Server) publicRate(w http.ResponseWriter, r *http.Request) error {
	var req publicRateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.Comment) > 2000 {
		return wangge.FieldError("comment", "too long")
	}
	c, err := s.Cases.RateAnonymous(r.Context(), r.PathValue("number"), req.TrackingCode, req.Rating, req.Comment, s.DB.Now())
	if err != nil {
		return err
	}
	writeJSON(w, 200, viewOf(c))
	return nil
}
