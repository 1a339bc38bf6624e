// Package wangge holds the domain of grid-based grassroots governance: the
// territory tree, the registry, people and their scope, and the pure rules
// over them. It imports only the standard library; adapters depend on it.
package wangge

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error codes: a small closed set, mapped to HTTP statuses in one table by the
// HTTP adapter.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	EINTERNAL     = "internal"
)

// Error is a domain error with a code, a message that is safe to show to a
// user, and, for invalid input, the fields at fault.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("wangge error: code=%s message=%s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + ": " + e.Fields[k])
	}
	return fmt.Sprintf("wangge error: code=%s message=%s fields={%s}", e.Code, e.Message, b.String())
}

// Errorf returns an Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an invalid-input error naming one field.
func FieldError(field, problem string) *Error {
	return &Error{Code: EINVALID, Message: field + ": " + problem, Fields: map[string]string{field: problem}}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err; internal errors get a
// generic message so that no detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the fields at fault of an invalid-input error.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects field problems; its Err is nil when there are none.
type Validation struct{ fields map[string]string }

// Add records a problem with field, keeping the first problem per field.
func (v *Validation) Add(field, problem string) {
	if v.fields == nil {
		v.fields = map[string]string{}
	}
	if _, ok := v.fields[field]; !ok {
		v.fields[field] = problem
	}
}

// Err returns an invalid-input error naming every field at fault, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	keys := make([]string, 0, len(v.fields))
	for k := range v.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + v.fields[k]
	}
	return &Error{Code: EINVALID, Message: strings.Join(parts, "; "), Fields: v.fields}
}

// PrefixFields renames the fields of an invalid-input error: prefix is put
// before each (units[3]. + code), or, when cut is set, removed from the
// front of each. Other errors pass through unchanged.
func PrefixFields(err error, prefix string, cut bool) error {
	fields := ErrorFields(err)
	if fields == nil {
		return err
	}
	var v Validation
	for k, p := range fields {
		if cut {
			v.Add(strings.TrimPrefix(k, prefix), p)
		} else {
			v.Add(prefix+k, p)
		}
	}
	return v.Err()
}
