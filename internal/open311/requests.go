package open311

import (
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

// Listing limits: the default window of GET requests, and the most
// requests one answer holds.
const (
	DefaultWindow = 90 * 24 * time.Hour
	MaxPageSize   = 1000
)

// request is a service request as the public sees it: no reporter, no
// internal workflow detail.
type request struct {
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       nullable `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible nullable `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     nullable `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  nullable `json:"expected_datetime" xml:"expected_datetime"`
	Address           nullable `json:"address" xml:"address"`
	AddressID         nullable `json:"address_id" xml:"address_id"`
	Zipcode           nullable `json:"zipcode" xml:"zipcode"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
	MediaURL          nullable `json:"media_url" xml:"media_url"`
}

// requestList is the XML root of a list of requests.
type requestList struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []request `xml:"request"`
}

// created answers a posted request.
type created struct {
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    nullable `json:"service_notice" xml:"service_notice"`
	AccountID        nullable `json:"account_id" xml:"account_id"`
}

// createdList is the XML root of the answer to a post.
type createdList struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []created `xml:"request"`
}

// tokenAnswer resolves a token to its request.
type tokenAnswer struct {
	ServiceRequestID string `json:"service_request_id" xml:"service_request_id"`
	Token            string `json:"token" xml:"token"`
}

// tokenList is the XML root of a token answer.
type tokenList struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []tokenAnswer `xml:"request"`
}

// publicNotes are the actions whose notes explain a case to the public;
// the notes of internal steps (a return, a failed check, a comment) may
// name people and are not shown.
var publicNotes = map[string]bool{
	string(wangge.ActReject):      true,
	string(wangge.ActMerge):       true,
	string(wangge.ActSelfResolve): true,
	string(wangge.ActFinish):      true,
	string(wangge.ActClose):       true,
}

// lookup resolves the names a request shows, loading each list once per
// answer.
type lookup struct {
	h     *Handler
	r     *http.Request
	depts map[int64]string
}

func (l *lookup) department(id *int64) (nullable, error) {
	if id == nil {
		return "", nil
	}
	if l.depts == nil {
		ds, err := l.h.DB.Departments(system(l.r.Context()))
		if err != nil {
			return "", err
		}
		l.depts = map[int64]string{}
		for _, d := range ds {
			name := d.NameEN
			if name == "" {
				name = d.NameZH
			}
			l.depts[d.ID] = name
		}
	}
	return nullable(l.depts[*id]), nil
}

func (l *lookup) request(c *wangge.Case) (request, error) {
	ctx := system(l.r.Context())
	out := request{
		ServiceRequestID:  idString(c.ID),
		Status:            "closed",
		ServiceCode:       c.Category,
		Description:       c.Description,
		ServiceNotice:     nullable("Case " + c.Number),
		RequestedDatetime: w3c(c.ReportedAt),
		UpdatedDatetime:   w3c(c.UpdatedAt),
		Address:           nullable(c.Address),
	}
	if c.Status.Open() {
		out.Status = "open"
		if c.DueAt != nil {
			out.ExpectedDatetime = nullable(w3c(*c.DueAt))
		}
	}
	if cat, err := l.h.Cases.Category(ctx, c.Category); err == nil {
		out.ServiceName = cat.NameEN
	}
	if c.Lat != 0 || c.Lon != 0 {
		lat, lon := c.Lat, c.Lon
		out.Lat, out.Long = &lat, &lon
	}
	var err error
	if out.AgencyResponsible, err = l.department(c.DepartmentID); err != nil {
		return out, err
	}
	events, err := l.h.DB.CaseEvents(ctx, c.ID)
	if err != nil {
		return out, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if ev := events[i]; ev.Note != "" && publicNotes[ev.Action] {
			out.StatusNotes = nullable(ev.Note)
			break
		}
	}
	return out, nil
}

func (l *lookup) requests(cs []*wangge.Case) ([]request, error) {
	out := make([]request, 0, len(cs))
	for _, c := range cs {
		rq, err := l.request(c)
		if err != nil {
			return nil, err
		}
		out = append(out, rq)
	}
	return out, nil
}

