// Package open311 serves the Open311 GeoReport v2 interface
// (wiki.open311.org/GeoReport_v2) under /open311/v2/: service discovery,
// the service list and definitions from the case catalogue, posting a
// service request (a case on the Open311 channel), and reading requests.
//
// Every endpoint answers in JSON or XML, chosen by the extension of the
// last path segment (.json, .xml). Reads are public and need no key; they
// show only public fields of a case, never the reporter. Without a key the
// resident's words are shown with personal numbers masked
// (wangge.MaskText), and disputes and safety hazards by their category,
// with no address and the point rounded to 0.001° (about 100 m); a reader
// with a valid api_key sees the description, address and point as filed.
// Posting needs an api_key issued with sqlstore.CreateAPIKey.
//
// Requests are filed synchronously, so the service type is "realtime" and a
// token is the service request id itself.
//
// Extensions to the specification:
//
//   - GET requests takes page (1, 2, ...; default 1) and page_size (1 to
//     1000; default 1000) to page through a listing; the X-Total-Count
//     header gives the number of matching requests.
//   - POST requests takes idempotency_key (or the Idempotency-Key header):
//     a retried post with the same key from the same client files one case
//     and answers with it again.
//   - start_date and end_date also take a plain date (2026-11-23), read in
//     China time.
//   - A key of a system that owns part of its cases' life (a sync key:
//     `wangge apikey create --sync`, or the key `wangge import boston311`
//     prints) may post requested_datetime (W3C), the instant the request was
//     made in its own system: the case is filed, accepted and routed at that
//     instant (the replay clock), not at the server's. Other keys may not.
//   - With a sync key, POST requests/{id}.json (or .xml) with status=closed,
//     updated_datetime and optional status_notes reports the case closed at
//     that instant: it is taken through the remaining steps of the loop.
package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/sqlstore"
)

// Prefix is where the interface is mounted.
const Prefix = "/open311/v2/"

// MaxBody bounds the body of a posted service request.
const MaxBody = 1 << 20

// Handler serves GeoReport v2 over the case store and the case loop.
type Handler struct {
	DB    *sqlstore.DB
	Cases *caseflow.Service
	// Jurisdiction is this server's jurisdiction_id; when set, a request
	// naming another jurisdiction is not found. Empty accepts any.
	Jurisdiction string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Contact is shown in discovery (who runs the endpoint); optional.
	Contact string
	// BaseURL is the public URL of the endpoint in discovery, such as
	// https://wangge.example.cn/open311/v2; empty derives it from the request.
	BaseURL string
	// Logger records internal errors; nil means slog.Default().
	Logger *slog.Logger

	deptMu    sync.Mutex
	deptNames map[int64]string // agency_responsible of each department
	deptUntil time.Time
}

// departments returns the name shown as agency_responsible of each
// department, read at most once a minute: every answer shows them.
func (h *Handler) departments(ctx context.Context) (map[int64]string, error) {
	h.deptMu.Lock()
	defer h.deptMu.Unlock()
	if h.deptNames != nil && time.Now().Before(h.deptUntil) {
		return h.deptNames, nil
	}
	ds, err := h.DB.Departments(system(ctx))
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(ds))
	for _, d := range ds {
		name := d.NameEN
		if name == "" {
			name = d.NameZH
		}
		names[d.ID] = name
	}
	h.deptNames, h.deptUntil = names, time.Now().Add(time.Minute)
	return names, nil
}

// Register mounts the interface on mux under /open311/v2/.
func (h *Handler) Register(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("GET "+Prefix+"{file}", http.HandlerFunc(h.top))
	mux.Handle("POST "+Prefix+"{file}", http.HandlerFunc(h.post))
	mux.Handle("GET "+Prefix+"services/{file}", h.endpoint(h.definition))
	mux.Handle("GET "+Prefix+"requests/{file}", h.endpoint(h.one))
	mux.Handle("POST "+Prefix+"requests/{file}", h.endpoint(h.update))
	mux.Handle("GET "+Prefix+"tokens/{file}", h.endpoint(h.token))
	mux.Handle(Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w, r, formatOf(r.URL.Path), wangge.Errorf(wangge.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
	}))
}

// endpointFunc answers one request given the name in the last path segment
// (without its extension) and the response format.
type endpointFunc func(w http.ResponseWriter, r *http.Request, name string, f format) error

// endpoint splits the {file} wildcard into a name and a format and writes
// any error in the specification's format.
func (h *Handler) endpoint(fn endpointFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, f, ok := splitFile(r.PathValue("file"))
		if !ok {
			h.writeError(w, r, formatJSON, wangge.Errorf(wangge.ENOTFOUND, "unknown format: use .json or .xml"))
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
			if err := parseForm(r); err != nil {
				h.writeError(w, r, f, err)
				return
			}
		}
		if err := h.checkJurisdiction(r); err != nil {
			h.writeError(w, r, f, err)
			return
		}
		if err := fn(w, r, name, f); err != nil {
			h.writeError(w, r, f, err)
		}
	})
}

