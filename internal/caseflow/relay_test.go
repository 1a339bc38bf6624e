package caseflow_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
	"github.com/wangge/wangge/internal/territory"
)

// TestRelay: two servers on one PostgreSQL database; a client of the second
// sees a case reported on the first, once.
func TestRelay(t *testing.T) {
	f, b := twoServers(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readyA, readyB := make(chan struct{}), make(chan struct{})
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	go func() { doneA <- f.svc.Relay(ctx, readyA) }()
	go func() { doneB <- b.Relay(ctx, readyB) }()
	for _, r := range []chan struct{}{readyA, readyB} {
		select {
		case <-r:
		case <-time.After(10 * time.Second):
			t.Fatal("relay does not listen")
		}
	}
	events, stop := b.Broker.Subscribe()
	defer stop()
	mine, stopA := f.svc.Broker.Subscribe()
	defer stopA()

	c, err := f.svc.Report(as(f.worker), &wangge.Case{Category: "0101", Channel: wangge.ChannelGridWorker, Description: "暴露垃圾",
		Lon: 116.02, Lat: 26.42, ReporterID: &f.worker.ID}, cst("2025-11-03 09:00"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Case.ID != c.ID || e.Action != "report" || e.Case.Number != c.Number {
			t.Errorf("the other server saw %s of case %d (%s)", e.Action, e.Case.ID, e.Case.Number)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the other server never saw the report")
	}
	// The first server's own listeners get it once, not again from the relay.
	<-mine
	select {
	case e := <-mine:
		t.Errorf("the reporting server saw %s of case %d twice", e.Action, e.Case.ID)
	case <-time.After(500 * time.Millisecond):
	}
	cancel()
	for _, d := range []chan error{doneA, doneB} {
		if err := <-d; err != nil {
			t.Errorf("relay: %v", err)
		}
	}
}

// TestSchedulersShareWork: two servers' schedulers on one PostgreSQL act
// on the same due cases at the same moment; each case is acted on once.
func TestSchedulersShareWork(t *testing.T) {
	f, b := twoServers(t)
	dbA := f.db

	const n = 60
	now := cst("2025-11-03 09:00")
	for i := range n {
		if _, err := f.svc.Report(as(f.worker), &wangge.Case{Category: "0101", Channel: wangge.ChannelGridWorker, Description: "暴露垃圾",
			Lon: 116.01 + float64(i)*0.001, Lat: 26.42, ReporterID: &f.worker.ID}, now); err != nil {
			t.Fatal(err)
		}
	}
	// A day later every case is past its accept deadline.
	later := now.AddDate(0, 0, 1)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i, svc := range []*caseflow.Service{f.svc, b, f.svc, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := svc.Tick(context.Background(), later, 500)
			if err != nil {
				t.Error(err)
			}
			counts[i] = c
		}()
	}
	wg.Wait()
	total := counts[0] + counts[1] + counts[2] + counts[3]
	if total != n {
		t.Errorf("the schedulers acted %d times on %d due cases (%v)", total, n, counts)
	}
	cs, _, err := dbA.FindCases(admin, sqlstore.CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		evs, err := dbA.CaseEvents(admin, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if acted := len(evs) - 1; acted != 1 || c.Light != "red" {
			t.Errorf("case %s: %d scheduler events, light %s", c.Number, acted, c.Light)
		}
	}
}

// twoServers is the fixture of setup and a second service on the same
// PostgreSQL schema, as a second server would be; without PostgreSQL the
// test is skipped (and fails in CI).
func twoServers(t *testing.T) (*fixture, *caseflow.Service) {
	t.Helper()
	dsn := os.Getenv("WANGGE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("WANGGE_TEST_POSTGRES is required in CI")
		}
		t.Skip("several servers need PostgreSQL: set WANGGE_TEST_POSTGRES")
	}
	schema := sqlstoretest.PostgresSchema(t, dsn)
	f := setup(t, sqlstoretest.MustOpenDB(t, schema))
	dbB := sqlstoretest.MustOpenDB(t, schema)
	locB := territory.New(dbB)
	locB.Logger = f.svc.Logger
	if err := locB.Rebuild(admin, true); err != nil {
		t.Fatal(err)
	}
	return f, caseflow.New(dbB, locB)
}

// TestConfigAcrossServers: the catalogue, a calendar, an API key and the
// units changed through one server are seen by the other at once, not after
// its memos expire or its locator's next look.
func TestConfigAcrossServers(t *testing.T) {
	f, b := twoServers(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- b.WatchConfig(ctx, ready) }()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("WatchConfig does not listen")
	}
	// The second server reads and remembers all three.
	if c, err := b.Category(admin, "0101"); err != nil || c.NameEN == "Renamed" {
		t.Fatalf("category: %+v %v", c, err)
	}
	if cal, err := b.CalendarFor(admin, "360730100001001"); err != nil || cal != b.Calendar {
		t.Fatalf("calendar: %v", err)
	}
	key, err := f.db.CreateAPIKey(admin, "twelve")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.DB.CheckAPIKey(admin, key); err != nil {
		t.Fatal(err)
	}
	// The first changes them.
	cat, err := f.db.Catalogue(admin)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cat.Categories {
		if cat.Categories[i].Code == "0101" {
			cat.Categories[i].NameEN = "Renamed"
		}
	}
	if err := f.db.SaveCatalogue(admin, cat); err != nil {
		t.Fatal(err)
	}
	f.svc.CatalogueChanged()
	if _, err := f.db.PutCalendar(admin, "360730", calendar.Spec{Base: "cn", Overrides: []calendar.OverrideSpec{{Date: "2025-11-04", Kind: "holiday", Name: "县庆"}}}); err != nil {
		t.Fatal(err)
	}
	f.svc.CalendarsChanged()
	if err := f.db.RevokeAPIKey(admin, "twelve"); err != nil {
		t.Fatal(err)
	}
	// And splits the grid: the second server's locator, which would look
	// again only in an hour, places a point in the east half at once.
	go b.Locator.Watch(ctx, time.Hour)
	half := func(x0, x1 float64) wangge.Unit {
		return wangge.Unit{NameZH: "半格", Boundary: square(x0, 26.4, x1, 26.5), BBox: &[4]float64{x0, 26.4, x1, 26.5}}
	}
	ch, err := f.db.SplitUnit(admin, "360730100001001", []wangge.Unit{half(116.0, 116.05), half(116.05, 116.1)}, sqlstore.UnitChangeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	east := ch.To[1]
	deadline := time.Now().Add(5 * time.Second)
	for {
		hits := b.Locator.Locate(geo.Point{X: 116.075, Y: 26.45})
		if len(hits) > 0 && hits[len(hits)-1].Code == east {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s the second server places a point of the east half in %+v, want %s", hits, east)
		}
		time.Sleep(20 * time.Millisecond)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		c, _ := b.Category(admin, "0101")
		cal, _ := b.CalendarFor(admin, "360730100001001")
		_, keyErr := b.DB.CheckAPIKey(admin, key)
		if c != nil && c.NameEN == "Renamed" && cal != nil && cal != b.Calendar && keyErr != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s the second server still has: category %q, the national calendar %v, the revoked key working %v",
				c.NameEN, cal == b.Calendar, keyErr == nil)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watch: %v", err)
	}
}
