package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wangge/wangge"
)

// MixedOptions are the knobs of the mixed bench.
type MixedOptions struct {
	// Scales are the multiples of Zhejiang's 33,000 matters a day to offer,
	// run one after the other on the same server; with FindMax, the first
	// is where the search starts.
	Scales  []float64
	FindMax bool // double the scale until a run does not hold
	// WriteP99Ms is the write latency a run must keep at p99 to hold.
	WriteP99Ms float64
	Duration   time.Duration // measured window of each run
	Warmup     time.Duration // arrivals before the window, so that it starts in a steady state
	Gap        time.Duration // mean time between a matter's steps (compressed time)
	Clients    int           // concurrent requests at most; ops beyond wait, and the wait is counted
	Grids      int           // grids with a bench grid worker
	// PersonsPerWorker are the residents each grid worker visits in turn.
	PersonsPerWorker int
	// VisitsPerMatter are the grid workers' door-to-door visits for each
	// matter reported (DefaultVisitsPerMatter, derived in mixed_day.go).
	VisitsPerMatter float64
	// AdminToken is a bearer token of an administrator of the target: the
	// bench creates its users and residents through the API with it.
	AdminToken string
	Seed       uint64
	Progress   io.Writer // setup and per-run lines; nil for none
}

// Validate refuses options that make no sense.
func (o *MixedOptions) Validate() error {
	var v wangge.Validation
	if len(o.Scales) == 0 {
		v.Add("scale", "at least one multiple of 33,000 matters a day")
	}
	for _, k := range o.Scales {
		if !(k > 0 && k <= 10_000) {
			v.Add("scale", "each from more than 0 to 10,000 (times 33,000 matters a day)")
			break
		}
	}
	if o.FindMax && len(o.Scales) > 1 {
		v.Add("find_max", "starts from one --scale, not a list")
	}
	if o.Duration <= 0 || o.Duration > 24*time.Hour {
		v.Add("seconds", "must be positive (at most a day)")
	}
	if o.Warmup < 0 {
		v.Add("warmup", "must not be negative")
	}
	if o.Gap < 10*time.Millisecond || o.Gap > time.Hour {
		v.Add("gap", "from 10ms to 1h")
	}
	if o.Clients < 1 || o.Clients > 10000 {
		v.Add("clients", "from 1 to 10000")
	}
	if o.Grids < 1 || o.Grids > 10000 {
		v.Add("grids", "from 1 to 10000")
	}
	if o.PersonsPerWorker < 1 || o.PersonsPerWorker > 10000 {
		v.Add("persons", "from 1 to 10000 per grid worker")
	}
	if !(o.VisitsPerMatter >= 0 && o.VisitsPerMatter <= 10_000) {
		v.Add("visits", "from 0 to 10,000 per matter")
	}
	if !(o.WriteP99Ms > 0) {
		v.Add("write_p99_ms", "must be positive")
	}
	if o.AdminToken == "" {
		v.Add("token", "an administrator's bearer token of the target (the bench creates its users)")
	}
	return v.Err()
}

