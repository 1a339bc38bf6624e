// Package crashtest kills a running `wangge serve` with SIGKILL under intake
// load, again and again, and checks what survives (issue 5): every report
// that got a 2xx is stored with its full timeline, no idempotency key is
// stored twice, the database opens cleanly, and the scheduler, which has
// cases coming due throughout, never takes a step twice.
//
// The short form (go test -short, and the default) kills each database three
// times; -crash.rounds=N or WANGGE_CRASH_ROUNDS=N runs longer. The seed is
// logged; WANGGE_CRASH_SEED replays one.
package crashtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

var (
	rounds  = flag.Int("crash.rounds", 0, "kills per database (default 3; WANGGE_CRASH_ROUNDS)")
	clients = flag.Int("crash.clients", 16, "concurrent Open311 clients")
)

// Build the binary once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	modRoot   string
)

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "wangge-crashtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(tmp, "wangge")
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func build(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if modRoot, buildErr = moduleRoot(); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/wangge")
		cmd.Dir = modRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func inCI() bool { return os.Getenv("CI") == "true" }

func killRounds() int {
	if *rounds > 0 {
		return *rounds
	}
	if n, err := strconv.Atoi(os.Getenv("WANGGE_CRASH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 3
}

func TestCrash(t *testing.T) {
	bin := build(t)
	data := dataDir(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("WANGGE_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("WANGGE_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed %d (WANGGE_CRASH_SEED=%d replays the kill times), %d rounds", seed, seed, killRounds())
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		run(t, bin, data, "", seed)
	})
	if dsn := os.Getenv("WANGGE_TEST_POSTGRES"); dsn != "" {
		t.Run("postgres", func(t *testing.T) {
			t.Parallel()
			run(t, bin, data, sqlstoretest.PostgresSchema(t, dsn), seed+1)
		})
	} else if inCI() {
		t.Log("WANGGE_TEST_POSTGRES is not set: PostgreSQL not tested")
	}
}

// dataDir is the Boston data beside the repository, or "" for the demo
// county; WANGGE_CRASH_DATA chooses another folder, or "" for the demo.
func dataDir(t *testing.T) string {
	data := filepath.Join(modRoot, "..", "shared", "data", "boston311")
	if d, ok := os.LookupEnv("WANGGE_CRASH_DATA"); ok {
		data = d
	}
	if _, err := os.Stat(data); err != nil || data == "" {
		// The Boston import is the quickest set-up (about a second); a
		// checkout without the data beside it seeds the demo county instead.
		t.Logf("no Boston data beside the repository (%v): the demo county instead", err)
		return ""
	}
	return data
}

// env is one database under test.
type env struct {
	t      *testing.T
	bin    string
	dir    string // --data
	dbURL  string // --db, empty for SQLite in dir
	apiKey string
	rnd    *rand.Rand

	codes  []string
	points [][2]float64
	top    string // the code of the territory's top unit

	mu      sync.Mutex
	acked   map[string]int64     // idempotency key → service_request_id of a 2xx
	pending map[string]job       // keys whose post failed and was not retried with success yet
	lost    int                  // in-flight failures, all rounds
	failed  map[string]time.Time // when a key's post first failed
	down    [][2]time.Time       // from each kill to the next ready
	killAt  time.Time
	bad     []string // answers that are neither 2xx nor a crash
	next    int      // the next key number
}

type job struct {
	key      string
	code     string
	lat, lon float64
}

func (e *env) args(extra ...string) []string {
	a := append(extra, "--data", e.dir)
	if e.dbURL != "" {
		a = append(a, "--db", e.dbURL)
	}
	return a
}

func (e *env) dsn() string {
	if e.dbURL != "" {
		return e.dbURL
	}
	return filepath.Join(e.dir, "wangge.db")
}

// wangge runs a one-shot command and returns its standard output.
func (e *env) wangge(args ...string) string {
	e.t.Helper()
	cmd := exec.Command(e.bin, e.args(args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("wangge %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func run(t *testing.T, bin, data, dbURL string, seed uint64) {
	t0 := time.Now()
	e := &env{t: t, bin: bin, dir: t.TempDir(), dbURL: dbURL, rnd: rand.New(rand.NewPCG(seed, 0x5eed)),
		acked: map[string]int64{}, pending: map[string]job{}, failed: map[string]time.Time{}}
	e.setUp(data)

	// Cases that come due during the run, across the kills: the scheduler
	// must act on each exactly once.
	nRounds := killRounds()
	span := time.Duration(nRounds)*2500*time.Millisecond + 2*time.Second
	dueFirst, dueLast, streamIDs, dues := e.loadDueCases(200, span)
	t.Logf("setup %v; %d cases come due between %s and %s", time.Since(t0).Round(time.Millisecond), len(streamIDs), dueFirst.Format(time.TimeOnly), dueLast.Format(time.TimeOnly))

	for round := 1; round <= nRounds; round++ {
		srv := e.start()
		if e.codes == nil {
			e.codes = e.serviceCodes(srv.url)
		}
		after := time.Duration(500+e.rnd.IntN(1500)) * time.Millisecond
		before := len(e.acked)
		lostBefore := e.lost
		e.load(srv, after, true)
		t.Logf("round %d: killed after %v; %d acknowledged, %d lost in flight", round, after, len(e.acked)-before, e.lost-lostBefore)
	}

	// The last start: the failed posts are sent again with their keys, and
	// the scheduler is given time to catch up with every due case.
	srv := e.start()
	e.load(srv, 0, false)
	if wait := time.Until(dueLast) + 2*time.Second; wait > 0 {
		time.Sleep(wait)
	}
	e.checkOpen311(srv.url)
	srv.stop(t)
	if len(e.pending) > 0 {
		t.Errorf("%d posts still failing after the last restart", len(e.pending))
	}
	if len(e.bad) > 0 {
		t.Errorf("%d unexpected answers, first: %s", len(e.bad), e.bad[0])
	}
	e.checkDB(streamIDs, dueLast)
	whileDown := 0
	for _, d := range dues {
		for _, iv := range e.down {
			if !d.Before(iv[0]) && d.Before(iv[1]) {
				whileDown++
			}
		}
	}
	t.Logf("%d of the %d scheduled cases came due while the server was down", whileDown, len(dues))
	t.Logf("%s: %d reports acknowledged, %d lost in flight and re-sent, in %v", map[bool]string{true: "postgres", false: "sqlite"}[dbURL != ""], len(e.acked), e.lost, time.Since(t0).Round(time.Millisecond))
}

// setUp fills the database: Boston's territory from data, or the demo
// county when data is empty; a sync key; points inside the territory.
func (e *env) setUp(data string) {
	if data != "" {
		e.wangge("migrate")
		e.apiKey = apiKeyIn(e.t, e.wangge("import", "boston311", "--dir", data))
		e.points = e.loadPoints()
		e.top = "BOS"
		return
	}
	e.seedDemo()
	e.apiKey = apiKeyIn(e.t, e.wangge("apikey", "create", "--name", "crash", "--sync"))
	// Inside micro-grids of the demo's 梅江镇.
	e.points = [][2]float64{{26.4720, 116.0188}, {26.4705, 116.0172}, {26.4741, 116.0203}, {26.4690, 116.0150}, {26.4760, 116.0120}}
	e.top = "360730"
}

// apiKeyIn finds the "api_key: K" line a command printed.
func apiKeyIn(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if k, ok := strings.CutPrefix(line, "api_key: "); ok {
			return strings.TrimSpace(k)
		}
	}
	t.Fatalf("no api_key printed:\n%s", out)
	return ""
}

// seedDemo builds the demo county: wangge demo seeds it, then serves, and
// is stopped once it answers.
func (e *env) seedDemo() {
	s := e.launch("demo", 3*time.Minute)
	s.stop(e.t)
}

// loadPoints returns points inside Boston's wards.
func (e *env) loadPoints() [][2]float64 {
	// Known inside points (downtown, Dorchester, Roxbury, Brighton, South Boston).
	return [][2]float64{{42.3594, -71.0587}, {42.3016, -71.0676}, {42.3296, -71.0887}, {42.3500, -71.1560}, {42.3334, -71.0495}}
}

// loadDueCases puts n dispatched cases into the database, with the server
// down, whose handling deadlines fall through the coming span: their next
// look is at their deadline, where they turn overdue.
func (e *env) loadDueCases(n int, span time.Duration) (first, last time.Time, ids []int64, dues []time.Time) {
	t := e.t
	ctx := system(context.Background())
	db, err := sqlstore.Open(ctx, e.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var units []*wangge.Unit
	for _, lv := range []wangge.Level{wangge.LevelMicroGrid, wangge.LevelGrid, wangge.LevelCommunity, wangge.LevelStreet, wangge.LevelCounty} {
		us, _, err := db.FindUnits(ctx, wangge.UnitFilter{Level: lv, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(us) > 0 {
			units = us
			break
		}
	}
	if len(units) == 0 {
		t.Fatal("no units to put cases in")
	}
	cat, err := db.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var cats []*wangge.Category
	for i := range cat.Categories {
		if c := &cat.Categories[i]; c.Leaf() {
			cats = append(cats, c)
		}
	}
	depts, err := db.Departments(ctx)
	if err != nil || len(depts) == 0 || len(cats) == 0 {
		t.Fatalf("departments %d, categories %d: %v", len(depts), len(cats), err)
	}
	svc := caseflow.New(db, nil)
	cal, err := svc.CalendarFor(ctx, units[0].Code)
	if err != nil {
		t.Fatal(err)
	}
	first = time.Now().UTC().Add(time.Second).Truncate(time.Millisecond)
	every := span / time.Duration(n)
	last = first.Add(time.Duration(n-1) * every)
	gen := func(i int, c *wangge.Case) {
		u := units[i%len(units)]
		k := cats[(i*7)%len(cats)]
		d := depts[i%len(depts)].ID
		next := first.Add(time.Duration(i) * every)
		c.UnitID, c.UnitCode = u.ID, u.Code
		c.Category, c.Kind, c.Level = k.Code, k.Kind, k.Level
		c.Channel = wangge.ChannelGridWorker
		c.Description = "crash test: comes due while the server may be down"
		c.Lat, c.Lon = 42.3594, -71.0587
		c.Status = wangge.StatusDispatched
		if i%2 == 1 {
			c.Status = wangge.StatusInProgress
		}
		c.DepartmentID = &d
		c.StepStartedAt = next.Add(-30 * 24 * time.Hour)
		c.ReportedAt = c.StepStartedAt.Add(-2 * time.Hour)
		c.StepLimit = min(wangge.StepLimit(c.Status, k, cal, false), 5*cal.DayLength())
		c.Light, c.DueAt, c.NextCheckAt = "yellow", &next, &next
	}
	firstID, err := db.LoadCases(ctx, n, gen)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ids = append(ids, firstID+int64(i))
		dues = append(dues, first.Add(time.Duration(i)*every))
	}
	return first, last, ids, dues
}

func system(ctx context.Context) context.Context {
	return wangge.NewContextWithUser(ctx, &wangge.User{Username: "system", Role: wangge.RoleAdmin})
}

// server is one `wangge serve` process.
type server struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
	log    *bytes.Buffer
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start starts the server and waits until /readyz answers 200: a database
// that does not open cleanly after a kill fails here.
func (e *env) start() *server { return e.launch("serve", 30*time.Second) }

// launch runs the command (serve or demo) and waits until it is ready.
func (e *env) launch(command string, wait time.Duration) *server {
	t := e.t
	addr := freePort(t)
	cmd := exec.Command(e.bin, e.args(command, "--addr", addr, "--log-level", "warn")...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(wait)
	for {
		select {
		case <-s.exited:
			t.Fatalf("wangge %s exited at start: %v\n%s", command, cmd.ProcessState, logs.String())
		default:
		}
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if !e.killAt.IsZero() {
					e.down = append(e.down, [2]time.Time{e.killAt, time.Now()})
					e.killAt = time.Time{}
				}
				t.Cleanup(func() { cmd.Process.Kill(); <-s.exited })
				return s
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("wangge %s not ready in %v: %v\n%s", command, wait, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the server with SIGKILL.
func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

// stop ends the server with SIGTERM, as an operator would.
func (s *server) stop(t *testing.T) {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if !s.cmd.ProcessState.Success() {
			t.Errorf("wangge serve exited with %v after SIGTERM", s.cmd.ProcessState)
		}
	case <-time.After(20 * time.Second):
		t.Error("wangge serve did not stop within 20 s of SIGTERM")
		s.kill()
	}
}

func (e *env) serviceCodes(base string) []string {
	resp, err := http.Get(base + "/open311/v2/services.json")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var svcs []struct {
		ServiceCode string `json:"service_code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&svcs); err != nil {
		e.t.Fatal(err)
	}
	var codes []string
	for _, s := range svcs {
		codes = append(codes, s.ServiceCode)
	}
	if len(codes) == 0 {
		e.t.Fatal("services.json lists no service")
	}
	return codes
}

// newJob makes a report with a fresh key.
func (e *env) newJob() job {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.next++
	p := e.points[e.rnd.IntN(len(e.points))]
	return job{key: fmt.Sprintf("crash-%d", e.next), code: e.codes[e.rnd.IntN(len(e.codes))], lat: p[0], lon: p[1]}
}

// load first re-sends every post that failed before (same key), then, if
// kill, posts new reports from the clients until the server is killed
// after the given time.
func (e *env) load(s *server, after time.Duration, kill bool) {
	e.mu.Lock()
	retry := make(chan job, len(e.pending))
	for _, j := range e.pending {
		retry <- j
	}
	close(retry)
	e.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *clients}}
	var (
		wg       sync.WaitGroup
		stopping atomic.Bool
	)
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := <-retry
				if !ok {
					if !kill || stopping.Load() {
						return
					}
					j = e.newJob()
				}
				e.post(ctx, hc, s.url, j)
			}
		}()
	}
	if kill {
		time.Sleep(after)
		// No new posts from here: those still in flight meet the kill.
		stopping.Store(true)
		e.killAt = time.Now()
		s.kill()
		cancel()
	}
	wg.Wait()
	hc.CloseIdleConnections()
}

// post sends one report and records what came of it: a 2xx with its id, or
// a failure to be retried after the restart.
func (e *env) post(ctx context.Context, hc *http.Client, base string, j job) {
	form := url.Values{"api_key": {e.apiKey}, "service_code": {j.code}, "lat": {fmt.Sprint(j.lat)}, "long": {fmt.Sprint(j.lon)},
		"description": {"crash test " + j.key}, "idempotency_key": {j.key}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/open311/v2/requests.json", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Error(err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case err != nil:
		// The server died under this request: it may or may not be stored.
		if _, ok := e.failed[j.key]; !ok {
			e.lost++
			e.failed[j.key] = time.Now()
		}
		e.pending[j.key] = j
	case resp.StatusCode/100 == 2:
		var out []struct {
			ID string `json:"service_request_id"`
		}
		if err := json.Unmarshal(body, &out); err != nil || len(out) != 1 {
			e.bad = append(e.bad, fmt.Sprintf("%s: %d %s", j.key, resp.StatusCode, body))
			return
		}
		id, _ := strconv.ParseInt(out[0].ID, 10, 64)
		if prev, ok := e.acked[j.key]; ok && prev != id {
			e.bad = append(e.bad, fmt.Sprintf("%s: acknowledged as %d, then as %d", j.key, prev, id))
		}
		e.acked[j.key] = id
		delete(e.pending, j.key)
	default:
		e.bad = append(e.bad, fmt.Sprintf("%s: %d %s", j.key, resp.StatusCode, body))
	}
}

// checkOpen311 looks up every acknowledged request through Open311.
func (e *env) checkOpen311(base string) {
	t := e.t
	ids := make([]string, 0, len(e.acked))
	for _, id := range e.acked {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	slices.Sort(ids)
	found := map[string]string{}
	for i := 0; i < len(ids); i += 200 {
		batch := ids[i:min(i+200, len(ids))]
		resp, err := http.Get(base + "/open311/v2/requests.json?extensions=true&service_request_id=" + strings.Join(batch, ","))
		if err != nil {
			t.Fatal(err)
		}
		var got []struct {
			ID       string `json:"service_request_id"`
			Extended struct {
				Status string `json:"case_status"`
			} `json:"extended_attributes"`
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET requests.json: %d %v", resp.StatusCode, err)
		}
		for _, r := range got {
			found[r.ID] = r.Extended.Status
		}
	}
	missing := 0
	for _, id := range ids {
		st, ok := found[id]
		switch {
		case !ok:
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged request %s is not served by Open311", id)
			}
		case st != string(wangge.StatusDispatched):
			t.Errorf("request %s: case_status %q, want dispatched", id, st)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged requests missing from Open311", missing, len(ids))
	}
}

// checkDB opens the database after the server has stopped and checks the
// schema, the acknowledged cases' timelines, the idempotency keys and the
// scheduler's steps.
func (e *env) checkDB(streamIDs []int64, dueLast time.Time) {
	t := e.t
	ctx := system(context.Background())
	db, err := sqlstore.Open(ctx, e.dsn())
	if err != nil {
		t.Fatalf("the database does not open: %v", err)
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema: %v", err)
	}
	raw := e.rawDB()
	defer raw.Close()
	if e.dbURL == "" {
		var res string
		if err := raw.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
			t.Errorf("PRAGMA integrity_check: %q %v", res, err)
		}
	}

	// Idempotency keys: one case each, and it is the acknowledged one.
	rows, err := raw.Query("SELECT idempotency_key, COUNT(*), MIN(id) FROM cases WHERE idempotency_key IS NOT NULL AND idempotency_key <> '' GROUP BY idempotency_key")
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]int64{}
	for rows.Next() {
		var k string
		var n, id int64
		if err := rows.Scan(&k, &n, &id); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("idempotency key %q is stored %d times", k, n)
		}
		byKey[k] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	prefix := "open311:"
	var keyName string
	for k := range byKey {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			if i := strings.LastIndex(rest, ":crash-"); i >= 0 {
				keyName = rest[:i]
				break
			}
		}
	}
	for key, id := range e.acked {
		if got, ok := byKey[prefix+keyName+":"+key]; !ok || got != id {
			t.Errorf("key %s: acknowledged as case %d, stored as %d (found %v)", key, id, got, ok)
		}
	}

	// Timelines of the acknowledged cases: report, accept, dispatch.
	want := []string{"report", string(wangge.ActAccept), string(wangge.ActDispatch)}
	bad := 0
	for key, id := range e.acked {
		evs, err := db.CaseEvents(ctx, id)
		if err != nil {
			t.Errorf("case %d (%s): %v", id, key, err)
			continue
		}
		var acts []string
		for _, ev := range evs {
			acts = append(acts, ev.Action)
		}
		if !slices.Equal(acts, want) {
			bad++
			if bad <= 10 {
				t.Errorf("case %d (%s): timeline %v, want %v", id, key, acts, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d acknowledged cases have an incomplete or wrong timeline", bad, len(e.acked))
	}

	// Posts that failed in flight and were sent again: how many the server
	// had stored before it died (the re-send then found them by key).
	before := 0
	for key, at := range e.failed {
		id, ok := e.acked[key]
		if !ok {
			continue
		}
		c, err := db.Case(ctx, id)
		if err != nil {
			t.Errorf("case %d (%s): %v", id, key, err)
			continue
		}
		if c.ReportedAt.Before(at) {
			before++
		}
	}
	t.Logf("of %d posts lost in flight, %d had been stored before the kill and were found again by their key", len(e.failed), before)

	// The scheduler: no step taken twice in any case, and every loaded case
	// whose deadline passed was acted on, once.
	sched := map[string]bool{"yellow": true, "red": true, "overdue": true, "auto_escalate": true}
	srows, err := raw.Query("SELECT case_id, action, from_status, data FROM case_events WHERE action IN ('yellow', 'red', 'overdue', 'auto_escalate') ORDER BY case_id, id")
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]int{}
	acted := map[int64]int{}
	for srows.Next() {
		var id int64
		var action, from, data string
		if err := srows.Scan(&id, &action, &from, &data); err != nil {
			t.Fatal(err)
		}
		if !sched[action] {
			continue
		}
		var d struct {
			DueAt *time.Time `json:"due_at"`
		}
		json.Unmarshal([]byte(data), &d)
		due := "none"
		if d.DueAt != nil {
			due = d.DueAt.UTC().Format(time.RFC3339Nano)
		}
		k := fmt.Sprintf("case %d: %s from %s, due_at %s", id, action, from, due)
		steps[k]++
		if steps[k] == 2 {
			t.Errorf("scheduler step taken twice: %s", k)
		}
		acted[id]++
	}
	if err := srows.Err(); err != nil {
		t.Fatal(err)
	}
	srows.Close()
	missed := 0
	for _, id := range streamIDs {
		if acted[id] == 0 {
			missed++
			if missed <= 5 {
				t.Errorf("case %d came due before %s and the scheduler never acted on it", id, dueLast.Format(time.TimeOnly))
			}
		}
	}
	t.Logf("scheduler: %d steps on %d of %d cases that came due across the kills", len(steps), len(acted), len(streamIDs))
}

// rawDB opens the database with database/sql for the checks no store
// method makes.
func (e *env) rawDB() *sql.DB {
	var raw *sql.DB
	var err error
	if e.dbURL != "" {
		raw, err = sql.Open("pgx", e.dbURL)
	} else {
		raw, err = sql.Open("sqlite", "file:"+e.dsn()+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return raw
}
