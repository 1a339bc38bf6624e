package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

// LocateOptions are the knobs of the locate bench.
type LocateOptions struct {
	Clients  int
	Duration time.Duration // measured window of each half
	Warmup   time.Duration
}

// Validate refuses options that make no sense.
func (o *LocateOptions) Validate() error {
	var v wangge.Validation
	if o.Clients < 1 || o.Clients > 10000 {
		v.Add("clients", "from 1 to 10000")
	}
	if o.Duration <= 0 {
		v.Add("seconds", "must be positive")
	}
	if o.Warmup < 0 {
		v.Add("warmup", "must not be negative")
	}
	return v.Err()
}

// locateBatch is how many in-process lookups are timed together: one
// lookup takes about as long as reading the clock.
const locateBatch = 1000

// Locate measures point → unit lookups at random points of the territory's
// bounding box: in-process through the server's locator (one goroutine,
// when the server runs in this process) and over HTTP GET /api/v1/locate
// with Clients concurrent clients.
func Locate(ctx context.Context, t *Target, o LocateOptions) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := NewClient(o.Clients)
	defer c.CloseIdleConnections()
	if err := probe(ctx, c, t.URL); err != nil {
		return nil, err
	}
	box := t.box()
	rng := rand.New(rand.NewPCG(3, 5))
	pts := make([]geo.Point, 1<<16)
	for i := range pts {
		pts[i] = randomIn(rng, box)
	}
	r := newResult("locate", t)
	r.Clients = o.Clients
	if t.Locator != nil {
		m := locateInProcess(ctx, t, pts, o)
		r.InProcess = &m
	}
	urls := make([]string, len(pts))
	for i, p := range pts {
		urls[i] = fmt.Sprintf("%s/api/v1/locate?lat=%s&lon=%s", t.URL, coord(p.Y), coord(p.X))
	}
	var hits int64
	if err := getJSON(ctx, c, urls[0], &struct{}{}); err != nil {
		return nil, fmt.Errorf("the first lookup failed: %w", err)
	}
	r.Measure, _ = load(ctx, "GET /api/v1/locate", o.Clients, o.Warmup, o.Duration, func(rng *rand.Rand) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", urls[rng.IntN(len(urls))], nil)
		return do(c, req, http.StatusOK)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.Locator != nil {
		for _, p := range pts[:10000] {
			if len(t.Locator.Locate(p)) > 0 {
				hits++
			}
		}
		r.Notes = append(r.Notes, fmt.Sprintf("%.0f %% of the points lie in a unit (bounding box %.4f,%.4f – %.4f,%.4f)",
			float64(hits)/100, box[0], box[1], box[2], box[3]))
	}
	r.finish(t)
	return r, nil
}

// locateInProcess times batches of lookups through the locator.
func locateInProcess(ctx context.Context, t *Target, pts []geo.Point, o LocateOptions) Measure {
	run := func(d time.Duration) (per []time.Duration, n int) {
		end := time.Now().Add(d)
		i := 0
		for time.Now().Before(end) && ctx.Err() == nil {
			t0 := time.Now()
			for k := 0; k < locateBatch; k++ {
				t.Locator.Locate(pts[i&(len(pts)-1)])
				i++
			}
			per = append(per, time.Since(t0)/locateBatch)
		}
		return per, i
	}
	run(o.Warmup)
	start := time.Now()
	per, n := run(o.Duration)
	m := summarize("in-process locator", per, 0, "", time.Since(start))
	m.Ops = int64(n)
	m.OpsPerSec = float64(n) / m.Seconds
	return m
}
