package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/httpapi"
	"github.com/wangge/wangge/internal/photo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
	"github.com/wangge/wangge/internal/territory"
)

// square returns a GeoJSON polygon of the box [x0,x1]×[y0,y1].
func square(x0, y0, x1, y1 float64) string {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}})
	return string(b)
}

// env is a running API over a small county: two communities side by side,
// each with one grid, and users of several roles.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	db     *sqlstore.DB
	tokens map[string]string
}

func newEnv(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	ctx := wangge.NewContextWithUser(context.Background(), &wangge.User{Username: "system", Role: wangge.RoleAdmin})
	units := []wangge.Unit{
		{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县", NameEN: "Ningdu County"},
		{Code: "360730100", ParentCode: "360730", Level: wangge.LevelStreet, NameZH: "梅江镇"},
		{Code: "360730100001", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "中山南路社区"},
		{Code: "360730100002", ParentCode: "360730100", Level: wangge.LevelCommunity, NameZH: "中山北路社区"},
		{Code: "360730100001001", ParentCode: "360730100001", Level: wangge.LevelGrid, NameZH: "第1网格"},
		{Code: "360730100002001", ParentCode: "360730100002", Level: wangge.LevelGrid, NameZH: "第1网格"},
	}
	shapes := map[string]string{
		"360730":          square(116.0, 26.4, 116.1, 26.5),
		"360730100":       square(116.0, 26.4, 116.1, 26.5),
		"360730100001":    square(116.0, 26.4, 116.05, 26.5),
		"360730100002":    square(116.05, 26.4, 116.1, 26.5),
		"360730100001001": square(116.0, 26.4, 116.05, 26.5),
		"360730100002001": square(116.05, 26.4, 116.1, 26.5),
	}
	for i := range units {
		var err error
		units[i].Boundary, units[i].BBox, err = parseBoundary(shapes[units[i].Code])
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateUnits(ctx, units); err != nil {
		t.Fatal(err)
	}
	users := map[string]*wangge.User{
		"admin":  {Username: "admin", Role: wangge.RoleAdmin},
		"gw1":    {Username: "gw1", Role: wangge.RoleGridWorker, Units: []string{"360730100001001"}},
		"gw2":    {Username: "gw2", Role: wangge.RoleGridWorker, Units: []string{"360730100002001"}},
		"mg1":    {Username: "mg1", Role: wangge.RoleMicroGridMember, Units: []string{"360730100001001"}},
		"police": {Username: "police", Role: wangge.RoleGridPolice, Units: []string{"360730100001001", "360730100002001"}},
	}
	for _, u := range users {
		if err := db.CreateUser(ctx, u, "password-"+u.Username); err != nil {
			t.Fatal(err)
		}
	}
	loc := territory.New(db)
	loc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := loc.Rebuild(ctx, true); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(db, loc, caseflow.New(db, loc), slog.New(slog.NewTextHandler(io.Discard, nil)), "test")
	api.Photos = &photo.Store{Dir: t.TempDir()}
	e := &env{t: t, srv: httptest.NewServer(api), db: db, tokens: map[string]string{}}
	t.Cleanup(e.srv.Close)
	for name := range users {
		var out struct{ Token string }
		e.do("", "POST", "/api/v1/auth/login", map[string]string{"username": name, "password": "password-" + name}, 200, &out)
		e.tokens[name] = out.Token
	}
	return e
}

func parseBoundary(s string) (string, *[4]float64, error) {
	var g struct{ Coordinates [][][2]float64 }
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return "", nil, err
	}
	r := g.Coordinates[0]
	mp, _ := json.Marshal(map[string]any{"type": "MultiPolygon", "coordinates": [][][][2]float64{g.Coordinates}})
	return string(mp), &[4]float64{r[0][0], r[0][1], r[2][0], r[2][1]}, nil
}

// do sends a request as user (empty: anonymous), checks the status and
// decodes the answer into out (if not nil). It returns the raw body.
func (e *env) do(user, method, path string, body any, want int, out any) []byte {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, user, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return data
}

type apiError struct {
	Code    string
	Message string
	Fields  map[string]string
}

func idFor(first17 string) string {
	c, _ := wangge.IDCheckDigit(first17)
	return first17 + string(c)
}

func TestAuth(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		var errBody apiError
		e.do("", "POST", "/api/v1/auth/login", `{"username":"gw1","password":"nope"}`, 401, &errBody)
		if errBody.Code != "unauthorized" {
			t.Errorf("error body = %+v", errBody)
		}
		e.do("", "GET", "/api/v1/units", nil, 401, nil)
		var me wangge.User
		e.do("gw1", "GET", "/api/v1/me", nil, 200, &me)
		if me.Username != "gw1" || len(me.Units) != 1 {
			t.Errorf("me = %+v", me)
		}
		e.do("gw1", "POST", "/api/v1/auth/logout", nil, 204, nil)
		e.do("gw1", "GET", "/api/v1/me", nil, 401, nil)

		// The web UI's login: an HttpOnly, SameSite=Lax cookie, no token in the body.
		resp, err := http.Post(e.srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"gw2","password":"password-gw2","cookie":true}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var c *http.Cookie
		for _, x := range resp.Cookies() {
			if x.Name == httpapi.SessionCookie {
				c = x
			}
		}
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || strings.Contains(string(body), c.Value) {
			t.Fatalf("cookie login: %+v, body %s", c, body)
		}
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
		req.AddCookie(c)
		resp, err = http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("me with cookie: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	})
}

func TestUnitsAndScope(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		var pg struct {
			Items []wangge.Unit
			Total int
		}
		e.do("admin", "GET", "/api/v1/units?level=grid&parent=360730100001", nil, 200, &pg)
		if pg.Total != 1 || pg.Items[0].Code != "360730100001001" {
			t.Errorf("grids of community 001 = %+v", pg)
		}
		e.do("admin", "GET", "/api/v1/units?level=community&limit=1&offset=1", nil, 200, &pg)
		if pg.Total != 2 || len(pg.Items) != 1 || pg.Items[0].Code != "360730100002" {
			t.Errorf("second page = %+v", pg)
		}
		e.do("police", "GET", "/api/v1/units?level=grid", nil, 200, &pg)
		if pg.Total != 2 {
			t.Errorf("1+N police sees %d grids, want 2", pg.Total)
		}
		var errBody apiError
		e.do("admin", "GET", "/api/v1/units?level=town", nil, 400, &errBody)
		if errBody.Fields["level"] == "" {
			t.Errorf("bad level error = %+v", errBody)
		}
		e.do("admin", "GET", "/api/v1/units?limit=x", nil, 400, nil)

		var u struct {
			Code      string
			Boundary  map[string]any
			Ancestors []wangge.Unit
		}
		e.do("gw1", "GET", "/api/v1/units/360730100001001", nil, 200, &u)
		if u.Boundary["type"] != "MultiPolygon" || len(u.Ancestors) != 3 || u.Ancestors[0].Code != "360730" {
			t.Errorf("unit = %+v", u)
		}
		e.do("gw1", "GET", "/api/v1/units/360730100002001", nil, 404, nil)
		e.do("gw1", "GET", "/api/v1/units/999", nil, 404, nil)
		e.do("gw1", "POST", "/api/v1/units", map[string]any{"code": "360730100001002", "parent_code": "360730100001", "level": "grid", "name_zh": "x"}, 403, nil)
	})
}

