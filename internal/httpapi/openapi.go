package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// OpenAPI returns the OpenAPI 3.1 document of the JSON API, built from the
// route table and the Go types each route takes and answers, so that the
// document cannot drift from the code; a test checks real answers against it.
func (s *Server) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{"summary": rt.Summary, "tags": []string{rt.Tag}, "operationId": opID(rt)}
		var params []map[string]any
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Doc, "schema": map[string]any{"type": q.Type}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Body))}}}
		}
		status := rt.Status
		if status == 0 {
			status = 200
		}
		ok := map[string]any{"description": "success"}
		if rt.Resp != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Resp))}}
		}
		if rt.Stream {
			ok["content"] = map[string]any{"text/event-stream": map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		responses := map[string]any{itoa(status): ok, "default": map[string]any{"$ref": "#/components/responses/Error"}}
		op["responses"] = responses
		if rt.Auth {
			op["security"] = []map[string][]string{{"bearer": {}}, {"cookie": {}}}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	g.defs["Error"] = g.schema(reflect.TypeOf(errorBody{}))
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Wangge API", "version": s.Version,
			"description": "Grid-based grassroots governance: territory, registry, people and scope. Errors: 400 invalid (fields names the inputs at fault), 401 unauthorized, 403 forbidden, 404 not_found (also for objects outside the caller's scope), 409 conflict, 413 too_large, 500 internal."},
		"paths": paths,
		"components": map[string]any{
			"schemas":   g.defs,
			"responses": map[string]any{"Error": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}},
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
		},
	}
}

func opID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, seg := range strings.Split(strings.TrimPrefix(rt.Path, "/api/v1/"), "/") {
		seg = strings.Trim(seg, "{}")
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// schemaGen turns Go types into JSON Schema, following encoding/json's rules
// for field names, omitempty and embedded structs.
type schemaGen struct{ defs map[string]any }

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage(nil))
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"type": "object", "description": "GeoJSON"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem()), "minItems": t.Len(), "maxItems": t.Len()}
	case reflect.Map:
		return map[string]any{"type": "object"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // placeholder against recursion
			props := map[string]any{}
			g.fields(t, props)
			g.defs[name] = map[string]any{"type": "object", "properties": props}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				inner := map[string]any{}
				g.fields(et, inner)
				for k, v := range inner {
					if _, shadowed := props[k]; !shadowed {
						props[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type) // outer fields win over embedded ones
	}
}

func schemaName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 { // generic page[T]
		elem := name[i+1 : len(name)-1]
		if j := strings.LastIndexAny(elem, "./"); j >= 0 {
			elem = elem[j+1:]
		}
		name = "Page" + strings.ToUpper(elem[:1]) + elem[1:]
	}
	if t.PkgPath() != "" && !strings.HasSuffix(t.PkgPath(), "/wangge") && !strings.Contains(t.PkgPath(), "httpapi") {
		parts := strings.Split(t.PkgPath(), "/")
		name = parts[len(parts)-1] + "." + name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}
