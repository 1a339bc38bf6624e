package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

func TestInboxAndStream(t *testing.T) {
	e := newEnv(t, sqlstoretest.MustOpenDB(t, t.TempDir()+"/api.db"))
	deptIDs := map[string]int64{}
	for _, code := range catalogue.Departments(catalogue.Default()) {
		var d wangge.Department
		e.do("admin", "POST", "/api/v1/departments", map[string]string{"code": code, "name_zh": code, "name_en": code, "unit_code": "360730"}, 201, &d)
		deptIDs[code] = d.ID
	}
	e.do("admin", "PUT", "/api/v1/catalogue", catalogue.Default(), 200, nil)
	e.do("admin", "POST", "/api/v1/users", map[string]any{"username": "cgj1", "password": "password-cgj1", "role": "department", "department_id": deptIDs["cgj"]}, 201, nil)
	var login struct{ Token string }
	e.do("", "POST", "/api/v1/auth/login", map[string]string{"username": "cgj1", "password": "password-cgj1"}, 200, &login)
	e.tokens["cgj1"] = login.Token

	// gw1 listens to the live stream.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["gw1"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %s", ct)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	<-lines // ": connected"

	// A case in the other grid, then one in gw1's grid: the stream shows the second only.
	var other, mine caseJSON
	e.do("gw2", "POST", "/api/v1/cases", map[string]any{"category": "0101", "description": "北路垃圾", "lat": 26.45, "lon": 116.07}, 201, &other)
	e.do("gw1", "POST", "/api/v1/cases", map[string]any{"category": "0101", "description": "南路垃圾", "lat": 26.45, "lon": 116.02}, 201, &mine)
	var data string
	for data == "" {
		select {
		case l := <-lines:
			if strings.HasPrefix(l, "data: ") {
				data = l
			}
		case <-ctx.Done():
			t.Fatal("no event on the stream")
		}
	}
	if !strings.Contains(data, mine.Number) || strings.Contains(data, other.Number) {
		t.Errorf("stream event %s", data)
	}

	path := "/api/v1/cases/" + itoa(mine.ID) + "/actions"
	e.do("admin", "POST", path, map[string]any{"action": "accept"}, 200, nil)
	e.do("admin", "POST", path, map[string]any{"action": "dispatch", "department_id": deptIDs["cgj"]}, 200, nil)
	var inbox struct {
		Items []wangge.Notification
		Total int
	}
	e.do("cgj1", "GET", "/api/v1/inbox", nil, 200, &inbox)
	if inbox.Total != 1 || inbox.Items[0].Kind != "dispatch" || inbox.Items[0].Number != mine.Number || inbox.Items[0].Read {
		t.Fatalf("department inbox = %+v", inbox)
	}
	e.do("cgj1", "POST", "/api/v1/inbox/read", map[string]any{"ids": []int64{inbox.Items[0].ID}}, 204, nil)
	e.do("cgj1", "GET", "/api/v1/inbox?unread=true", nil, 200, &inbox)
	if inbox.Total != 0 {
		t.Errorf("unread after reading: %d", inbox.Total)
	}
	e.do("cgj1", "POST", path, map[string]any{"action": "start"}, 200, nil)
	e.do("cgj1", "POST", path, map[string]any{"action": "finish"}, 200, nil)
	// The grid that must verify is told; the other grid is not.
	e.do("gw1", "GET", "/api/v1/inbox", nil, 200, &inbox)
	if inbox.Total != 1 || inbox.Items[0].Kind != "finish" || !strings.Contains(inbox.Items[0].MessageZH, "核查") {
		t.Errorf("grid inbox = %+v", inbox)
	}
	e.do("gw2", "GET", "/api/v1/inbox", nil, 200, &inbox)
	if inbox.Total != 0 {
		t.Errorf("other grid's inbox has %d", inbox.Total)
	}

	var hook struct {
		ID     int64
		Secret string
	}
	e.do("gw1", "POST", "/api/v1/webhooks", map[string]string{"url": "http://127.0.0.1:1/hook"}, 403, nil)
	e.do("admin", "POST", "/api/v1/webhooks", map[string]string{"url": "http://127.0.0.1:1/hook", "events": "close"}, 201, &hook)
	if len(hook.Secret) < 32 {
		t.Errorf("secret %q", hook.Secret)
	}
	var hooks []map[string]any
	e.do("admin", "GET", "/api/v1/webhooks", nil, 200, &hooks)
	if len(hooks) != 1 || hooks[0]["secret"] != nil {
		t.Errorf("webhook list shows secrets: %v", hooks)
	}
	e.do("admin", "DELETE", "/api/v1/webhooks/"+itoa(hook.ID), nil, 204, nil)
	e.do("admin", "DELETE", "/api/v1/webhooks/"+itoa(hook.ID), nil, 404, nil)
}
