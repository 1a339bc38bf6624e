package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wangge/wangge"
)

// Ways to post a report.
const (
	ViaOpen311 = "open311" // POST /open311/v2/requests.json, form-encoded, with an api_key
	ViaAPI     = "api"     // POST /api/v1/cases, JSON, with a grid worker's bearer token
)

// IntakeOptions are the knobs of the intake bench.
type IntakeOptions struct {
	Clients  int           // concurrent clients, each with its own connection
	Duration time.Duration // measured window, for the server and for the bare handler each
	Warmup   time.Duration // run before each window, not measured
	Via      string        // ViaOpen311 or ViaAPI
	Baseline bool          // also measure the bare handler
}

// Validate refuses options that make no sense.
func (o *IntakeOptions) Validate() error {
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
	if o.Via != ViaOpen311 && o.Via != ViaAPI {
		v.Add("via", "open311 or api")
	}
	return v.Err()
}

// Intake posts reports to the target as real clients do, with Clients
// concurrent clients, and measures the same client against a bare net/http
// handler that reads the form and answers 201 in the same run: the ratio
// says how much of loopback HTTP's throughput the server keeps while it
// places, stores and acknowledges each report.
func Intake(ctx context.Context, t *Target, o IntakeOptions) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := NewClient(o.Clients)
	defer c.CloseIdleConnections()
	if err := probe(ctx, c, t.URL); err != nil {
		return nil, err
	}
	if o.Via == ViaOpen311 && t.APIKey == "" {
		return nil, wangge.FieldError("api_key", "reports through Open311 need an API key (wangge apikey create --name bench)")
	}
	if o.Via == ViaAPI && t.Token == "" {
		return nil, wangge.FieldError("token", "reports through /api/v1/cases need a grid worker's bearer token")
	}
	cats, err := t.categories(ctx, c)
	if err != nil {
		return nil, err
	}
	pts, err := t.points(ctx, c)
	if err != nil {
		return nil, err
	}
	post := func(base string) func(rng *rand.Rand) error {
		return func(rng *rand.Rand) error {
			p := pts[rng.IntN(len(pts))]
			cat := cats[rng.IntN(len(cats))]
			desc := "压测上报 " + strconv.FormatUint(rng.Uint64()%1e9, 10)
			var req *http.Request
			if o.Via == ViaOpen311 {
				form := url.Values{"api_key": {t.APIKey}, "service_code": {cat}, "lat": {coord(p.Y)}, "long": {coord(p.X)}, "description": {desc}}
				req, _ = http.NewRequestWithContext(ctx, "POST", base+"/open311/v2/requests.json", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				body, _ := json.Marshal(map[string]any{"category": cat, "description": desc, "lat": p.Y, "lon": p.X})
				req, _ = http.NewRequestWithContext(ctx, "POST", base+"/api/v1/cases", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+t.Token)
			}
			return do(c, req, http.StatusCreated)
		}
	}
	// One report first: a wrong key or a server that refuses reports is
	// said once, clearly, instead of as thousands of errors.
	if err := post(t.URL)(rand.New(rand.NewPCG(1, 1))); err != nil {
		return nil, fmt.Errorf("the first report was refused: %w", err)
	}
	var before int
	if t.CountCases != nil {
		if before, err = t.CountCases(ctx); err != nil {
			return nil, err
		}
	}

	r := newResult("intake", t)
	r.Via, r.Clients = o.Via, o.Clients
	if o.Via == ViaOpen311 {
		r.Via = "open311 (POST /open311/v2/requests.json, form-encoded, api_key)"
	} else {
		r.Via = "api (POST /api/v1/cases, JSON, grid worker's bearer token)"
	}
	if o.Baseline {
		bare, err := startBare()
		if err != nil {
			return nil, err
		}
		m, _ := load(ctx, "bare handler", o.Clients, o.Warmup, o.Duration, post(bare.url))
		bare.close()
		c.CloseIdleConnections()
		r.Baseline = &m
	}
	if o.Baseline && t.RawInsert != nil {
		var n atomic.Int64
		m, _ := load(ctx, "raw database", o.Clients, o.Warmup, o.Duration, func(*rand.Rand) error { return t.RawInsert(ctx, n.Add(1)) })
		r.RawDB = &m
	}
	var acked int64
	r.Measure, acked = load(ctx, "server", o.Clients, o.Warmup, o.Duration, post(t.URL))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Baseline != nil && r.Baseline.OpsPerSec > 0 {
		r.Ratio = r.OpsPerSec / r.Baseline.OpsPerSec
	}
	if r.RawDB != nil && r.RawDB.OpsPerSec > 0 {
		r.RatioRawDB = r.OpsPerSec / r.RawDB.OpsPerSec
	}
	if t.CountCases != nil {
		after, err := t.CountCases(ctx)
		if err != nil {
			return nil, err
		}
		if stored := int64(after - before); stored != acked {
			r.Notes = append(r.Notes, fmt.Sprintf("MISMATCH: the server acknowledged %d reports but stored %d cases", acked, stored))
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("every acknowledged report is a stored case (%d, warm-up included)", acked))
		}
	}
	r.finish(t)
	return r, nil
}

// bareServer is the baseline: net/http with a handler that reads the posted
// form (or JSON) and answers 201 with a body of the size Open311 answers.
type bareServer struct {
	url   string
	close func()
}

const bareAnswer = `[{"service_request_id":"1234567","service_notice":"Received as case 360730-20261123-000001.","account_id":null}]`

func startBare() (*bareServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var v map[string]any
			err = json.NewDecoder(r.Body).Decode(&v)
		} else {
			err = r.ParseForm()
			_ = r.PostForm.Get("api_key")
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, bareAnswer)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // ErrServerClosed once shut down

	}()
	b := &bareServer{url: "http://" + ln.Addr().String()}
	b.close = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	}
	return b, nil
}
