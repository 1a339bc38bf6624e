package boston

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ReplayConfig says where and how to replay the city's requests.
type ReplayConfig struct {
	Target  string  // base URL of a Wangge server, such as http://127.0.0.1:8080
	APIKey  string  // a sync key (wangge import boston311 prints one)
	Speed   float64 // 0: as fast as possible; s > 0: s seconds of 2011 per second
	Clients int     // concurrent HTTP clients
	// Progress, when set, receives a line now and then.
	Progress io.Writer
}

// ReplayReport is what a replay measured. Shares are in [0, 1].
type ReplayReport struct {
	Target   string `json:"target"`
	Clients  int    `json:"clients"`
	Requests int    `json:"requests"` // rows in the file
	Accepted int    `json:"accepted"` // filed (2xx)
	Closed   int    `json:"closed"`   // closed rows reported closed (2xx)
	Errors   int    `json:"errors"`   // answers other than 2xx, posts and closes
	// ErrorsByReason counts the errors by the server's description.
	ErrorsByReason map[string]int `json:"errors_by_reason,omitempty"`
	// Seconds is the replay itself: posting every request in time order,
	// then reporting each closed one closed at its closed_dt.
	Seconds float64 `json:"seconds"`
	// ReadSeconds is the read-back of what the server decided (GET
	// requests by id), not part of Seconds.
	ReadSeconds float64 `json:"read_seconds"`
	// DepartmentMatch: share of the accepted requests whose
	// agency_responsible is the city's department.
	DepartmentMatch float64 `json:"department_match"`
	// DeadlineMatch: share of the accepted rows with a target_dt whose
	// expected_datetime (our handling deadline) is within an hour of it.
	DeadlineMatch float64 `json:"deadline_match"`
	DeadlineRows  int     `json:"deadline_rows"`
	// OntimeAgreement: share of the closed rows with the city's ONTIME or
	// OVERDUE verdict where the server's verdict (extended_attributes
	// overdue) agrees.
	OntimeAgreement float64 `json:"ontime_agreement"`
	OntimeRows      int     `json:"ontime_rows"`
}

