package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/territory"
)

// Target is the server a bench drives and what the bench needs to know of
// it. For a server started in-process the command fills in everything; for
// an outside server (--target) only URL and APIKey (and Token for reports
// through the JSON API), and the rest is discovered over HTTP.
type Target struct {
	URL    string // http://host:port
	APIKey string // Open311 api_key
	Token  string // bearer token of a grid worker, for POST /api/v1/cases
	// ViewerToken is the bearer token of an administrator or command-centre
	// operator, for the dashboard bench.
	ViewerToken string
	InProcess   bool   // the server runs in this process
	DB          string // database of an in-process server ("sqlite", "postgres")
	Version     string

	// Points inside the territory (WGS84) to report at; empty means sample
	// them near Near with GET /api/v1/locate.
	Points []geo.Point
	Near   geo.Point
	// BBox is the area the locate bench draws its points from (min lon,
	// min lat, max lon, max lat); zero means RadiusM around Near.
	BBox    [4]float64
	RadiusM float64
	// Categories are the leaf service codes to report under; empty means
	// read them from /open311/v2/services.json.
	Categories []string
	// Locator is the in-process server's locator, for the in-process half
	// of the locate bench; nil for an outside server.
	Locator *territory.Locator
	// CountCases returns the number of cases stored, so that an in-process
	// intake bench can check that every acknowledged report is a row.
	CountCases func(ctx context.Context) (int, error)
	// RawInsert writes one row the size of a case durably into a table with
	// no index but its key, through the server's own database writer: the
	// raw-database baseline of an in-process intake bench (nil: none).
	RawInsert func(ctx context.Context, i int64) error
}

// Label names the target in the output.
func (t *Target) Label() string {
	if t.InProcess && t.URL == "" {
		return "in-process"
	}
	if t.InProcess {
		return "in-process server " + t.URL
	}
	return t.URL
}

// NewClient returns an HTTP client for conns concurrent clients: enough
// idle connections per host that every client keeps its own (the bench
// measures the server, not connection set-up), and a short dial timeout so
// that a target that is not up is reported at once.
func NewClient(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		DisableCompression:    true,
	}
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// ErrUnreachable is wrapped by the error of a target that does not answer.
var ErrUnreachable = errors.New("target not reachable")

// probe checks that the target answers /healthz within a few seconds.
func probe(ctx context.Context, c *http.Client, base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return wangge.FieldError("target", "an http:// URL such as http://127.0.0.1:8080")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(base, "/")+"/healthz", nil)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s does not answer (%v); is a wangge server running there?", ErrUnreachable, base, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%w: %s/healthz answered %s; is it a wangge server?", ErrUnreachable, base, resp.Status)
	}
	return nil
}

// getJSON reads a JSON answer.
func getJSON(ctx context.Context, c *http.Client, u string, out any) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	return readJSON(c, req, out)
}

// readJSON sends req and reads its JSON answer (200 only) into out.
func readJSON(c *http.Client, req *http.Request, out any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s: %.200s", req.URL, resp.Status, data)
	}
	return json.Unmarshal(data, out)
}

// categories returns the service codes to report under.
func (t *Target) categories(ctx context.Context, c *http.Client) ([]string, error) {
	if len(t.Categories) > 0 {
		return t.Categories, nil
	}
	var services []struct {
		Code string `json:"service_code"`
	}
	if err := getJSON(ctx, c, t.URL+"/open311/v2/services.json", &services); err != nil {
		return nil, fmt.Errorf("service list: %w", err)
	}
	for _, s := range services {
		t.Categories = append(t.Categories, s.Code)
	}
	if len(t.Categories) == 0 {
		return nil, fmt.Errorf("%s/open311/v2/services.json lists no service: the server has no catalogue", t.URL)
	}
	return t.Categories, nil
}

