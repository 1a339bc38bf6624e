package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/wangge/wangge"
)

// statuses maps domain error codes to HTTP statuses: the one table.
var statuses = map[string]int{
	wangge.EINVALID:      http.StatusBadRequest,
	wangge.ENOTFOUND:     http.StatusNotFound,
	wangge.ECONFLICT:     http.StatusConflict,
	wangge.EUNAUTHORIZED: http.StatusUnauthorized,
	wangge.EFORBIDDEN:    http.StatusForbidden,
	wangge.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	wangge.EINTERNAL:     http.StatusInternalServerError,
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeError answers with the error's status and a user-safe body. Internal
// errors are logged with their detail and answered with a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = wangge.Errorf(wangge.ETOOLARGE, "request body larger than %d bytes", tooBig.Limit)
	}
	code := wangge.ErrorCode(err)
	if code == wangge.EINTERNAL {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, statuses[code], errorBody{Code: code, Message: wangge.ErrorMessage(err), Fields: wangge.ErrorFields(err)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// decode reads a JSON body into v, strictly: unknown fields and trailing
// data are invalid input naming the problem.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return wangge.FieldError(typeErr.Field, "must be "+typeErr.Type.String())
		}
		return wangge.FieldError("body", "malformed JSON: "+err.Error())
	}
	if dec.More() {
		return wangge.FieldError("body", "trailing data after the JSON value")
	}
	return nil
}

// page is the shape of every listing.
type page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}