// Replay posts every request of d through the server's Open311 interface in
// time order with the city's own timestamps, then reports each closed one
// closed at its closed_dt, and compares what the server decided (the
// department, the deadline, the on-time verdict) with the city's record.
// Rows without a target_dt are posted with sla=none: the city held them to
// no deadline and calls them all on time.
func Replay(ctx context.Context, d *Data, cfg ReplayConfig) (*ReplayReport, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	base := strings.TrimSuffix(cfg.Target, "/") + "/open311/v2/"
	c := &client{base: base, key: cfg.APIKey, http: &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
			MaxIdleConnsPerHost: cfg.Clients * 2,
			MaxConnsPerHost:     cfg.Clients * 2,
		},
	}}
	rep := &ReplayReport{Target: cfg.Target, Clients: cfg.Clients, Requests: len(d.Requests), ErrorsByReason: map[string]int{}}
	codes, err := c.services(ctx)
	if err != nil {
		return nil, err
	}
	var errMu sync.Mutex
	fail := func(reason string) {
		errMu.Lock()
		rep.Errors++
		rep.ErrorsByReason[reason]++
		errMu.Unlock()
	}

	// Post in time order; with a speed, at the city's pace.
	start := time.Now()
	ids := make([]string, len(d.Requests))
	var posted atomic.Int64
	err = run(ctx, cfg.Clients, len(d.Requests), func(i int) {
		if cfg.Speed > 0 {
			pace(ctx, start, d.Requests[0].Open, d.Requests[i].Open, cfg.Speed)
		}
	}, func(i int) {
		q := &d.Requests[i]
		code, ok := codes[q.Type]
		if !ok {
			fail("no service for type " + q.Type)
			return
		}
		form := url.Values{
			"api_key": {cfg.APIKey}, "service_code": {code}, "lat": {ftoa(q.Lat)}, "long": {ftoa(q.Lon)},
			"description":        {strings.TrimSpace(q.Title)},
			"requested_datetime": {q.Open.Format(time.RFC3339)},
			"idempotency_key":    {q.ID},
		}
		if q.Target == nil {
			form.Set("sla", "none")
		}
		var out []struct {
			ID string `json:"service_request_id"`
		}
		if reason := c.post(ctx, "requests.json", form, &out); reason != "" {
			fail(reason)
			return
		}
		if len(out) == 1 {
			ids[i] = out[0].ID
		}
		if n := posted.Add(1); cfg.Progress != nil && n%10000 == 0 {
			fmt.Fprintf(cfg.Progress, "posted %d requests in %s\n", n, time.Since(start).Round(time.Millisecond))
		}
	})
	if err != nil {
		return nil, err
	}
	postSeconds := time.Since(start)

	// What the server decided at intake: the department and the deadline.
	readStart := time.Now()
	type decided struct {
		agency, expected string
	}
	got := make([]decided, len(d.Requests))
	var order []int
	for i, id := range ids {
		if id != "" {
			order = append(order, i)
		}
	}
	const batch = 200
	err = run(ctx, cfg.Clients, (len(order)+batch-1)/batch, nil, func(b int) {
		part := order[b*batch : min(len(order), (b+1)*batch)]
		list := make([]string, len(part))
		byID := map[string]int{}
		for j, i := range part {
			list[j], byID[ids[i]] = ids[i], i
		}
		var out []struct {
			ID       string  `json:"service_request_id"`
			Agency   *string `json:"agency_responsible"`
			Expected *string `json:"expected_datetime"`
		}
		if reason := c.get(ctx, "requests.json?service_request_id="+strings.Join(list, ","), &out); reason != "" {
			fail("read back: " + reason)
			return
		}
		for _, r := range out {
			if i, ok := byID[r.ID]; ok {
				got[i] = decided{deref(r.Agency), deref(r.Expected)}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	rep.ReadSeconds = time.Since(readStart).Seconds()

	// Close each closed row at its closed_dt, in the order they closed.
	closeStart := time.Now()
	var closing []int
	for _, i := range order {
		if d.Requests[i].Closed != nil {
			closing = append(closing, i)
		}
	}
	sort.SliceStable(closing, func(a, b int) bool { return d.Requests[closing[a]].Closed.Before(*d.Requests[closing[b]].Closed) })
	overdue := make([]int8, len(d.Requests)) // 0 unknown, 1 on time, 2 overdue
	var closedN atomic.Int64
	err = run(ctx, cfg.Clients, len(closing), nil, func(k int) {
		i := closing[k]
		q := &d.Requests[i]
		at := *q.Closed
		if at.Before(q.Open) {
			at = q.Open // a handful of rows close a second before they open
		}
		form := url.Values{"api_key": {cfg.APIKey}, "status": {"closed"}, "updated_datetime": {at.Format(time.RFC3339)}}
		var out []struct {
			Extended *struct {
				Overdue bool `json:"overdue"`
			} `json:"extended_attributes"`
		}
		if reason := c.post(ctx, "requests/"+ids[i]+".json", form, &out); reason != "" {
			fail("close: " + reason)
			return
		}
		if len(out) == 1 && out[0].Extended != nil {
			overdue[i] = 1
			if out[0].Extended.Overdue {
				overdue[i] = 2
			}
		}
		closedN.Add(1)
	})
	if err != nil {
		return nil, err
	}
	rep.Seconds = (postSeconds + time.Since(closeStart)).Seconds()
	rep.Closed = int(closedN.Load())

	// Compare with the city.
	var dep, dl, ot int
	for _, i := range order {
		q := &d.Requests[i]
		rep.Accepted++
		if got[i].agency != "" && got[i].agency == departmentLabel(q.Department) {
			dep++
		}
		if q.Target != nil {
			rep.DeadlineRows++
			if t, err := time.Parse(time.RFC3339, got[i].expected); err == nil && near(t, *q.Target) {
				dl++
			}
		}
		if overdue[i] != 0 && (q.OnTime == "ONTIME" || q.OnTime == "OVERDUE") {
			rep.OntimeRows++
			if (overdue[i] == 1) == (q.OnTime == "ONTIME") {
				ot++
			}
		}
	}
	rep.DepartmentMatch = share(dep, rep.Accepted)
	rep.DeadlineMatch = share(dl, rep.DeadlineRows)
	rep.OntimeAgreement = share(ot, rep.OntimeRows)
	return rep, nil
}

// departmentLabel is the agency_responsible the import gives the city's
// department: its English name, or its code.
func departmentLabel(cityDept string) string {
	code := DepartmentCode(cityDept)
	if n, ok := DepartmentNames[code]; ok && n[1] != "" {
		return n[1]
	}
	return code
}

// run calls each(i) for i in [0, n) on workers goroutines, handing out i in
// order; before(i), when set, runs in order before i is handed out (pacing).
func run(ctx context.Context, workers, n int, before, each func(int)) error {
	jobs := make(chan int, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				each(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if before != nil {
			before(i)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return ctx.Err()
}

// pace sleeps until the moment of the replay that corresponds to at.
func pace(ctx context.Context, start, first, at time.Time, speed float64) {
	due := start.Add(time.Duration(float64(at.Sub(first)) / speed))
	if wait := time.Until(due); wait > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

type client struct {
	base, key string
	http      *http.Client
}

// services maps each service name (the city's request type) to its code,
// and fails at once, with a clear message, when the server is not there.
func (c *client) services(ctx context.Context) (map[string]string, error) {
	var list []struct {
		Code string `json:"service_code"`
		Name string `json:"service_name"`
	}
	if reason := c.get(ctx, "services.json", &list); reason != "" {
		return nil, fmt.Errorf("replay: %sservices.json: %s", c.base, reason)
	}
	m := make(map[string]string, len(list))
	for _, s := range list {
		m[s.Name] = s.Code
	}
	if len(m) == 0 {
		return nil, errors.New("replay: the server has no services: run `wangge import boston311` on its database first")
	}
	return m, nil
}

func (c *client) get(ctx context.Context, path string, out any) string {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return err.Error()
	}
	return c.do(req, out)
}

func (c *client) post(ctx context.Context, path string, form url.Values, out any) string {
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req, out)
}

// do sends a request and decodes a 2xx answer into out; otherwise it
// returns the reason: the server's description or the transport error.
func (c *client) do(req *http.Request, out any) string {
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return "the server is not reachable (" + op.Err.Error() + ")"
		}
		return err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	if resp.StatusCode/100 != 2 {
		var e []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		if json.Unmarshal(body, &e) == nil && len(e) > 0 {
			return strconv.Itoa(resp.StatusCode) + " " + e[0].Description
		}
		return resp.Status
	}
	if err := json.Unmarshal(body, out); err != nil {
		return "unreadable answer: " + err.Error()
	}
	return ""
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