// MixedStats is what the mixed bench adds to a Result: the run at the
// headline scale, operation by operation, and a line for every scale run.
type MixedStats struct {
	Scale             float64 `json:"scale"`
	MattersPerDay     float64 `json:"matters_per_day"`
	MattersPerSec     float64 `json:"matters_per_sec"` // offered
	Matters           int     `json:"matters"`         // reported in the window
	OfferedOps        int64   `json:"offered_ops"`     // planned in the window
	OfferedOpsPerSec  float64 `json:"offered_ops_per_sec"`
	AchievedOpsPerSec float64 `json:"achieved_ops_per_sec"` // done without error
	Sustained         bool    `json:"sustained"`            // achieved at least 99 % of offered
	Held              bool    `json:"held"`                 // sustained, no error, write p99 within the limit
	WriteP99LimitMs   float64 `json:"write_p99_limit_ms"`
	StartLagP99ms     float64 `json:"start_lag_p99_ms"` // how late steps started behind plan (waiting for a client or for the step before)
	// CPUPerMatterMs is this process's CPU time in the window over the
	// matters reported in it: with an in-process server, what a matter
	// and all it brings cost the server and the load generator together
	// (not PostgreSQL's processes). Less sensitive to other load on the
	// machine than latency is.
	CPUPerMatterMs    float64    `json:"cpu_per_matter_ms"`
	CPUCores          float64    `json:"cpu_cores"` // CPU time in the window over its length
	Abandoned         int        `json:"abandoned_matters"`
	Writes            Measure    `json:"writes"`
	Reads             Measure    `json:"reads"`
	Ops               []MixedOp  `json:"ops"`
	Runs              []MixedRun `json:"runs"`
	Highest           float64    `json:"highest_held_scale"` // 0: none held
	WarmupSeconds     float64    `json:"warmup_seconds"`
	GapSeconds        float64    `json:"gap_seconds"`
	Users             int        `json:"users"`
	Persons           int        `json:"persons"`
	Grids             int        `json:"grids"`
	ResidentAddresses string     `json:"resident_addresses"`
	Ratios            []string   `json:"ratios"`

	total Measure // every operation of the run: the Result's headline
}

// MixedOp is one operation type's figures; latency is from the planned
// start.
type MixedOp struct {
	Measure
	Write   bool  `json:"write"`
	Offered int64 `json:"offered"`
}

// MixedRun is one scale's run in short.
type MixedRun struct {
	Scale             float64 `json:"scale"`
	OfferedOpsPerSec  float64 `json:"offered_ops_per_sec"`
	AchievedOpsPerSec float64 `json:"achieved_ops_per_sec"`
	WriteP50ms        float64 `json:"write_p50_ms"`
	WriteP99ms        float64 `json:"write_p99_ms"`
	ReadP99ms         float64 `json:"read_p99_ms"`
	CPUPerMatterMs    float64 `json:"cpu_per_matter_ms"`
	Errors            int64   `json:"errors"`
	Sustained         bool    `json:"sustained"`
	Held              bool    `json:"held"`
}

// Mixed runs a realistic day compressed: matters arrive at scale × 33,000
// a day (Poisson), each reported through one of the channels and carried
// through its transitions by the people who take them (grid worker,
// operator, department handler, resident), with the reads those people make
// on the way and the grid workers' visits; see the constants in
// mixed_day.go for the ratios and where they come from. Load is open loop:
// every step has a planned time and its latency is measured from it.
func Mixed(ctx context.Context, t *Target, o MixedOptions) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	w, err := setupMixed(ctx, t, &o, progress)
	if err != nil {
		return nil, err
	}
	defer w.c.CloseIdleConnections()
	p := &planner{w: w, o: &o, rng: rand.New(rand.NewPCG(o.Seed, 17)), gap: o.Gap, think: min(200*time.Millisecond, o.Gap)}

	var runs []*MixedStats
	run := func(k float64) (*MixedStats, error) {
		s, err := mixedRun(ctx, p, &o, k)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "scale %g: offered %.1f ops/s, achieved %.1f; writes p99 %.1f ms; %d errors: %s\n",
			k, s.OfferedOpsPerSec, s.AchievedOpsPerSec, s.Writes.P99ms, s.Writes.Errors+s.Reads.Errors, heldWord(s.Held))
		runs = append(runs, s)
		return s, nil
	}
	if o.FindMax {
		for k := o.Scales[0]; k <= 10_000; k *= 2 {
			s, err := run(k)
			if err != nil {
				return nil, err
			}
			if !s.Held {
				break
			}
		}
	} else {
		for _, k := range o.Scales {
			if _, err := run(k); err != nil {
				return nil, err
			}
		}
	}

	// The headline is the highest scale that held; if none did, the
	// highest whose rate was sustained; else the first run.
	head := runs[0]
	var highest, sustained float64
	for _, s := range runs {
		if s.Held && s.Scale >= highest {
			head, highest = s, s.Scale
		}
	}
	for _, s := range runs {
		if highest == 0 && s.Sustained && s.Scale >= sustained {
			head, sustained = s, s.Scale
		}
	}
	head.Highest = highest
	for _, s := range runs {
		head.Runs = append(head.Runs, MixedRun{Scale: s.Scale, OfferedOpsPerSec: s.OfferedOpsPerSec, AchievedOpsPerSec: s.AchievedOpsPerSec,
			WriteP50ms: s.Writes.P50ms, WriteP99ms: s.Writes.P99ms, ReadP99ms: s.Reads.P99ms, CPUPerMatterMs: s.CPUPerMatterMs, Errors: s.Writes.Errors + s.Reads.Errors,
			Sustained: s.Sustained, Held: s.Held})
	}
	head.Users = 1 + len(w.handlers) + len(w.workers)
	head.Persons, head.Grids = w.persons, len(w.workers)
	head.ResidentAddresses = "one address (the server's per-address limit of 20 anonymous reports an hour applies)"
	if w.rotated {
		head.ResidentAddresses = "a loopback address of its own for each resident request"
	}
	head.Ratios = mixedRatios

	r := newResult("mixed", t)
	r.Clients = o.Clients
	r.Measure = head.total
	r.Mixed = head
	r.Notes = append(r.Notes, "latency is from each step's planned start (open loop): waiting for a client or for the step before it counts")
	if head.Abandoned > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d matters stopped at a failed step: their later steps did not run", head.Abandoned))
	}
	r.finish(t)
	return r, nil
}

