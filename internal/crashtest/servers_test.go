package crashtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wangge/wangge/internal/sqlstore/sqlstoretest"
)

// TestSeveralServers runs two `wangge serve` processes on one PostgreSQL
// database with no memory in common: reports posted to either are filed
// once each, with numbers that never collide, and a live stream opened on
// the second server shows the cases filed through the first.
func TestSeveralServers(t *testing.T) {
	dsn := os.Getenv("WANGGE_TEST_POSTGRES")
	if dsn == "" {
		if inCI() {
			t.Fatal("WANGGE_TEST_POSTGRES is required in CI")
		}
		t.Skip("several servers share a PostgreSQL: set WANGGE_TEST_POSTGRES")
	}
	bin := build(t)
	e := &env{t: t, bin: bin, dir: t.TempDir(), dbURL: sqlstoretest.PostgresSchema(t, dsn), rnd: rand.New(rand.NewPCG(7, 7)),
		acked: map[string]int64{}, pending: map[string]job{}, failed: map[string]time.Time{}}
	e.setUp(dataDir(t))
	e.wangge("user", "add", "--username", "watcher", "--role", "operator", "--units", e.top, "--password", "watcher-pass-1")
	a, b := e.start(), e.start()
	e.codes = e.serviceCodes(a.url)

	// A live stream on b, as the command centre opens it.
	var login struct {
		Token string `json:"token"`
	}
	resp, err := http.Post(b.url+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"watcher","password":"watcher-pass-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if login.Token == "" {
		t.Fatalf("login on the second server: %s", resp.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.url+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != http.StatusOK {
		t.Fatalf("stream on the second server: %v %v", err, stream)
	}
	defer stream.Body.Close()
	seen := map[int64]bool{}
	var seenMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stream.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev struct {
				Case struct {
					ID int64 `json:"id"`
				} `json:"case"`
			}
			if json.Unmarshal([]byte(data), &ev) == nil && ev.Case.ID != 0 {
				seenMu.Lock()
				seen[ev.Case.ID] = true
				seenMu.Unlock()
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // the stream is subscribed

	// Reports through both servers at once.
	const per = 40
	hc := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for _, s := range []*server{a, b} {
		for range per {
			j := e.newJob()
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.post(context.Background(), hc, s.url, j)
			}()
		}
	}
	wg.Wait()
	if len(e.acked) != 2*per || len(e.pending) != 0 || len(e.bad) != 0 {
		t.Fatalf("%d of %d reports acknowledged; %d failed; unexpected answers: %v", len(e.acked), 2*per, len(e.pending), e.bad)
	}
	ids := map[int64]bool{}
	for _, id := range e.acked {
		if ids[id] {
			t.Errorf("two reports got case %d", id)
		}
		ids[id] = true
	}
	// Every case, whichever server filed it, reaches b's stream.
	deadline := time.Now().Add(15 * time.Second)
	for {
		seenMu.Lock()
		missing := 0
		for id := range ids {
			if !seen[id] {
				missing++
			}
		}
		seenMu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d cases never reached the second server's stream", missing, len(ids))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Case numbers are unique across the servers.
	numbers := map[string]bool{}
	for id := range ids {
		r, err := http.Get(fmt.Sprintf("%s/open311/v2/requests/%d.json?extensions=true", a.url, id))
		if err != nil {
			t.Fatal(err)
		}
		var out []struct {
			Extended struct {
				Number string `json:"case_number"`
			} `json:"extended_attributes"`
		}
		json.NewDecoder(r.Body).Decode(&out)
		r.Body.Close()
		if len(out) != 1 || out[0].Extended.Number == "" || numbers[out[0].Extended.Number] {
			t.Errorf("case %d: number %+v (duplicate or missing)", id, out)
		}
		if len(out) == 1 {
			numbers[out[0].Extended.Number] = true
		}
	}
	a.stop(t)
	b.stop(t)
	t.Logf("%d reports through two servers, each filed once with its own number; all reached the second server's live stream", len(ids))
}