func TestLocate(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		var loc struct {
			Lat, Lon float64
			Units    []territory.Hit
		}
		e.do("", "GET", "/api/v1/locate?lat=26.45&lon=116.07", nil, 200, &loc)
		var chain []string
		for _, h := range loc.Units {
			chain = append(chain, h.Code)
		}
		if strings.Join(chain, ">") != "360730>360730100>360730100002>360730100002001" {
			t.Errorf("chain = %v", chain)
		}
		// The same place as a map app reports it (GCJ-02 is offset by a few
		// hundred metres in China) lands in the same units.
		e.do("", "GET", "/api/v1/locate?lat=26.447&lon=116.075&crs=gcj02", nil, 200, &loc)
		if len(loc.Units) != 4 || loc.Lon >= 116.075 {
			t.Errorf("gcj02 point: %+v", loc)
		}
		e.do("", "GET", "/api/v1/locate?lat=40&lon=10", nil, 200, &loc)
		if len(loc.Units) != 0 {
			t.Errorf("point outside: %+v", loc)
		}
		for _, q := range []string{"lat=91&lon=116", "lat=26.4&lon=abc", "lat=&lon=", "lat=26.4&lon=116&crs=mars"} {
			var errBody apiError
			e.do("", "GET", "/api/v1/locate?"+q, nil, 400, &errBody)
			if len(errBody.Fields) == 0 {
				t.Errorf("%s: no field named: %+v", q, errBody)
			}
		}
		// A new unit is found at once: the index is rebuilt on change.
		e.do("admin", "POST", "/api/v1/units", map[string]any{"code": "360730100002001001", "parent_code": "360730100002001", "level": "micro_grid",
			"name_zh": "第1微网格", "boundary": json.RawMessage(square(116.06, 26.44, 116.08, 26.46))}, 201, nil)
		e.do("", "GET", "/api/v1/locate?lat=26.45&lon=116.07", nil, 200, &loc)
		if len(loc.Units) != 5 || loc.Units[4].Code != "360730100002001001" {
			t.Errorf("after adding a micro-grid: %+v", loc.Units)
		}
	})
}