func (h *Handler) top(w http.ResponseWriter, r *http.Request) {
	h.endpoint(func(w http.ResponseWriter, r *http.Request, name string, f format) error {
		switch name {
		case "discovery":
			return h.discovery(w, r, f)
		case "services":
			return h.services(w, r, f)
		case "requests":
			return h.list(w, r, f)
		}
		return wangge.Errorf(wangge.ENOTFOUND, "no such endpoint: GET %s", r.URL.Path)
	}).ServeHTTP(w, r)
}

func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	h.endpoint(func(w http.ResponseWriter, r *http.Request, name string, f format) error {
		if name != "requests" {
			return wangge.Errorf(wangge.ENOTFOUND, "no such endpoint: POST %s", r.URL.Path)
		}
		return h.create(w, r, f)
	}).ServeHTTP(w, r)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// system is the authority under which the interface reads and files cases:
// the platform's own, since Open311 clients are not platform users. What it
// shows is limited by the public request shape, not by a scope.
func system(ctx context.Context) context.Context {
	return wangge.NewContextWithUser(ctx, &wangge.User{Username: "open311", Role: wangge.RoleAdmin})
}

// parseForm reads a posted form, url-encoded as the specification says, or
// multipart as some clients send it.
func parseForm(r *http.Request) error {
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(MaxBody)
	} else {
		err = r.ParseForm()
	}
	var tooBig *http.MaxBytesError
	if err != nil && !errors.As(err, &tooBig) {
		return wangge.Errorf(wangge.EINVALID, "cannot read the form: %v", err)
	}
	return err
}

func (h *Handler) checkJurisdiction(r *http.Request) error {
	j := r.FormValue("jurisdiction_id")
	if h.Jurisdiction != "" && j != "" && j != h.Jurisdiction {
		return wangge.Errorf(wangge.ENOTFOUND, "jurisdiction_id %q is not served here", j)
	}
	return nil
}

// format is a response format.
type format string

const (
	formatJSON format = "json"
	formatXML  format = "xml"
)

// splitFile splits "requests.json" into "requests" and its format.
func splitFile(file string) (string, format, bool) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return file, formatJSON, false
	}
	switch format(file[i+1:]) {
	case formatJSON:
		return file[:i], formatJSON, true
	case formatXML:
		return file[:i], formatXML, true
	}
	return file[:i], formatJSON, false
}

// formatOf guesses the format of a path that matched no endpoint.
func formatOf(path string) format {
	if strings.HasSuffix(path, ".xml") {
		return formatXML
	}
	return formatJSON
}

// write sends v as JSON, or wrapped in its XML root element as XML. list is
// what JSON gets (the specification's JSON answers are bare lists); root
// is what XML gets.
func write(w http.ResponseWriter, status int, f format, list, root any) {
	w.Header().Set("Cache-Control", "no-store")
	if f == formatXML {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(xml.Header))
		if err := xml.NewEncoder(w).Encode(root); err != nil {
			slog.Debug("open311: write response", "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(list); err != nil {
		slog.Debug("open311: write response", "err", err)
	}
}

// apiError is one error of the specification's error list.
type apiError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// errorList is the XML root of an error answer.
type errorList struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []apiError `xml:"error"`
}

// statuses maps domain error codes to the HTTP statuses the specification
// uses: 400 for bad input, 403 for a missing or invalid key, 404 for what
// does not exist.
var statuses = map[string]int{
	wangge.EINVALID:      http.StatusBadRequest,
	wangge.ECONFLICT:     http.StatusBadRequest,
	wangge.ETOOLARGE:     http.StatusBadRequest,
	wangge.EUNAUTHORIZED: http.StatusForbidden,
	wangge.EFORBIDDEN:    http.StatusForbidden,
	wangge.ENOTFOUND:     http.StatusNotFound,
	wangge.EINTERNAL:     http.StatusInternalServerError,
}

// fieldNames renames the case fields of the case loop's validation errors
// to the request parameters of the specification.
var fieldNames = map[string]string{
	"category":       "service_code",
	"lon":            "long",
	"reporter_phone": "phone",
	"reporter_name":  "first_name",
	"address":        "address_string",
	"unit_code":      "address_id",
}

// writeError writes err as the specification's error list: one error per
// field at fault for invalid input, otherwise one error.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, f format, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = wangge.Errorf(wangge.ETOOLARGE, "request body larger than %d bytes", tooBig.Limit)
	}
	code := wangge.ErrorCode(err)
	status := statuses[code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if code == wangge.EINTERNAL {
		h.logger().Error("open311 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var list []apiError
	if fields := wangge.ErrorFields(err); len(fields) > 0 {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := k
			if n, ok := fieldNames[k]; ok {
				name = n
			}
			list = append(list, apiError{Code: status, Description: name + ": " + fields[k]})
		}
	} else {
		list = []apiError{{Code: status, Description: wangge.ErrorMessage(err)}}
	}
	write(w, status, f, list, errorList{Errors: list})
}

// nullable is a string that is null in JSON when empty (an empty element in
// XML), for the specification's optional fields.
type nullable string

// MarshalJSON writes null for an empty value.
func (n nullable) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(n))
}

// w3c formats a time in the W3C profile of ISO 8601 (RFC 3339), in China
// time, the jurisdiction's own.
func w3c(t time.Time) string { return t.In(wangge.ChinaTime).Format(time.RFC3339) }

func idString(id int64) string { return strconv.FormatInt(id, 10) }