// caseByID returns a case by its service_request_id; anything that is not
// a case is not found.
func (h *Handler) caseByID(r *http.Request, id string) (*wangge.Case, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return nil, wangge.Errorf(wangge.ENOTFOUND, "service_request_id %q not found", id)
	}
	c, err := h.DB.Case(system(r.Context()), n)
	if wangge.ErrorCode(err) == wangge.ENOTFOUND {
		return nil, wangge.Errorf(wangge.ENOTFOUND, "service_request_id %q not found", id)
	}
	return c, err
}

// list answers GET requests.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, f format) error {
	q := r.URL.Query()
	l := &lookup{h: h, r: r}
	if ids := q.Get("service_request_id"); ids != "" {
		// The ids override every other parameter.
		var cs []*wangge.Case
		for i, id := range strings.Split(ids, ",") {
			if i == MaxPageSize {
				break
			}
			c, err := h.caseByID(r, id)
			if wangge.ErrorCode(err) == wangge.ENOTFOUND {
				continue
			}
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		out, err := l.requests(cs)
		if err != nil {
			return err
		}
		write(w, http.StatusOK, f, out, requestList{Requests: out})
		return nil
	}
	filter, err := h.filter(q.Get)
	if err != nil {
		return err
	}
	cs, total, err := h.DB.FindCases(system(r.Context()), filter)
	if err != nil {
		return err
	}
	out, err := l.requests(cs)
	if err != nil {
		return err
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	write(w, http.StatusOK, f, out, requestList{Requests: out})
	return nil
}

// filter reads the parameters of GET requests into a case filter.
func (h *Handler) filter(get func(string) string) (sqlstore.CaseFilter, error) {
	var v wangge.Validation
	f := sqlstore.CaseFilter{Category: strings.TrimSpace(get("service_code"))}
	from, errFrom := parseDate(get("start_date"))
	if errFrom != nil {
		v.Add("start_date", errFrom.Error())
	}
	to, errTo := parseDate(get("end_date"))
	if errTo != nil {
		v.Add("end_date", errTo.Error())
	}
	if from == nil {
		end := h.now()
		if to != nil {
			end = *to
		}
		start := end.Add(-DefaultWindow)
		from = &start
	}
	if to != nil && !to.After(*from) {
		v.Add("end_date", "must be after start_date")
	}
	f.From, f.To = from, to
	if s := get("status"); s != "" {
		open, closed := false, false
		for _, part := range strings.Split(s, ",") {
			switch strings.TrimSpace(part) {
			case "open":
				open = true
			case "closed":
				closed = true
			default:
				v.Add("status", "open or closed")
			}
		}
		if open != closed {
			f.Open = &open
		}
	}
	page, size := 1, MaxPageSize
	if s := get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1_000_000 {
			v.Add("page", "a page number from 1")
		}
		page = n
	}
	if s := get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			v.Add("page_size", fmt.Sprintf("from 1 to %d", MaxPageSize))
		}
		size = n
	}
	if err := v.Err(); err != nil {
		return f, err
	}
	f.Limit, f.Offset = size, (page-1)*size
	return f, nil
}

// parseDate reads a W3C date-time, or a plain date in China time.
func parseDate(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, wangge.ChinaTime); err == nil {
		return &t, nil
	}
	return nil, fmt.Errorf("a W3C date-time such as 2026-11-23T09:00:00+08:00")
}

// one answers GET requests/{id}.
func (h *Handler) one(w http.ResponseWriter, r *http.Request, id string, f format) error {
	c, err := h.caseByID(r, id)
	if err != nil {
		return err
	}
	rq, err := (&lookup{h: h, r: r}).request(c)
	if err != nil {
		return err
	}
	out := []request{rq}
	write(w, http.StatusOK, f, out, requestList{Requests: out})
	return nil
}