func TestImportUnits(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		good := `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"360730100001001001","name":"微网格一"},"geometry":` + square(116.0, 26.4, 116.01, 26.41) + `},
			{"type":"Feature","properties":{"code":"360730100001001002","name":"微网格二","households":42},"geometry":` + square(116.01, 26.4, 116.02, 26.41) + `}]}`
		unclosed := `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"360730100001001003","name":"ok"},"geometry":` + square(116.0, 26.4, 116.01, 26.41) + `},
			{"type":"Feature","properties":{"code":"360730100001001004","name":"bad"},"geometry":{"type":"Polygon","coordinates":[[[116,26.4],[116.1,26.4],[116.1,26.5],[116,26.5]]]}}]}`
		var errBody apiError
		e.do("admin", "POST", "/api/v1/units/import?level=micro_grid&parent=360730100001001", unclosed, 400, &errBody)
		if !strings.HasPrefix(firstKey(errBody.Fields), "features[1].geometry") {
			t.Errorf("unclosed ring error = %+v", errBody)
		}
		e.do("admin", "POST", "/api/v1/units/import?level=micro_grid&parent=360730100009", good, 400, &errBody)
		if errBody.Fields["units[0].parent_code"] == "" {
			t.Errorf("unknown parent error = %+v", errBody)
		}
		e.do("admin", "POST", "/api/v1/units/import?level=micro_grid&parent=360730100001001", `{"type":"FeatureCollection","features":[`, 400, nil)
		var pg struct{ Total int }
		e.do("admin", "GET", "/api/v1/units?level=micro_grid", nil, 200, &pg)
		if pg.Total != 0 {
			t.Fatalf("a failed import left %d units behind", pg.Total)
		}
		var res struct{ Created int }
		e.do("admin", "POST", "/api/v1/units/import?level=micro_grid&parent=360730100001001", good, 201, &res)
		if res.Created != 2 {
			t.Errorf("created = %d", res.Created)
		}
		e.do("admin", "POST", "/api/v1/units/import?level=micro_grid&parent=360730100001001", good, 409, nil)
		e.do("gw1", "POST", "/api/v1/units/import?level=micro_grid&parent=360730100001001", good, 403, nil)
	})
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

