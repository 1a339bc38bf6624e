package httpapi_test

import (
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

type caseJSON struct {
	wangge.Case
	Actions []wangge.Action
}

func TestCaseLoopOverHTTP(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		deptIDs := map[string]int64{}
		for _, code := range catalogue.Departments(catalogue.Default()) {
			var d wangge.Department
			e.do("admin", "POST", "/api/v1/departments", map[string]string{"code": code, "name_zh": code, "name_en": code, "unit_code": "360730"}, 201, &d)
			deptIDs[code] = d.ID
		}
		e.do("gw1", "PUT", "/api/v1/catalogue", catalogue.Default(), 403, nil)
		var cat wangge.Catalogue
		e.do("admin", "PUT", "/api/v1/catalogue", catalogue.Default(), 200, &cat)
		if len(cat.Categories) < 100 {
			t.Fatalf("catalogue has %d categories", len(cat.Categories))
		}
		e.do("admin", "PUT", "/api/v1/routing/0101", map[string]any{"rules": []map[string]any{{"department_id": deptIDs["cgj"]}}}, 200, nil)
		e.do("admin", "PUT", "/api/v1/routing/9999", map[string]any{"rules": []any{}}, 400, nil)
		cgj := deptIDs["cgj"]
		e.do("admin", "POST", "/api/v1/users", map[string]any{"username": "cgj1", "password": "password-cgj1", "role": "department", "department_id": cgj}, 201, nil)
		var login struct{ Token string }
		e.do("", "POST", "/api/v1/auth/login", map[string]string{"username": "cgj1", "password": "password-cgj1"}, 200, &login)
		e.tokens["cgj1"] = login.Token

		var c caseJSON
		var errBody apiError
		e.do("gw1", "POST", "/api/v1/cases", map[string]any{"category": "0101", "description": "x", "lat": 26.45, "lon": 116.02, "crs": "mars"}, 400, &errBody)
		if errBody.Fields["crs"] == "" {
			t.Errorf("bad crs: %+v", errBody)
		}
		e.do("gw1", "POST", "/api/v1/cases", map[string]any{"category": "0101", "description": "路口暴露垃圾", "lat": 26.45, "lon": 116.02}, 201, &c)
		if c.UnitCode != "360730100001001" || c.Channel != wangge.ChannelGridWorker || c.Number == "" || c.Status != wangge.StatusReported {
			t.Fatalf("reported = %+v", c.Case)
		}
		e.do("gw2", "GET", "/api/v1/cases/"+itoa(c.ID), nil, 404, nil)
		e.do("cgj1", "GET", "/api/v1/cases/"+itoa(c.ID), nil, 404, nil)

		path := "/api/v1/cases/" + itoa(c.ID) + "/actions"
		e.do("admin", "POST", path, map[string]any{"action": "accept", "version": c.Version}, 200, &c)
		// A second operator working from the old version is told to reload.
		e.do("admin", "POST", path, map[string]any{"action": "accept", "version": c.Version - 1}, 409, nil)
		e.do("admin", "POST", path, map[string]any{"action": "dispatch"}, 200, &c)
		if c.DepartmentID == nil || *c.DepartmentID != cgj || c.DueAt == nil || c.Light != "green" {
			t.Fatalf("dispatched = %+v", c.Case)
		}
		e.do("cgj1", "GET", "/api/v1/cases/"+itoa(c.ID), nil, 200, &c)
		if len(c.Actions) == 0 || c.Actions[0] != wangge.ActReturn {
			t.Errorf("department actions = %v", c.Actions)
		}
		e.do("cgj1", "POST", path, map[string]any{"action": "start"}, 200, nil)
		e.do("cgj1", "POST", path, map[string]any{"action": "finish", "note": "已清运"}, 200, nil)
		e.do("gw2", "POST", path, map[string]any{"action": "verify_ok"}, 404, nil)
		e.do("gw1", "POST", path, map[string]any{"action": "close"}, 403, nil)
		e.do("gw1", "POST", path, map[string]any{"action": "verify_ok"}, 200, nil)
		e.do("admin", "POST", path, map[string]any{"action": "close"}, 200, &c)
		if c.Status != wangge.StatusClosed || c.ClosedAt == nil {
			t.Errorf("closed = %+v", c.Case)
		}
		e.do("admin", "POST", path, map[string]any{"action": "fly"}, 400, nil)

		var tl []wangge.CaseEvent
		e.do("gw1", "GET", "/api/v1/cases/"+itoa(c.ID)+"/timeline", nil, 200, &tl)
		if len(tl) != 7 || tl[0].Action != "report" || tl[6].Action != "close" {
			t.Errorf("timeline = %+v", tl)
		}
		var pg struct{ Total int }
		e.do("gw1", "GET", "/api/v1/cases?open=false", nil, 200, &pg)
		if pg.Total != 1 {
			t.Errorf("closed cases seen by gw1: %d", pg.Total)
		}
		e.do("gw2", "GET", "/api/v1/cases", nil, 200, &pg)
		if pg.Total != 0 {
			t.Errorf("gw2 sees %d cases", pg.Total)
		}
		e.do("gw1", "GET", "/api/v1/cases?open=maybe", nil, 400, nil)
	})
}
