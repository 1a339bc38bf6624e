package open311_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/open311"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
	"github.com/wangge/wangge/internal/territory"
)

var (
	admin = wangge.NewContextWithUser(context.Background(), &wangge.User{Username: "system", Role: wangge.RoleAdmin})
	now   = sqlstoretest.Now
)

// box is a WGS84 rectangle as a GeoJSON MultiPolygon.
func box(west, south, east, north float64) string {
	ring := [][2]float64{{west, south}, {east, south}, {east, north}, {west, north}, {west, south}}
	b, err := json.Marshal(map[string]any{"type": "MultiPolygon", "coordinates": [][][][2]float64{{ring}}})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// env is a county with one grid, the default catalogue and its
// departments, and the interface on a test server.
type env struct {
	t     *testing.T
	db    *sqlstore.DB
	cases *caseflow.Service
	srv   *httptest.Server
	key   string
	cgj   int64
}

func newEnv(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	bb := &[4]float64{116.0, 26.4, 116.1, 26.5}
	b := box(116.0, 26.4, 116.1, 26.5)
	units := []wangge.Unit{
		{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县", Boundary: b, BBox: bb},
		{Code: "360730100", ParentCode: "360730", Level: wangge.LevelStreet, NameZH: "梅江镇", Boundary: b, BBox: bb},
		{Code: "360730100001", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "中山南路社区", Boundary: b, BBox: bb},
		{Code: "360730100001001", ParentCode: "360730100001", Level: wangge.LevelGrid, NameZH: "第1网格", Boundary: b, BBox: bb},
	}
	if err := db.CreateUnits(admin, units); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db}
	for _, code := range catalogue.Departments(catalogue.Default()) {
		d := &wangge.Department{Code: code, NameZH: code + "局", NameEN: "Bureau " + code, UnitCode: "360730"}
		if err := db.CreateDepartment(admin, d); err != nil {
			t.Fatal(err)
		}
		if code == "cgj" {
			e.cgj = d.ID
		}
	}
	if err := db.SaveCatalogue(admin, catalogue.Default()); err != nil {
		t.Fatal(err)
	}
	loc := territory.New(db)
	loc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := loc.Rebuild(admin, true); err != nil {
		t.Fatal(err)
	}
	e.cases = caseflow.New(db, loc)
	e.cases.Logger = loc.Logger
	var err error
	if e.key, err = db.CreateAPIKey(admin, "test client"); err != nil {
		t.Fatal(err)
	}
	h := &open311.Handler{DB: db, Cases: e.cases, Jurisdiction: "360730", Now: func() time.Time { return now }, Logger: loc.Logger}
	mux := http.NewServeMux()
	h.Register(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// call sends a request (a form for POST) and returns the status, headers
// and body.
func (e *env) call(method, path string, form url.Values) (int, http.Header, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// decode reads a JSON answer into v, or an XML answer into v's XML shape.
func decode(t *testing.T, f, body string, v any) {
	t.Helper()
	var err error
	if f == "json" {
		err = json.Unmarshal([]byte(body), v)
	} else {
		if !strings.HasPrefix(body, xml.Header) {
			t.Errorf("XML answer without its declaration: %.60s", body)
		}
		err = xml.Unmarshal([]byte(body), v)
	}
	if err != nil {
		t.Fatalf("decode %s: %v\n%s", f, err, body)
	}
}

type apiError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type xmlErrors struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []apiError `xml:"error"`
}

// wantError checks an error answer: its status and a description that
// mentions what.
func (e *env) wantError(f string, status int, what string, gotStatus int, body string) {
	e.t.Helper()
	if gotStatus != status {
		e.t.Fatalf("status %d, want %d: %s", gotStatus, status, body)
	}
	var list []apiError
	if f == "json" {
		decode(e.t, f, body, &list)
	} else {
		var x xmlErrors
		decode(e.t, f, body, &x)
		list = x.Errors
	}
	if len(list) == 0 || list[0].Code != status {
		e.t.Fatalf("error list = %+v", list)
	}
	for _, er := range list {
		if strings.Contains(er.Description, what) {
			return
		}
	}
	e.t.Fatalf("no error mentions %q: %+v", what, list)
}

type service struct {
	ServiceCode string `json:"service_code" xml:"service_code"`
	ServiceName string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

type request struct {
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       *string  `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible *string  `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     *string  `json:"service_notice" xml:"service_notice"`
	Requested         string   `json:"requested_datetime" xml:"requested_datetime"`
	Updated           string   `json:"updated_datetime" xml:"updated_datetime"`
	Expected          *string  `json:"expected_datetime" xml:"expected_datetime"`
	Address           *string  `json:"address" xml:"address"`
	Lat               *float64 `json:"lat" xml:"lat"`
	Long              *float64 `json:"long" xml:"long"`
	Token             string   `json:"token" xml:"token"`
	AccountID         *string  `json:"account_id" xml:"account_id"`
}

type xmlRequests struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []request `xml:"request"`
}

// requests decodes a list of requests in either format; for JSON it also
// checks that every id is a string.
func requests(t *testing.T, f, body string) []request {
	t.Helper()
	if f == "xml" {
		var x xmlRequests
		decode(t, f, body, &x)
		return x.Requests
	}
	var raw []map[string]any
	decode(t, f, body, &raw)
	for _, r := range raw {
		if _, ok := r["service_request_id"].(string); !ok {
			t.Fatalf("service_request_id %#v is not a string", r["service_request_id"])
		}
	}
	var list []request
	decode(t, f, body, &list)
	return list
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// post files a request with a valid key and returns its id.
func (e *env) post(f string, extra url.Values) string {
	e.t.Helper()
	form := url.Values{"api_key": {e.key}, "service_code": {"0101"}, "lat": {"26.45"}, "long": {"116.05"},
		"description": {"Rubbish piled on the pavement"}, "address_string": {"中山南路 12 号"}}
	for k, v := range extra {
		form[k] = v
	}
	status, _, body := e.call("POST", "/open311/v2/requests."+f, form)
	if status != http.StatusCreated {
		e.t.Fatalf("post: status %d: %s", status, body)
	}
	if f == "json" && !strings.Contains(body, `"account_id":null`) {
		e.t.Errorf("account_id must be null: %s", body)
	}
	list := requests(e.t, f, body)
	if len(list) != 1 || list[0].ID == "" || !strings.HasPrefix(str(list[0].ServiceNotice), "Received as case 360730-") {
		e.t.Fatalf("post answer = %+v", list)
	}
	return list[0].ID
}

func TestOpen311(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		formats := []string{"json", "xml"}

		t.Run("discovery", func(t *testing.T) {
			for _, f := range formats {
				status, hdr, body := e.call("GET", "/open311/v2/discovery."+f, nil)
				type endpoint struct {
					Specification string   `json:"specification" xml:"specification"`
					URL           string   `json:"url" xml:"url"`
					Formats       []string `json:"formats" xml:"formats>format"`
				}
				var d struct {
					XMLName   xml.Name   `json:"-" xml:"discovery"`
					Changeset string     `json:"changeset" xml:"changeset"`
					Endpoints []endpoint `json:"endpoints" xml:"endpoints>endpoint"`
				}
				decode(t, f, body, &d)
				if status != 200 || !strings.Contains(hdr.Get("Content-Type"), f) || len(d.Endpoints) != 1 ||
					d.Endpoints[0].URL != e.srv.URL+"/open311/v2" || len(d.Endpoints[0].Formats) != 2 ||
					!strings.Contains(d.Endpoints[0].Specification, "GeoReport_v2") {
					t.Fatalf("%s discovery: %d %+v", f, status, d)
				}
				if _, err := time.Parse(time.RFC3339, d.Changeset); err != nil {
					t.Errorf("changeset: %v", err)
				}
			}
		})

		t.Run("services", func(t *testing.T) {
			leaves := 0
			for _, c := range catalogue.Default().Categories {
				if c.Leaf() {
					leaves++
				}
			}
			for _, f := range formats {
				status, _, body := e.call("GET", "/open311/v2/services."+f, nil)
				var list []service
				if f == "json" {
					decode(t, f, body, &list)
				} else {
					var x struct {
						XMLName  xml.Name  `xml:"services"`
						Services []service `xml:"service"`
					}
					decode(t, f, body, &x)
					list = x.Services
				}
				if status != 200 || len(list) != leaves {
					t.Fatalf("%s services: %d, %d of %d", f, status, len(list), leaves)
				}
				s := list[0]
				if s.ServiceCode != "0101" || s.ServiceName != "Exposed rubbish" || s.Group != "City appearance and sanitation" ||
					s.Metadata || s.Type != "realtime" || !strings.HasPrefix(s.Description, "暴露垃圾：") || !strings.Contains(s.Keywords, "event") {
					t.Fatalf("%s first service = %+v", f, s)
				}
			}
			// Another jurisdiction is not served here.
			status, _, body := e.call("GET", "/open311/v2/services.json?jurisdiction_id=110000", nil)
			e.wantError("json", 404, "jurisdiction_id", status, body)
		})

		t.Run("definition", func(t *testing.T) {
			status, _, body := e.call("GET", "/open311/v2/services/0101.json", nil)
			if status != 200 || strings.TrimSpace(body) != `{"service_code":"0101","attributes":[]}` {
				t.Fatalf("definition: %d %s", status, body)
			}
			status, _, body = e.call("GET", "/open311/v2/services/0101.xml", nil)
			var d struct {
				XMLName     xml.Name `xml:"service_definition"`
				ServiceCode string   `xml:"service_code"`
				Attributes  *struct {
					List []struct {
						Code string `xml:"code"`
					} `xml:"attribute"`
				} `xml:"attributes"`
			}
			decode(t, "xml", body, &d)
			if status != 200 || d.ServiceCode != "0101" || d.Attributes == nil || len(d.Attributes.List) != 0 {
				t.Fatalf("xml definition: %d %s", status, body)
			}
			for _, f := range formats {
				for _, code := range []string{"9999", "01"} {
					status, _, body := e.call("GET", "/open311/v2/services/"+code+"."+f, nil)
					e.wantError(f, 404, code, status, body)
				}
			}
		})

		t.Run("post errors", func(t *testing.T) {
			good := url.Values{"service_code": {"0101"}, "lat": {"26.45"}, "long": {"116.05"}, "description": {"x"}}
			with := func(kv ...string) url.Values {
				v := url.Values{}
				for k, vs := range good {
					v[k] = vs
				}
				for i := 0; i < len(kv); i += 2 {
					if kv[i+1] == "" {
						v.Del(kv[i])
					} else {
						v.Set(kv[i], kv[i+1])
					}
				}
				return v
			}
			for _, f := range formats {
				path := "/open311/v2/requests." + f
				status, _, body := e.call("POST", path, good)
				e.wantError(f, 403, "api_key", status, body)
				status, _, body = e.call("POST", path, with("api_key", "not-a-key"))
				e.wantError(f, 403, "api_key", status, body)
				for _, c := range []struct {
					form url.Values
					what string
				}{
					{with("api_key", e.key, "service_code", "9999"), "service_code"},
					{with("api_key", e.key, "service_code", ""), "service_code"},
					{with("api_key", e.key, "lat", "50", "long", "10"), "outside every unit"},
					{with("api_key", e.key, "lat", "", "long", ""), "location is required"},
					{with("api_key", e.key, "lat", "", "long", "", "address_string", "中山南路 12 号"), "address_string"},
					{with("api_key", e.key, "long", ""), "long"},
					{with("api_key", e.key, "phone", "12345"), "phone"},
				} {
					status, _, body := e.call("POST", path, c.form)
					e.wantError(f, 400, c.what, status, body)
				}
			}
			// Only requests may be posted, and only as json or xml.
			status, _, body := e.call("POST", "/open311/v2/services.json", with("api_key", e.key))
			e.wantError("json", 404, "no such endpoint", status, body)
			status, _, body = e.call("POST", "/open311/v2/requests.csv", with("api_key", e.key))
			e.wantError("json", 404, "format", status, body)
			if _, total, _ := db.FindCases(admin, sqlstore.CaseFilter{}); total != 0 {
				t.Fatalf("%d cases filed by bad posts", total)
			}
		})

		// A: posted in JSON, then accepted, dispatched and commented on;
		// B: another category, rejected with a note; C: posted in XML; D:
		// reported 120 days ago, outside the default window.
		private := url.Values{"first_name": {"Zhang"}, "last_name": {"Sanfeng"}, "phone": {"+86 138 0013 8000"}, "email": {"zs@example.cn"},
			"device_id": {"dev-1"}, "account_id": {"acct-1"}, "media_url": {"https://example.cn/a.jpg"}}
		a := e.post("json", private)
		b := e.post("json", url.Values{"service_code": {"0102"}, "idempotency_key": {"k-1"}})
		if retry := e.post("json", url.Values{"service_code": {"0102"}, "idempotency_key": {"k-1"}}); retry != b {
			t.Fatalf("a retried post was filed twice: %s, %s", b, retry)
		}
		c := e.post("xml", nil)
		later := now.Add(time.Hour)
		id := func(s string) int64 {
			var n int64
			fmt.Sscan(s, &n)
			return n
		}
		for _, st := range []wangge.Step{{Action: wangge.ActAccept}, {Action: wangge.ActDispatch, Department: &e.cgj},
			{Action: wangge.ActComment, Note: "call Mr Wang on 13912345678"}} {
			if _, err := e.cases.Act(admin, id(a), 0, st, later); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.cases.Act(admin, id(b), 0, wangge.Step{Action: wangge.ActReject, Note: "Already cleared"}, later); err != nil {
			t.Fatal(err)
		}
		old, err := e.cases.Report(admin, &wangge.Case{Category: "0102", Channel: wangge.ChannelHotline, Description: "Old muck heap",
			Lat: 26.41, Lon: 116.01, CRS: "wgs84", ReporterName: "王五", ReporterPhone: "13700001111"}, now.Add(-120*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		d := fmt.Sprint(old.ID)

		ids := func(list []request) string {
			var s []string
			for _, r := range list {
				s = append(s, r.ID)
			}
			return strings.Join(s, ",")
		}

		t.Run("list", func(t *testing.T) {
			for _, f := range formats {
				status, hdr, body := e.call("GET", "/open311/v2/requests."+f, nil)
				for _, secret := range []string{"Zhang", "Sanfeng", "13800138000", "138****8000", "王五", "13700001111", "Mr Wang", "reporter", "zs@example.cn"} {
					if strings.Contains(body, secret) {
						t.Errorf("%s listing shows %q", f, secret)
					}
				}
				list := requests(t, f, body)
				if status != 200 || ids(list) != c+","+b+","+a || hdr.Get("X-Total-Count") != "3" {
					t.Fatalf("%s list: %d %s (total %s)", f, status, ids(list), hdr.Get("X-Total-Count"))
				}
				ra, rb, rc := list[2], list[1], list[0]
				if ra.Status != "open" || ra.StatusNotes != nil && *ra.StatusNotes != "" || str(ra.AgencyResponsible) != "Bureau cgj" ||
					str(ra.Expected) == "" || ra.ServiceName != "Exposed rubbish" || ra.ServiceCode != "0101" ||
					ra.Description != "Rubbish piled on the pavement" || str(ra.Address) != "中山南路 12 号" ||
					ra.Lat == nil || *ra.Lat != 26.45 || ra.Long == nil || *ra.Long != 116.05 {
					t.Errorf("%s A = %+v", f, ra)
				}
				for _, s := range []string{ra.Requested, ra.Updated, str(ra.Expected)} {
					if tm, err := time.Parse(time.RFC3339, s); err != nil || tm.Before(now) {
						t.Errorf("%s A date %q: %v", f, s, err)
					}
				}
				if rb.Status != "closed" || str(rb.StatusNotes) != "Already cleared" || str(rb.Expected) != "" {
					t.Errorf("%s B = %+v", f, rb)
				}
				if rc.Status != "open" || str(rc.Expected) == "" || str(rc.AgencyResponsible) != "" {
					t.Errorf("%s C = %+v", f, rc)
				}
				if f == "json" && !strings.Contains(body, `"status_notes":null`) {
					t.Errorf("missing notes must be null: %s", body)
				}
			}
		})

		t.Run("filters", func(t *testing.T) {
			start := url.QueryEscape(now.Add(-200 * 24 * time.Hour).Format(time.RFC3339))
			end := url.QueryEscape(now.Add(-100 * 24 * time.Hour).Format(time.RFC3339))
			for _, f := range formats {
				for _, c2 := range []struct{ query, want string }{
					{"status=open", c + "," + a},
					{"status=closed", b},
					{"status=open,closed", c + "," + b + "," + a},
					{"service_code=0101", c + "," + a},
					{"service_code=0102", b},
					{"start_date=" + start, c + "," + b + "," + a + "," + d},
					{"start_date=" + start + "&end_date=" + end, d},
					{"end_date=" + end, d},
					{"start_date=2026-11-23", c + "," + b + "," + a},
					{"service_request_id=" + a + "," + d + ",999999,x&status=closed", a + "," + d},
					{"page_size=2", c + "," + b},
					{"page_size=2&page=2", a},
					{"page=3&page_size=2", ""},
				} {
					status, _, body := e.call("GET", "/open311/v2/requests."+f+"?"+c2.query, nil)
					if got := ids(requests(t, f, body)); status != 200 || got != c2.want {
						t.Errorf("%s ?%s = %d [%s], want [%s]", f, c2.query, status, got, c2.want)
					}
				}
				for _, c2 := range []struct{ query, what string }{
					{"status=pending", "status"},
					{"start_date=yesterday", "start_date"},
					{"start_date=" + end + "&end_date=" + start, "end_date"},
					{"page_size=5000", "page_size"},
					{"page=0", "page"},
				} {
					status, _, body := e.call("GET", "/open311/v2/requests."+f+"?"+c2.query, nil)
					e.wantError(f, 400, c2.what, status, body)
				}
			}
		})

		t.Run("one and tokens", func(t *testing.T) {
			for _, f := range formats {
				status, _, body := e.call("GET", "/open311/v2/requests/"+a+"."+f, nil)
				if list := requests(t, f, body); status != 200 || len(list) != 1 || list[0].ID != a || list[0].Status != "open" {
					t.Fatalf("%s one: %d %s", f, status, body)
				}
				status, _, body = e.call("GET", "/open311/v2/requests/"+b+"."+f+"?jurisdiction_id=360730", nil)
				if list := requests(t, f, body); status != 200 || len(list) != 1 || list[0].Status != "closed" {
					t.Fatalf("%s one: %d %s", f, status, body)
				}
				for _, missing := range []string{"999999", "abc"} {
					status, _, body = e.call("GET", "/open311/v2/requests/"+missing+"."+f, nil)
					e.wantError(f, 404, missing, status, body)
				}
				status, _, body = e.call("GET", "/open311/v2/tokens/"+c+"."+f, nil)
				if list := requests(t, f, body); status != 200 || len(list) != 1 || list[0].ID != c || list[0].Token != c {
					t.Fatalf("%s token: %d %s", f, status, body)
				}
				status, _, body = e.call("GET", "/open311/v2/tokens/999999."+f, nil)
				e.wantError(f, 404, "token", status, body)
				status, _, body = e.call("GET", "/open311/v2/nothing/here."+f, nil)
				e.wantError(f, 404, "no such endpoint", status, body)
			}
		})
	})
}

// TestOpen311PublicMasking checks what a reader without an api_key sees of
// a resident's words: personal numbers masked, and a dispute shown by its
// category, without its address, at a point rounded to about 100 m. A
// reader with a valid key sees everything; one with a wrong key gets 403.
func TestOpen311PublicMasking(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		rubbish := e.post("json", url.Values{"description": {"垃圾堆了三天，联系王女士13812345678或0797-6821234"}})
		dispute := e.post("json", url.Values{"service_code": {"2001"}, "lat": {"26.45123"}, "long": {"116.05678"},
			"description": {"3号楼张三与李四因离婚财产争吵，身份证110105199003071234"}, "address_string": {"中山南路 12 号 3 栋"}})
		for _, f := range []string{"json", "xml"} {
			for _, path := range []string{"/open311/v2/requests." + f + "?service_request_id=" + rubbish + "," + dispute, "/open311/v2/requests/" + dispute + "." + f} {
				status, _, body := e.call("GET", path, nil)
				if status != 200 {
					t.Fatalf("GET %s: %d %s", path, status, body)
				}
				for _, secret := range []string{"13812345678", "6821234", "张三", "李四", "110105199003071234", "12 号 3 栋", "26.45123", "116.05678"} {
					if strings.Contains(body, secret) {
						t.Errorf("GET %s shows %q: %s", path, secret, body)
					}
				}
				for _, r := range requests(t, f, body) {
					switch r.ID {
					case rubbish:
						if r.Description != "垃圾堆了三天，联系王女士138****5678或****-***1234" {
							t.Errorf("%s: rubbish description %q", path, r.Description)
						}
					case dispute:
						if r.Description != "婚姻纠纷" || str(r.Address) != "" || r.Lat == nil || *r.Lat != 26.451 || *r.Long != 116.057 {
							t.Errorf("%s: dispute = %+v", path, r)
						}
					}
				}
			}
			status, _, body := e.call("GET", "/open311/v2/requests/"+dispute+"."+f+"?api_key="+url.QueryEscape(e.key), nil)
			list := requests(t, f, body)
			if status != 200 || len(list) != 1 || !strings.Contains(list[0].Description, "110105199003071234") ||
				str(list[0].Address) != "中山南路 12 号 3 栋" || *list[0].Lat != 26.45123 {
				t.Errorf("%s with a key: %d %+v", f, status, list)
			}
			status, _, body = e.call("GET", "/open311/v2/requests."+f+"?api_key=not-a-key", nil)
			e.wantError(f, 403, "api_key", status, body)
		}
	})
}