func heldWord(ok bool) string {
	if ok {
		return "held"
	}
	return "did NOT hold"
}

// mixedRun offers scale k for the warm-up and the window.
func mixedRun(ctx context.Context, p *planner, o *MixedOptions, k float64) (*MixedStats, error) {
	rate := k * ZhejiangMattersPerDay / 86400
	run := o.Warmup + o.Duration
	plan := p.plan(rate, run)
	start := time.Now().Add(100 * time.Millisecond)
	from, end := start.Add(o.Warmup), start.Add(run)
	grace := min(max(5*time.Second, o.Duration/5), 30*time.Second)
	var cpu0, cpu1 atomic.Int64
	t0 := time.AfterFunc(time.Until(from), func() { cpu0.Store(int64(cpuTime())) })
	t1 := time.AfterFunc(time.Until(end), func() { cpu1.Store(int64(cpuTime())) })
	stats, abandoned := runDay(ctx, plan, o.Clients, start, from, end, grace)
	t0.Stop()
	t1.Stop()
	c0, c1 := time.Duration(cpu0.Load()), time.Duration(cpu1.Load())
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &MixedStats{Scale: k, MattersPerDay: k * ZhejiangMattersPerDay, MattersPerSec: rate, WriteP99LimitMs: o.WriteP99Ms,
		Abandoned: abandoned, WarmupSeconds: o.Warmup.Seconds(), GapSeconds: o.Gap.Seconds()}
	var wl, rl, lag []time.Duration
	var we, re int64
	var wfirst, rfirst string
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		ks := stats[n]
		m := summarize(n, ks.lat, ks.errors, ks.firstErr, o.Duration)
		s.Ops = append(s.Ops, MixedOp{Measure: m, Write: ks.write, Offered: ks.offered})
		s.OfferedOps += ks.offered
		lag = append(lag, ks.startLag...)
		if strings.HasPrefix(n, "report (") {
			s.Matters += int(ks.offered)
		}
		if ks.write {
			wl, we = append(wl, ks.lat...), we+ks.errors
			if wfirst == "" {
				wfirst = ks.firstErr
			}
		} else {
			rl, re = append(rl, ks.lat...), re+ks.errors
			if rfirst == "" {
				rfirst = ks.firstErr
			}
		}
	}
	s.total = summarize("all", slices.Concat(wl, rl), we+re, cmp.Or(wfirst, rfirst), o.Duration)
	if c1 > c0 && c0 > 0 {
		s.CPUCores = (c1 - c0).Seconds() / o.Duration.Seconds()
		if s.Matters > 0 {
			s.CPUPerMatterMs = ms((c1 - c0) / time.Duration(s.Matters))
		}
	}
	s.Writes = summarize("writes", wl, we, wfirst, o.Duration)
	s.Reads = summarize("reads", rl, re, rfirst, o.Duration)
	slices.Sort(lag)
	s.StartLagP99ms = ms(percentile(lag, 0.99))
	s.OfferedOpsPerSec = float64(s.OfferedOps) / o.Duration.Seconds()
	s.AchievedOpsPerSec = s.Writes.OpsPerSec + s.Reads.OpsPerSec
	done := s.Writes.Ops + s.Reads.Ops
	s.Sustained = s.OfferedOps > 0 && float64(done) >= 0.99*float64(s.OfferedOps)
	s.Held = s.Sustained && we+re == 0 && s.Writes.P99ms <= o.WriteP99Ms
	return s, nil
}

