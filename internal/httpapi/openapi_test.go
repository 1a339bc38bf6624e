package httpapi_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// TestOpenAPIMatchesResponses calls every documented GET endpoint and checks
// that the answer has exactly the documented shape: a key the document does
// not list, or a value of another type, fails.
func TestOpenAPIMatchesResponses(t *testing.T) {
	e := newEnv(t, sqlstoretest.MustOpenDB(t, t.TempDir()+"/api.db"))
	// Something to list in every collection.
	var b struct{ ID int64 }
	e.do("admin", "POST", "/api/v1/buildings", map[string]any{"code": "3607301000010010001", "unit_code": "360730100001001", "address": "x1号", "lon": 116.02, "lat": 26.45}, 201, &b)
	var h struct{ ID int64 }
	e.do("admin", "POST", "/api/v1/households", map[string]any{"building_id": b.ID, "room": "1"}, 201, &h)
	var p struct{ ID int64 }
	e.do("admin", "POST", "/api/v1/persons", map[string]any{"household_id": h.ID, "name": "演示", "id_number": idFor("36073019800101001"), "phone": "19900000000"}, 201, &p)
	e.do("admin", "POST", "/api/v1/persons/"+itoa(p.ID)+"/reveal", map[string]string{"field": "phone", "reason": "test"}, 200, nil)
	e.do("admin", "POST", "/api/v1/persons/"+itoa(p.ID)+"/visits", map[string]string{"note": "x"}, 201, nil)
	for _, code := range catalogue.Departments(catalogue.Default()) {
		e.do("admin", "POST", "/api/v1/departments", map[string]string{"code": code, "name_zh": code, "name_en": code, "unit_code": "360730"}, 201, nil)
	}
	e.do("admin", "PUT", "/api/v1/catalogue", catalogue.Default(), 200, nil)
	var pub map[string]string
	e.do("", "POST", "/api/v1/public/reports", map[string]any{"category": "0101", "description": "公共区域垃圾", "lat": 26.45, "lon": 116.03}, 201, &pub)
	var c struct{ ID int64 }
	e.do("gw1", "POST", "/api/v1/cases", map[string]any{"category": "0101", "description": "垃圾", "lat": 26.45, "lon": 116.02}, 201, &c)
	e.do("admin", "POST", "/api/v1/cases/"+itoa(c.ID)+"/actions", map[string]any{"action": "accept"}, 200, nil)

	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct{ Schemas map[string]map[string]any }
	}
	e.do("", "GET", "/api/v1/openapi.json", nil, 200, &doc)
	if len(doc.Paths) < 20 {
		t.Fatalf("only %d paths documented", len(doc.Paths))
	}
	// A split, whose answer must match its documented shape, so that the
	// grid's history below has a row to check. The west part keeps the
	// grid's code, which stays current for the other {code} endpoints.
	split := []map[string]any{{"code": "360730100001001", "name_zh": "西片", "boundary": json.RawMessage(square(116.0, 26.4, 116.025, 26.5))},
		{"name_zh": "东片", "boundary": json.RawMessage(square(116.025, 26.4, 116.05, 26.5))}}
	var splitAnswer any
	e.do("admin", "POST", "/api/v1/units/360730100001001/split", split, 200, &splitAnswer)
	var splitOp struct {
		Responses map[string]struct {
			Content map[string]struct{ Schema map[string]any }
		}
	}
	json.Unmarshal(doc.Paths["/api/v1/units/{code}/split"]["post"], &splitOp)
	if schema := splitOp.Responses["200"].Content["application/json"].Schema; schema == nil {
		t.Errorf("POST /api/v1/units/{code}/split: no documented 200 schema")
	} else if err := conforms(splitAnswer, schema, doc.Components.Schemas, "$"); err != nil {
		t.Errorf("POST /api/v1/units/{code}/split: %v", err)
	}
	ids := map[string]string{"{code}": "360730100001001", "{id}": itoa(p.ID)}
	var paths []string
	for path := range doc.Paths {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	checked := 0
	for _, path := range paths {
		raw, ok := doc.Paths[path]["get"]
		if !ok {
			continue
		}
		var op struct {
			Responses map[string]struct {
				Content map[string]struct{ Schema map[string]any }
			}
		}
		json.Unmarshal(raw, &op)
		if _, streams := op.Responses["200"].Content["text/event-stream"]; streams {
			continue // a live stream, tested on its own
		}
		url := path
		for k, v := range ids {
			url = strings.ReplaceAll(url, k, v)
		}
		if strings.Contains(path, "{number}") {
			url = strings.ReplaceAll(path, "{number}", pub["number"]) + "?code=" + pub["tracking_code"]
		} else if strings.Contains(path, "/cases/") {
			url = strings.ReplaceAll(path, "{id}", itoa(c.ID))
		} else if strings.Contains(path, "/buildings/") {
			url = strings.ReplaceAll(path, "{id}", itoa(b.ID))
		} else if strings.Contains(path, "/households/") {
			url = strings.ReplaceAll(path, "{id}", itoa(h.ID))
		} else if strings.Contains(path, "/users/") {
			url = strings.ReplaceAll(path, "{id}", "1")
		}
		if path == "/api/v1/locate" {
			url += "?lat=26.45&lon=116.02"
		}
		if path == "/api/v1/web/counts" {
			url += "?unit=360730&unit_depth=9"
		}
		var got any
		e.do("admin", "GET", url, nil, 200, &got)
		schema := op.Responses["200"].Content["application/json"].Schema
		if schema == nil {
			t.Errorf("GET %s: no documented 200 schema", path)
			continue
		}
		if err := conforms(got, schema, doc.Components.Schemas, "$"); err != nil {
			t.Errorf("GET %s: %v", path, err)
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("checked only %d GET endpoints", checked)
	}
}

func conforms(v any, schema map[string]any, defs map[string]map[string]any, at string) error {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		def, ok := defs[name]
		if !ok {
			return fmt.Errorf("%s: dangling $ref %s", at, ref)
		}
		schema = def
	}
	if v == nil {
		return nil // omitted pointers and nil slices
	}
	switch schema["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, documented as object", at, v)
		}
		props, _ := schema["properties"].(map[string]any)
		if props == nil {
			return nil // free-form object (GeoJSON)
		}
		for k, val := range m {
			ps, ok := props[k].(map[string]any)
			if !ok {
				return fmt.Errorf("%s: undocumented key %q", at, k)
			}
			if err := conforms(val, ps, defs, at+"."+k); err != nil {
				return err
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, documented as array", at, v)
		}
		items, _ := schema["items"].(map[string]any)
		for i, x := range a {
			if err := conforms(x, items, defs, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: %T, documented as string", at, v)
		}
	case "integer", "number":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%s: %T, documented as %s", at, v, schema["type"])
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %T, documented as boolean", at, v)
		}
	}
	return nil
}