// token answers GET tokens/{token}: requests are filed at once, so a token
// is the service request id.
func (h *Handler) token(w http.ResponseWriter, r *http.Request, token string, f format) error {
	c, err := h.caseByID(r, token)
	if wangge.ErrorCode(err) == wangge.ENOTFOUND {
		return wangge.Errorf(wangge.ENOTFOUND, "token %q not found", token)
	}
	if err != nil {
		return err
	}
	out := []tokenAnswer{{ServiceRequestID: idString(c.ID), Token: idString(c.ID)}}
	write(w, http.StatusOK, f, out, tokenList{Requests: out})
	return nil
}

// create answers POST requests: it checks the key and files a case on the
// Open311 channel.
func (h *Handler) create(w http.ResponseWriter, r *http.Request, f format) error {
	client, err := h.DB.CheckAPIKey(r.Context(), r.FormValue("api_key"))
	if err != nil {
		if code := wangge.ErrorCode(err); code == wangge.EUNAUTHORIZED || code == wangge.EFORBIDDEN {
			return wangge.Errorf(wangge.EFORBIDDEN, "api_key missing or invalid")
		}
		return err
	}
	ctx := system(r.Context())
	var v wangge.Validation
	code := strings.TrimSpace(r.FormValue("service_code"))
	if code == "" {
		v.Add("service_code", "required")
	}
	c := &wangge.Case{
		Category:      code,
		Channel:       wangge.ChannelOpen311,
		Description:   strings.TrimSpace(r.FormValue("description")),
		Address:       strings.TrimSpace(r.FormValue("address_string")),
		ReporterName:  strings.TrimSpace(strings.TrimSpace(r.FormValue("first_name")) + " " + strings.TrimSpace(r.FormValue("last_name"))),
		ReporterPhone: normalizePhone(r.FormValue("phone")),
	}
	latS, lonS := strings.TrimSpace(r.FormValue("lat")), strings.TrimSpace(r.FormValue("long"))
	switch {
	case latS != "" || lonS != "":
		lat, errLat := strconv.ParseFloat(latS, 64)
		lon, errLon := strconv.ParseFloat(lonS, 64)
		if errLat != nil || math.IsNaN(lat) || lat < -90 || lat > 90 {
			v.Add("lat", "a WGS84 latitude in degrees is required with long")
		}
		if errLon != nil || math.IsNaN(lon) || lon < -180 || lon > 180 {
			v.Add("long", "a WGS84 longitude in degrees is required with lat")
		}
		c.Lat, c.Lon, c.CRS = lat, lon, "wgs84"
	case c.Address != "":
		v.Add("address_string", "this server cannot place an address: send lat and long as well")
	default:
		v.Add("lat", "a location is required: lat and long")
	}
	key := strings.TrimSpace(r.FormValue("idempotency_key"))
	if key == "" {
		key = strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	}
	if len(key) > 200 {
		v.Add("idempotency_key", "too long (at most 200 bytes)")
	} else if key != "" {
		// Keys are the client's own: two clients may pick the same one.
		c.IdempotencyKey = "open311:" + client + ":" + key
	}
	if err := v.Err(); err != nil {
		return err
	}
	cat, err := h.Cases.Category(ctx, code)
	if err != nil {
		return err
	}
	if c.Description == "" {
		// The specification makes the description optional; the case
		// loop needs one, and the service's name says what was reported.
		c.Description = cat.NameZH
	}
	filed, err := h.Cases.Report(ctx, c, h.now())
	if err != nil {
		return err
	}
	notice := "Received as case " + filed.Number + "."
	if filed.DueAt != nil && filed.Status.Open() {
		notice += " It is due to be accepted by " + w3c(*filed.DueAt) + "."
	}
	out := []created{{ServiceRequestID: idString(filed.ID), ServiceNotice: nullable(notice)}}
	write(w, http.StatusCreated, f, out, createdList{Requests: out})
	return nil
}

// normalizePhone drops spaces and the Chinese country code, so that
// "+86 138 0013 8000" is stored as the number it is.
func normalizePhone(s string) string {
	s = strings.Join(strings.Fields(s), "")
	for _, p := range []string{"+86", "0086"} {
		if strings.HasPrefix(s, p) {
			return strings.TrimPrefix(strings.TrimPrefix(s, p), "-")
		}
	}
	return s
}
