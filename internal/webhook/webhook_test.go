package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
	"github.com/wangge/wangge/internal/webhook"
)

var admin = wangge.NewContextWithUser(context.Background(), &wangge.User{Username: "system", Role: wangge.RoleAdmin})

func TestSignVerify(t *testing.T) {
	body := []byte(`{"event":"dispatch"}`)
	sig := webhook.Sign("s3cret", 1700000000, body)
	if !webhook.Verify("s3cret", 1700000000, body, sig) {
		t.Fatal("own signature refused")
	}
	for _, bad := range []struct {
		secret string
		ts     int64
		body   string
	}{{"other", 1700000000, string(body)}, {"s3cret", 1700000001, string(body)}, {"s3cret", 1700000000, `{"event":"close"}`}} {
		if webhook.Verify(bad.secret, bad.ts, []byte(bad.body), sig) {
			t.Errorf("accepted a signature for %+v", bad)
		}
	}
}

// receiver fails the first `fail` deliveries, then accepts, checking every
// signature.
type receiver struct {
	mu     sync.Mutex
	secret string
	fail   int
	got    []map[string]any
	bad    int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	ts, _ := strconv.ParseInt(r.Header.Get("X-Wangge-Timestamp"), 10, 64)
	if !webhook.Verify(rc.secret, ts, body, r.Header.Get("X-Wangge-Signature")) {
		rc.bad++
	}
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "try later", 503)
		return
	}
	var m map[string]any
	json.Unmarshal(body, &m)
	rc.got = append(rc.got, m)
}

func TestDeliveryRetryAndDeadLetter(t *testing.T) {
	sqlstoretest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		units := []wangge.Unit{{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县"}}
		if err := db.CreateUnits(admin, units); err != nil {
			t.Fatal(err)
		}
		cat := &wangge.Catalogue{Items: []wangge.DutyItem{{Code: "D01", NameZH: "巡查", NameEN: "Patrol", GridDuty: true}},
			Categories: []wangge.Category{{Code: "01", Kind: wangge.KindEvent, NameZH: "市容", NameEN: "City"},
				{Code: "0101", Kind: wangge.KindEvent, NameZH: "垃圾", NameEN: "Rubbish", Item: "D01", Level: wangge.LevelCounty,
					Limits: wangge.Limits{Accept: wangge.Limit{Value: 1, Unit: "hours"}, Dispatch: wangge.Limit{Value: 1, Unit: "hours"}, Handle: wangge.Limit{Value: 1, Unit: "days"}, Verify: wangge.Limit{Value: 1, Unit: "days"}}}}}
		if err := db.SaveCatalogue(admin, cat); err != nil {
			t.Fatal(err)
		}
		rc := &receiver{fail: 2}
		good := httptest.NewServer(rc)
		defer good.Close()
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }))
		defer down.Close()
		h, err := db.CreateWebhook(admin, good.URL, "report,close")
		if err != nil {
			t.Fatal(err)
		}
		rc.secret = h.Secret
		if _, err := db.CreateWebhook(admin, down.URL, "*"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateWebhook(admin, "ftp://x", "*"); wangge.ErrorFields(err)["url"] == "" {
			t.Errorf("bad url: %v", err)
		}
		u, _ := db.Unit(admin, "360730")
		now := sqlstoretest.Now
		c := &wangge.Case{Status: wangge.StatusReported, Level: wangge.LevelCounty, UnitID: u.ID, UnitCode: "360730", Category: "0101", Kind: wangge.KindEvent,
			Channel: wangge.ChannelHotline, Description: "垃圾", ReporterPhone: "19900003333", ReportedAt: now, StepStartedAt: now}
		if _, err := db.CreateCase(admin, c, wangge.CaseEvent{At: now, Action: "report"}); err != nil {
			t.Fatal(err)
		}
		clock := now
		d := webhook.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		d.Now = func() time.Time { return clock }
		// Two failures (30 s, then 60 s backoff), then delivered; the dead
		// receiver fails MaxAttempts times and becomes a dead letter.
		for i := 0; i < 40; i++ {
			if _, err := d.Once(context.Background()); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(time.Hour)
		}
		if len(rc.got) != 1 || rc.bad != 0 || rc.got[0]["event"] != "report" {
			t.Fatalf("received %v, %d bad signatures", rc.got, rc.bad)
		}
		cs := rc.got[0]["case"].(map[string]any)
		if cs["reporter_phone"] != nil || cs["number"] != c.Number {
			t.Errorf("payload case = %v", cs)
		}
		pending, delivered, dead, err := db.OutboxStats(admin)
		if err != nil || pending != 0 || delivered != 1 || dead != 1 {
			t.Errorf("outbox pending %d delivered %d dead %d (%v)", pending, delivered, dead, err)
		}
	})
}