// points returns points inside the territory to report at. Without given
// points it draws random ones within RadiusM of Near and keeps those that
// GET /api/v1/locate places in a grid or a micro-grid.
func (t *Target) points(ctx context.Context, c *http.Client) ([]geo.Point, error) {
	if len(t.Points) > 0 {
		return t.Points, nil
	}
	const want, tries = 200, 2000
	rng := rand.New(rand.NewPCG(7, 11))
	box := t.box()
	var loose []geo.Point
	for i := 0; i < tries && len(t.Points) < want; i++ {
		if i == tries/10 && len(t.Points)+len(loose) == 0 {
			break // nothing here: say so rather than ask 2,000 times
		}
		p := randomIn(rng, box)
		var loc struct {
			Units []struct {
				Level wangge.Level `json:"level"`
			} `json:"units"`
		}
		u := fmt.Sprintf("%s/api/v1/locate?lat=%s&lon=%s", t.URL, coord(p.Y), coord(p.X))
		if err := getJSON(ctx, c, u, &loc); err != nil {
			return nil, fmt.Errorf("placing points: %w", err)
		}
		if n := len(loc.Units); n > 0 {
			if lv := loc.Units[n-1].Level; lv == wangge.LevelGrid || lv == wangge.LevelMicroGrid {
				t.Points = append(t.Points, p)
			} else {
				loose = append(loose, p)
			}
		}
	}
	if len(t.Points) == 0 {
		t.Points = loose // a territory without grids: any unit will do
	}
	if len(t.Points) == 0 {
		return nil, fmt.Errorf("no point within %.0f m of lat %s, lon %s lies in a unit of %s: give --near LAT,LON inside its territory",
			t.RadiusM, coord(t.Near.Y), coord(t.Near.X), t.URL)
	}
	return t.Points, nil
}

// box is the area to draw points from.
func (t *Target) box() [4]float64 {
	if t.BBox != [4]float64{} {
		return t.BBox
	}
	r := t.RadiusM
	if r <= 0 {
		r = 3000
	}
	dLat := r / 111_320
	dLon := dLat / math.Max(0.01, math.Cos(t.Near.Y*math.Pi/180))
	return [4]float64{t.Near.X - dLon, t.Near.Y - dLat, t.Near.X + dLon, t.Near.Y + dLat}
}

func randomIn(rng *rand.Rand, b [4]float64) geo.Point {
	return geo.Point{X: b[0] + rng.Float64()*(b[2]-b[0]), Y: b[1] + rng.Float64()*(b[3]-b[1])}
}

func coord(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }

// load runs op from clients goroutines for warmup and then window, and
// measures the operations that complete inside the window. op returns an
// error for a failed operation; the load goes on. acked counts every
// success, warm-up and the operations finishing after the window included.
func load(ctx context.Context, name string, clients int, warmup, window time.Duration, op func(rng *rand.Rand) error) (m Measure, acked int64) {
	start := time.Now()
	from, to := start.Add(warmup), start.Add(warmup+window)
	// Operations in flight at the end finish (and are not counted) rather
	// than being cancelled, so that every acknowledged report is known.
	var stop atomic.Bool
	timer := time.AfterFunc(warmup+window, func() { stop.Store(true) })
	defer timer.Stop()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		all      []time.Duration
		errs     int64
		ok       atomic.Int64
		firstErr string
	)
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			lat := make([]time.Duration, 0, 4096)
			var nerr int64
			var werr string
			for !stop.Load() && ctx.Err() == nil {
				t0 := time.Now()
				err := op(rng)
				t1 := time.Now()
				if err == nil {
					ok.Add(1)
				}
				if t0.Before(from) || t1.After(to) {
					continue // warm-up, or cut off by the end of the window
				}
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					nerr++
					if werr == "" {
						werr = err.Error()
					}
					continue
				}
				lat = append(lat, t1.Sub(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += nerr
			if firstErr == "" {
				firstErr = werr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return summarize(name, all, errs, firstErr, window), ok.Load()
}

// do sends a request and reads the whole answer, so that the connection is
// reused; an answer other than want is an error.
func do(c *http.Client, req *http.Request, want int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