// writeText writes the mixed bench's part of the human summary.
func (s *MixedStats) writeText(b io.Writer, r *Result) {
	fmt.Fprintf(b, "  a day at %g × 33,000 matters = %s matters/s offered (%d in the %.0f s window, after %.0f s of warm-up; mean %.2g s between a matter's steps)\n",
		s.Scale, fmt.Sprintf("%.2f", s.MattersPerSec), s.Matters, r.Seconds, s.WarmupSeconds, s.GapSeconds)
	fmt.Fprintf(b, "  %d users (%d grid workers), %d residents to visit; residents' requests from %s; at most %d requests at once\n",
		s.Users, s.Grids, s.Persons, s.ResidentAddresses, r.Clients)
	fmt.Fprintf(b, "  offered %.1f ops/s, achieved %.1f ops/s: %s; start lag p99 %.1f ms\n",
		s.OfferedOpsPerSec, s.AchievedOpsPerSec, map[bool]string{true: "sustained", false: "NOT sustained"}[s.Sustained], s.StartLagP99ms)
	fmt.Fprintf(b, "  this process used %.2f CPU cores in the window: %.1f ms of CPU per matter\n", s.CPUCores, s.CPUPerMatterMs)
	writeMeasure(b, "writes", "ops", &s.Writes)
	writeMeasure(b, "reads", "ops", &s.Reads)
	fmt.Fprintf(b, "  by operation (latency from the planned start):\n")
	for _, op := range s.Ops {
		fmt.Fprintf(b, "    %-26s %7d of %7d, p50 %7.2f ms, p99 %7.2f ms, max %7.1f ms", op.Name, op.Ops, op.Offered, op.P50ms, op.P99ms, op.MaxMs)
		if op.Errors > 0 {
			fmt.Fprintf(b, "; %d errors (first: %s)", op.Errors, op.FirstError)
		}
		fmt.Fprintln(b)
	}
	if len(s.Runs) > 1 {
		fmt.Fprintf(b, "  runs (writes' p99 limit %.0f ms):\n", s.WriteP99LimitMs)
		for _, x := range s.Runs {
			fmt.Fprintf(b, "    scale %-6g offered %8.1f ops/s, achieved %8.1f; writes p50 %6.2f ms, p99 %7.2f ms; reads p99 %7.2f ms; %.0f ms CPU/matter; %d errors: %s\n",
				x.Scale, x.OfferedOpsPerSec, x.AchievedOpsPerSec, x.WriteP50ms, x.WriteP99ms, x.ReadP99ms, x.CPUPerMatterMs, x.Errors, heldWord(x.Held))
		}
	}
	if s.Highest > 0 {
		fmt.Fprintf(b, "  highest scale that held: %g (%s matters a day)\n", s.Highest, human(s.Highest*ZhejiangMattersPerDay))
	} else {
		fmt.Fprintf(b, "  no scale held (writes' p99 within %.0f ms, no error, 99 %% of the offered ops done)\n", s.WriteP99LimitMs)
	}
}