func TestRegistryScopeMaskReveal(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		var b wangge.Building
		e.do("gw1", "POST", "/api/v1/buildings", map[string]any{"code": "3607301000010010001", "unit_code": "360730100001001", "address": "中山南路1号", "lon": 116.02, "lat": 26.45}, 201, &b)
		var h wangge.Household
		e.do("gw1", "POST", "/api/v1/households", map[string]any{"building_id": b.ID, "room": "101", "members": 1}, 201, &h)
		var other wangge.Household
		e.do("gw2", "POST", "/api/v1/households", map[string]any{"unit_code": "360730100002001", "address": "中山北路9号"}, 201, &other)

		// A grid worker sees its own grid's households and gets 404 for another grid's.
		e.do("gw1", "GET", "/api/v1/households/"+itoa(h.ID), nil, 200, nil)
		e.do("gw1", "GET", "/api/v1/households/"+itoa(other.ID), nil, 404, nil)
		e.do("gw1", "GET", "/api/v1/households/999999", nil, 404, nil)
		var pg struct {
			Items []wangge.Household
			Total int
		}
		e.do("gw1", "GET", "/api/v1/households", nil, 200, &pg)
		if pg.Total != 1 || pg.Items[0].ID != h.ID {
			t.Errorf("gw1 households = %+v", pg)
		}
		e.do("police", "GET", "/api/v1/households", nil, 200, &pg)
		if pg.Total != 2 {
			t.Errorf("police covering both grids sees %d households", pg.Total)
		}

		id := idFor("36073019450301002")
		var errBody apiError
		e.do("gw1", "POST", "/api/v1/persons", map[string]any{"household_id": h.ID, "name": "王演示", "id_number": id[:17] + "0"}, 400, &errBody)
		if errBody.Fields["id_number"] != "check digit mismatch" {
			t.Errorf("bad id error = %+v", errBody)
		}
		e.do("gw1", "POST", "/api/v1/persons", map[string]any{"household_id": h.ID, "name": "王演示", "id_number": id, "shoe_size": 42}, 400, nil)
		var p wangge.Person
		raw := e.do("gw1", "POST", "/api/v1/persons", map[string]any{"household_id": h.ID, "name": "王演示", "id_number": id, "phone": "19912345678", "tags": []string{"elderly_alone"}}, 201, &p)
		if strings.Contains(string(raw), id) || strings.Contains(string(raw), "19912345678") {
			t.Errorf("create answer leaks identifiers: %s", raw)
		}
		if p.IDNumber != "360***********"+id[14:] || p.Phone != "199****5678" || p.Sex != wangge.SexFemale || p.CareTier != wangge.CareHighRisk {
			t.Errorf("person = %+v", p)
		}
		raw = e.do("gw1", "GET", "/api/v1/persons?tag=elderly_alone", nil, 200, nil)
		if strings.Contains(string(raw), id) {
			t.Errorf("listing leaks the ID number: %s", raw)
		}
		e.do("gw2", "GET", "/api/v1/persons/"+itoa(p.ID), nil, 404, nil)
		e.do("gw2", "POST", "/api/v1/persons/"+itoa(p.ID)+"/reveal", map[string]string{"field": "id_number", "reason": "核实"}, 404, nil)
		e.do("mg1", "POST", "/api/v1/persons/"+itoa(p.ID)+"/reveal", map[string]string{"field": "id_number", "reason": "核实"}, 403, nil)
		e.do("gw1", "POST", "/api/v1/persons/"+itoa(p.ID)+"/reveal", map[string]string{"field": "id_number"}, 400, nil)
		var rev struct{ Value string }
		e.do("gw1", "POST", "/api/v1/persons/"+itoa(p.ID)+"/reveal", map[string]string{"field": "id_number", "reason": "办理高龄补贴"}, 200, &rev)
		if rev.Value != id {
			t.Errorf("revealed %q", rev.Value)
		}
		var log struct {
			Items []sqlstore.AccessLogEntry
			Total int
		}
		e.do("gw1", "GET", "/api/v1/access-log", nil, 403, nil)
		e.do("admin", "GET", "/api/v1/access-log?person="+itoa(p.ID), nil, 200, &log)
		if log.Total != 1 || log.Items[0].Username != "gw1" || log.Items[0].Reason != "办理高龄补贴" {
			t.Errorf("access log = %+v", log)
		}
		var v wangge.Visit
		e.do("gw1", "POST", "/api/v1/persons/"+itoa(p.ID)+"/visits", map[string]string{"note": "状况良好"}, 201, &v)
		var visits struct{ Total int }
		e.do("gw1", "GET", "/api/v1/persons/"+itoa(p.ID)+"/visits", nil, 200, &visits)
		if visits.Total != 1 {
			t.Errorf("visits = %d", visits.Total)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestBadRequests(t *testing.T) {
	e := newEnv(t, sqlstoretest.MustOpenDB(t, t.TempDir()+"/api.db"))
	big := `{"name_zh":"` + strings.Repeat("x", httpapi.DefaultMaxBody) + `"}`
	var errBody apiError
	e.do("admin", "POST", "/api/v1/units", big, 413, &errBody)
	if errBody.Code != "too_large" {
		t.Errorf("oversized body = %+v", errBody)
	}
	e.do("admin", "POST", "/api/v1/units", `{"code": 5}`, 400, &errBody)
	if errBody.Fields["code"] == "" {
		t.Errorf("wrong type = %+v", errBody)
	}
	e.do("admin", "POST", "/api/v1/units", `{} {}`, 400, nil)
	e.do("admin", "GET", "/api/v1/nope", nil, 404, nil)
	e.do("admin", "GET", "/api/v1/persons/abc", nil, 404, nil)

	// A session cookie does not authorise a cross-site write.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/auth/logout", nil)
	req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: e.tokens["gw1"]})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cross-site cookie write: status %d", resp.StatusCode)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("same-origin cookie write: status %d", resp.StatusCode)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t, sqlstoretest.MustOpenDB(t, t.TempDir()+"/api.db"))
	e.do("", "GET", "/healthz", nil, 200, nil)
	var ready struct{ Status string }
	e.do("", "GET", "/readyz", nil, 200, &ready)
	if ready.Status != "ready" {
		t.Errorf("readyz = %+v", ready)
	}
	body := string(e.do("", "GET", "/metrics", nil, 200, nil))
	for _, want := range []string{`wangge_http_requests_total{route="POST /api/v1/auth/login",status="200"}`, "wangge_http_request_duration_seconds_bucket", "wangge_locator_units 6"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestMapBBox: the boundaries and the case points of a map's view, by a
// box in WGS84; a bad box is refused naming the field.
func TestMapBBox(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		var fc struct {
			Features []struct{ Properties struct{ Code string } }
			Total    int
		}
		codes := func() string {
			var s []string
			for _, f := range fc.Features {
				s = append(s, f.Properties.Code)
			}
			return strings.Join(s, " ")
		}
		// Community 001 is 116.0–116.05, 002 is 116.05–116.1.
		e.do("admin", "GET", "/api/v1/boundaries?level=grid&bbox=116.01,26.41,116.02,26.42", nil, 200, &fc)
		if codes() != "360730100001001" || fc.Total != 1 {
			t.Errorf("grids in the west box: %s (total %d)", codes(), fc.Total)
		}
		e.do("admin", "GET", "/api/v1/boundaries?bbox=116.06,26.41,116.07,26.42&under=360730100", nil, 200, &fc)
		if codes() != "360730100 360730100002 360730100002001" {
			t.Errorf("units of the street in the east box: %s", codes())
		}
		e.do("gw1", "GET", "/api/v1/boundaries?bbox=116.06,26.41,116.07,26.42", nil, 200, &fc)
		if codes() != "" {
			t.Errorf("a grid worker sees another grid in a box: %s", codes())
		}

		cat := catalogue.Default()
		for i := range cat.Categories {
			cat.Categories[i].Department = ""
		}
		for i := range cat.Items {
			cat.Items[i].Department = ""
		}
		e.do("admin", "PUT", "/api/v1/catalogue", cat, 200, nil)
		for _, lon := range []float64{116.02, 116.03, 116.07} {
			e.do("admin", "POST", "/api/v1/cases", map[string]any{"category": "0101", "description": "路口暴露垃圾", "lat": 26.45, "lon": lon}, 201, nil)
		}
		// Open cases come from the server's memory, all of them from the
		// database: the box applies to both.
		for _, open := range []string{"true", "all"} {
			var pts struct {
				Total int
				Rows  [][6]float64
			}
			e.do("admin", "GET", "/api/v1/web/points?open="+open+"&bbox=116.0,26.4,116.05,26.5", nil, 200, &pts)
			if pts.Total != 2 || len(pts.Rows) != 2 || pts.Rows[0][2] > 116.05 || pts.Rows[1][2] > 116.05 {
				t.Errorf("open=%s: points in the west half = %+v", open, pts)
			}
		}

		// The map's counts per unit: the statistics by unit, compact.
		var full struct{ Groups []wangge.Stats }
		e.do("admin", "GET", "/api/v1/stats?unit=360730100&group_by=unit&unit_depth=12", nil, 200, &full)
		var counts struct {
			Depth int
			Rows  [][3]any
		}
		e.do("admin", "GET", "/api/v1/web/counts?unit=360730100&unit_depth=12", nil, 200, &counts)
		if counts.Depth != 12 || len(counts.Rows) != 2 || len(full.Groups) != 2 {
			t.Fatalf("counts %+v, statistics %+v", counts, full.Groups)
		} // (both communities have open cases, so neither is left out)
		for i, g := range full.Groups {
			if row := counts.Rows[i]; row[0] != g.Key || row[1] != float64(g.Open) || row[2] != float64(g.Red) || g.Open == 0 {
				t.Errorf("row %d = %v, statistics say %s open %d red %d", i, row, g.Key, g.Open, g.Red)
			}
		}
		var errBody apiError
		e.do("admin", "GET", "/api/v1/web/counts?unit=360730100", nil, 400, &errBody)
		if errBody.Fields["unit_depth"] == "" {
			t.Errorf("counts without unit_depth: %+v", errBody)
		}

		for _, bad := range []string{"1,2,3", "116.1,26.4,116.0,26.5", "116,26.5,117,26.5", "a,b,c,d", "NaN,1,2,3", "0,0,1,Inf", "-200,0,1,1", "116,26,117,95", "1,2,3,4,5"} {
			for _, path := range []string{"/api/v1/boundaries", "/api/v1/web/points"} {
				var errBody apiError
				e.do("admin", "GET", path+"?bbox="+bad, nil, 400, &errBody)
				if errBody.Code != "invalid" || errBody.Fields["bbox"] == "" {
					t.Errorf("%s?bbox=%s: %+v", path, bad, errBody)
				}
			}
		}
	})
}
