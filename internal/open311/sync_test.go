package open311_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// TestSyncKey: a sync key files requests at its own time, accepted and
// routed at once, may file one without a deadline, and reports requests
// closed; an ordinary key may do none of that.
func TestSyncKey(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		if err := db.SetRoutingRules(admin, "0101", []sqlstore.RoutingRule{{DepartmentID: e.cgj}}); err != nil {
			t.Fatal(err)
		}
		e.cases.CatalogueChanged()
		plain := e.key
		sync, err := db.CreateSyncKey(admin, "12345 hotline")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"json", "xml"} {
			// An ordinary key may not set the time, drop the deadline or close.
			e.key = plain
			status, _, body := e.call("POST", "/open311/v2/requests."+f, url.Values{"api_key": {plain}, "service_code": {"0101"},
				"lat": {"26.45"}, "long": {"116.05"}, "requested_datetime": {"2026-11-20T09:00:00+08:00"}})
			e.wantError(f, http.StatusBadRequest, "requested_datetime", status, body)
			status, _, body = e.call("POST", "/open311/v2/requests."+f, url.Values{"api_key": {plain}, "service_code": {"0101"},
				"lat": {"26.45"}, "long": {"116.05"}, "sla": {"none"}})
			e.wantError(f, http.StatusBadRequest, "sla", status, body)
			id := e.post(f, nil)
			status, _, body = e.call("POST", "/open311/v2/requests/"+id+"."+f, url.Values{"api_key": {plain}, "status": {"closed"}})
			e.wantError(f, http.StatusForbidden, "sync key", status, body)

			// A sync key: filed on Friday 20 November at 09:00, accepted and
			// dispatched then; the handling limit (1 working day) ends
			// Monday 09:00.
			e.key = sync
			id = e.post(f, url.Values{"requested_datetime": {"2026-11-20T09:00:00+08:00"}, "idempotency_key": {"A1" + f}})
			status, _, body = e.call("GET", "/open311/v2/requests/"+id+"."+f+"?extensions=true", nil)
			if status != http.StatusOK {
				t.Fatalf("get: %d %s", status, body)
			}
			got := requests(t, f, body)[0]
			if got.Requested != "2026-11-20T09:00:00+08:00" || str(got.Expected) != "2026-11-23T09:00:00+08:00" || str(got.AgencyResponsible) != "Bureau cgj" {
				t.Errorf("synced request = requested %s, expected %s, agency %s", got.Requested, str(got.Expected), str(got.AgencyResponsible))
			}
			for _, bad := range []struct {
				form url.Values
				what string
			}{
				{url.Values{"status": {"open"}, "updated_datetime": {"2026-11-20T10:00:00+08:00"}}, "status"},
				{url.Values{"status": {"closed"}, "updated_datetime": {"yesterday"}}, "updated_datetime"},
				{url.Values{"status": {"closed"}, "updated_datetime": {"2026-11-19T10:00:00+08:00"}}, "before the request"},
			} {
				bad.form.Set("api_key", sync)
				status, _, body = e.call("POST", "/open311/v2/requests/"+id+"."+f, bad.form)
				e.wantError(f, http.StatusBadRequest, bad.what, status, body)
			}
			// Closed on Monday at 10:00, an hour late: closed, and overdue.
			status, _, body = e.call("POST", "/open311/v2/requests/"+id+"."+f, url.Values{"api_key": {sync}, "status": {"closed"},
				"updated_datetime": {"2026-11-23T10:00:00+08:00"}, "status_notes": {"已清运"}})
			if status != http.StatusOK {
				t.Fatalf("close: %d %s", status, body)
			}
			if got := requests(t, f, body)[0]; got.Status != "closed" || str(got.StatusNotes) != "已清运" || got.Updated != "2026-11-23T10:00:00+08:00" {
				t.Errorf("closed request = %+v", got)
			}
			if !contains(body, "overdue", "true") {
				t.Errorf("an hour late and not overdue: %s", body)
			}
			// Reported closed again: unchanged, no error.
			status, _, body = e.call("POST", "/open311/v2/requests/"+id+"."+f, url.Values{"api_key": {sync}, "status": {"closed"},
				"updated_datetime": {"2026-11-23T10:03:00+08:00"}})
			if status != http.StatusOK {
				t.Errorf("closing twice: %d %s", status, body)
			}

			// Without a deadline the case is never late.
			id = e.post(f, url.Values{"requested_datetime": {"2026-11-20T09:00:00+08:00"}, "sla": {"none"}, "idempotency_key": {"A2" + f}})
			status, _, body = e.call("POST", "/open311/v2/requests/"+id+"."+f, url.Values{"api_key": {sync}, "status": {"closed"},
				"updated_datetime": {"2026-11-23T10:00:00+08:00"}})
			if status != http.StatusOK || !contains(body, "overdue", "false") {
				t.Errorf("no-SLA request closed late: %d %s", status, body)
			}
		}
	})
}

// contains reports whether an answer in either format says field is value.
func contains(body, field, value string) bool {
	return strings.Contains(body, `"`+field+`":`+value) || strings.Contains(body, "<"+field+">"+value+"</"+field+">")
}
