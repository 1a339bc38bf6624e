package httpapi_test

import (
	"strings"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

func TestPublicReportTrackRate(t *testing.T) {
	e := newEnv(t, sqlstoretest.MustOpenDB(t, t.TempDir()+"/api.db"))
	for _, code := range catalogue.Departments(catalogue.Default()) {
		e.do("admin", "POST", "/api/v1/departments", map[string]string{"code": code, "name_zh": code, "name_en": code, "unit_code": "360730"}, 201, nil)
	}
	e.do("admin", "PUT", "/api/v1/catalogue", catalogue.Default(), 200, nil)

	var errBody apiError
	e.do("", "POST", "/api/v1/public/reports", map[string]any{"category": "0101", "description": "x", "lat": 26.45, "lon": 116.02, "phone": "12345"}, 400, &errBody)
	if errBody.Fields["reporter_phone"] == "" {
		t.Errorf("bad phone: %+v", errBody)
	}
	var rep struct {
		Number, TrackingCode string `json:"-"`
	}
	var raw map[string]string
	e.do("", "POST", "/api/v1/public/reports", map[string]any{"category": "0101", "description": "楼下垃圾没人清", "lat": 26.45, "lon": 116.02, "phone": "19900004444"}, 201, &raw)
	rep.Number, rep.TrackingCode = raw["number"], raw["tracking_code"]
	if rep.Number == "" || len(rep.TrackingCode) < 16 {
		t.Fatalf("report answer %v", raw)
	}
	track := "/api/v1/public/reports/" + rep.Number
	var view map[string]any
	e.do("", "GET", track+"?code="+rep.TrackingCode, nil, 200, &view)
	if view["status"] != "reported" || view["can_rate"] != false {
		t.Errorf("view %v", view)
	}
	e.do("", "GET", track+"?code=WRONG", nil, 404, nil)
	body := string(e.do("", "GET", track+"?code="+rep.TrackingCode, nil, 200, nil))
	if strings.Contains(body, "19900004444") || strings.Contains(body, "199****") {
		t.Errorf("the public view shows the phone: %s", body)
	}
	// Staff see the case as a resident report with the phone masked.
	var list struct{ Items []wangge.Case }
	e.do("gw1", "GET", "/api/v1/cases", nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Channel != wangge.ChannelResident || list.Items[0].ReporterPhone != "199****4444" {
		t.Fatalf("staff view %+v", list.Items)
	}
	id := itoa(list.Items[0].ID)
	e.do("", "POST", track+"/rate", map[string]any{"tracking_code": rep.TrackingCode, "rating": 5}, 409, nil) // not closed yet
	e.do("gw1", "POST", "/api/v1/cases/"+id+"/actions", map[string]any{"action": "self_resolve", "note": "已联系物业清理"}, 200, nil)
	e.do("gw1", "POST", "/api/v1/cases/"+id+"/actions", map[string]any{"action": "verify_ok"}, 200, nil)
	e.do("admin", "POST", "/api/v1/cases/"+id+"/actions", map[string]any{"action": "close"}, 200, nil)
	e.do("", "POST", track+"/rate", map[string]any{"tracking_code": "WRONG", "rating": 5}, 404, nil)
	e.do("", "POST", track+"/rate", map[string]any{"tracking_code": rep.TrackingCode, "rating": 9}, 400, nil)
	e.do("", "POST", track+"/rate", map[string]any{"tracking_code": rep.TrackingCode, "rating": 4, "comment": "处理及时"}, 200, &view)
	if view["status"] != "rated" || view["rating"] != float64(4) {
		t.Errorf("after rating %v", view)
	}

	// One address may not flood the centre.
	for i := 0; i < 30; i++ {
		code := 201
		if i >= 18 { // 2 reports (one refused with 400 still counts) were made above
			code = 403
		}
		e.do("", "POST", "/api/v1/public/reports", map[string]any{"category": "0101", "description": "flood", "lat": 26.45, "lon": 116.02}, code, nil)
	}
}

// TestPublicReportByAddress: a resident who cannot pin the map chooses a
// community and types the address.
func TestPublicReportByAddress(t *testing.T) {
	e := newEnv(t, sqlstoretest.MustOpenDB(t, t.TempDir()+"/api.db"))
	for _, code := range catalogue.Departments(catalogue.Default()) {
		e.do("admin", "POST", "/api/v1/departments", map[string]string{"code": code, "name_zh": code, "name_en": code, "unit_code": "360730"}, 201, nil)
	}
	e.do("admin", "PUT", "/api/v1/catalogue", catalogue.Default(), 200, nil)
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"category": "0101", "description": "路灯坏了"}, "lat"},
		{map[string]any{"category": "0101", "description": "路灯坏了", "unit_code": "360730", "address": "中山南路12号"}, "unit_code"},
		{map[string]any{"category": "0101", "description": "路灯坏了", "unit_code": "360730100001", "address": "12"}, "address"},
	} {
		var errBody apiError
		e.do("", "POST", "/api/v1/public/reports", bad.body, 400, &errBody)
		if errBody.Fields[bad.field] == "" {
			t.Errorf("%v: %+v, want a message for %s", bad.body, errBody, bad.field)
		}
	}
	var rep map[string]string
	e.do("", "POST", "/api/v1/public/reports", map[string]any{"category": "0101", "description": "路灯坏了", "unit_code": "360730100001", "address": "中山南路12号楼下"}, 201, &rep)
	var list struct {
		Items []struct {
			Number   string `json:"number"`
			UnitCode string `json:"unit_code"`
			Address  string `json:"address"`
		} `json:"items"`
	}
	e.do("admin", "GET", "/api/v1/cases?limit=1", nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Number != rep["number"] || list.Items[0].UnitCode != "360730100001" || list.Items[0].Address != "中山南路12号楼下" {
		t.Errorf("case filed by address = %+v (answer %v)", list.Items, rep)
	}
}
