package open311

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/caseflow"
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
	// Extended is this server's extension (GET with extensions=true, and
	// the answer to a sync key's update), in the manner of other cities'
	// Open311 servers.
	Extended *extended `json:"extended_attributes,omitempty" xml:"extended_attributes,omitempty"`
}

// extended holds what the loop knows of a request beyond the specification.
type extended struct {
	CaseNumber string `json:"case_number" xml:"case_number"`
	Status     string `json:"case_status" xml:"case_status"` // the loop's own status: dispatched, handled, ...
	Level      string `json:"level" xml:"level"`
	// Overdue: some step of the case went past its deadline (按期结案率
	// counts a closed case without it as closed on time).
	Overdue bool `json:"overdue" xml:"overdue"`
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
	h        *Handler
	r        *http.Request
	extended bool // add extended_attributes
	noEvents bool // leave status_notes to the caller
	// public: the reader showed no api_key. Personal numbers in the texts
	// are masked (MaskText), and disputes and safety hazards show the
	// category for a description, no address, and a point rounded to about
	// 100 m: they name neighbours, and where a hazard is.
	public bool
}

// reader returns the lookup of a GET: public unless it carries an api_key,
// which must then be valid (the specification's 403 otherwise).
func (h *Handler) reader(r *http.Request) (*lookup, error) {
	l := &lookup{h: h, r: r, extended: r.URL.Query().Get("extensions") == "true", public: true}
	if r.URL.Query().Get("api_key") != "" {
		if _, err := h.client(r); err != nil {
			return nil, err
		}
		l.public = false
	}
	return l, nil
}

func (l *lookup) department(id *int64) (nullable, error) {
	if id == nil {
		return "", nil
	}
	names, err := l.h.departments(l.r.Context())
	if err != nil {
		return "", err
	}
	return nullable(names[*id]), nil
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
	if l.public {
		out.Description = wangge.MaskText(out.Description)
		if c.Kind == wangge.KindDispute || c.Kind == wangge.KindHazard {
			out.Description, out.Address = out.ServiceName, ""
			if cat, err := l.h.Cases.Category(ctx, c.Category); err == nil {
				out.Description = cat.NameZH
			}
			if out.Lat != nil {
				*out.Lat, *out.Long = math.Round(*out.Lat*1000)/1000, math.Round(*out.Long*1000)/1000
			}
		}
	}
	if l.extended {
		out.Extended = &extended{CaseNumber: c.Number, Status: string(c.Status), Level: string(c.Level), Overdue: c.Overdue}
	}
	if l.noEvents {
		return out, nil
	}
	events, err := l.h.DB.CaseEvents(ctx, c.ID)
	if err != nil {
		return out, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if ev := events[i]; ev.Note != "" && publicNotes[ev.Action] {
			out.StatusNotes = nullable(ev.Note)
			if l.public {
				out.StatusNotes = nullable(wangge.MaskText(ev.Note))
			}
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
	l, err := h.reader(r)
	if err != nil {
		return err
	}
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
	l, err := h.reader(r)
	if err != nil {
		return err
	}
	rq, err := l.request(c)
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

// client returns the API key of the request, or the specification's 403.
func (h *Handler) client(r *http.Request) (*sqlstore.APIKey, error) {
	k, err := h.DB.CheckAPIKey(r.Context(), r.FormValue("api_key"))
	if err != nil {
		if code := wangge.ErrorCode(err); code == wangge.EUNAUTHORIZED || code == wangge.EFORBIDDEN {
			return nil, wangge.Errorf(wangge.EFORBIDDEN, "api_key missing or invalid")
		}
		return nil, err
	}
	return k, nil
}

// syncTime reads a sync key's own timestamp (requested_datetime,
// updated_datetime): the server's clock when absent, refused from other keys.
func (h *Handler) syncTime(r *http.Request, k *sqlstore.APIKey, field string, v *wangge.Validation) time.Time {
	s := strings.TrimSpace(r.FormValue(field))
	if s == "" {
		return h.now()
	}
	if !k.Sync {
		v.Add(field, "only a sync key may set its own time")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.Add(field, "a W3C date-time such as 2011-07-01T08:15:00-04:00")
		return time.Time{}
	}
	if t.After(h.now().Add(5 * time.Minute)) {
		v.Add(field, "lies in the future")
	}
	return t
}

// create answers POST requests: it checks the key and files a case on the
// Open311 channel.
func (h *Handler) create(w http.ResponseWriter, r *http.Request, f format) error {
	apiKey, err := h.client(r)
	if err != nil {
		return err
	}
	client := apiKey.Name
	ctx := system(r.Context())
	var v wangge.Validation
	at := h.syncTime(r, apiKey, "requested_datetime", &v)
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
	noSLA := false
	switch strings.TrimSpace(r.FormValue("sla")) {
	case "":
	case "none":
		if !apiKey.Sync {
			v.Add("sla", "only a sync key may file a request without a deadline")
		}
		noSLA = true
	default:
		v.Add("sla", `"none" is the only value`)
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
	var filed *wangge.Case
	if apiKey.Sync {
		filed, err = h.Cases.ReportSynced(ctx, c, at, "open311:"+client, noSLA)
	} else {
		filed, err = h.Cases.Report(ctx, c, at)
	}
	if err != nil {
		return err
	}
	notice := "Received as case " + filed.Number + "."
	if filed.DueAt != nil && filed.Status.Open() {
		step := "accepted"
		switch filed.Status {
		case wangge.StatusAccepted:
			step = "dispatched"
		case wangge.StatusDispatched, wangge.StatusInProgress:
			step = "handled"
		}
		notice += " It is due to be " + step + " by " + w3c(*filed.DueAt) + "."
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

// update takes a sync key's report that a request was closed in its own
// system (an extension; see the package documentation).
func (h *Handler) update(w http.ResponseWriter, r *http.Request, id string, f format) error {
	key, err := h.client(r)
	if err != nil {
		return err
	}
	if !key.Sync {
		return wangge.Errorf(wangge.EFORBIDDEN, "only a sync key may update a request")
	}
	var v wangge.Validation
	if st := strings.TrimSpace(r.FormValue("status")); st != "closed" {
		v.Add("status", `"closed" is the only status a system may report`)
	}
	at := h.syncTime(r, key, "updated_datetime", &v)
	notes := strings.TrimSpace(r.FormValue("status_notes"))
	if len(notes) > 2000 {
		v.Add("status_notes", "too long (at most 2000 bytes)")
	}
	if err := v.Err(); err != nil {
		return err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return wangge.Errorf(wangge.ENOTFOUND, "service_request_id %q not found", id)
	}
	c, err := h.Cases.Sync(system(r.Context()), n, at, "open311:"+key.Name, notes)
	switch {
	case errors.Is(err, caseflow.ErrBeforeReport):
		return wangge.FieldError("updated_datetime", "before the request was made")
	case wangge.ErrorCode(err) == wangge.ENOTFOUND:
		return wangge.Errorf(wangge.ENOTFOUND, "service_request_id %q not found", id)
	case err != nil:
		return err
	}
	// The answer shows the notes it was given rather than reading the
	// timeline back.
	req, err := (&lookup{h: h, r: r, extended: true, noEvents: true}).request(c)
	if err != nil {
		return err
	}
	if notes != "" {
		req.StatusNotes = nullable(notes)
	}
	out := []request{req}
	write(w, http.StatusOK, f, out, requestList{Requests: out})
	return nil
}
