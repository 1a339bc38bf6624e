package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/sqlstore"
)

// SchedulerOptions are the knobs of the scheduler bench.
type SchedulerOptions struct {
	Cases    int           // open cases in the database when the run starts
	Rate     int           // cases coming due per second during the run
	Duration time.Duration // how long cases keep coming due
	Tick     time.Duration // the scheduler's interval (the server's is 1 s)
	Batch    int           // cases per Tick call (the server's is 500)
	Seed     uint64
}

// Validate refuses options that make no sense.
func (o *SchedulerOptions) Validate() error {
	var v wangge.Validation
	if o.Cases < 1 || o.Cases > 100_000_000 {
		v.Add("cases", "from 1 to 100,000,000")
	}
	if o.Rate < 1 || o.Rate > 1_000_000 {
		v.Add("rate", "from 1 to 1,000,000 cases per second")
	}
	if o.Duration <= 0 {
		v.Add("seconds", "must be positive")
	}
	if o.Tick <= 0 || o.Tick > time.Minute {
		v.Add("tick", "from 1ms to 1m")
	}
	if o.Batch < 1 {
		v.Add("batch", "at least 1")
	}
	if v.Err() == nil && o.due() > o.Cases {
		v.Add("cases", fmt.Sprintf("at least rate × seconds = %d, the cases that come due during the run", o.due()))
	}
	return v.Err()
}

func (o *SchedulerOptions) due() int { return int(float64(o.Rate) * o.Duration.Seconds()) }

// SchedulerStats is what the scheduler bench adds to a Result.
type SchedulerStats struct {
	OpenCases       int            `json:"open_cases"`
	LoadSeconds     float64        `json:"load_seconds"` // bulk load of the open cases
	LoadRowsPerSec  float64        `json:"load_rows_per_sec"`
	Rate            int            `json:"due_per_sec"`
	Due             int            `json:"due"`       // cases whose next look fell in the run
	ActedDue        int            `json:"acted_due"` // of those, acted on
	Missed          int            `json:"missed"`    // of those, not acted on by the end
	ActedOther      int            `json:"acted_other"`
	Actions         map[string]int `json:"actions"` // timeline actions the scheduler wrote
	Tick            string         `json:"tick"`
	Ticks           int            `json:"ticks"`
	CPUPerTickP50ms float64        `json:"cpu_per_tick_p50_ms"`
	CPUPerTickP99ms float64        `json:"cpu_per_tick_p99_ms"`
	CPUPerTickMaxMs float64        `json:"cpu_per_tick_max_ms"`
	CPUPerCaseMs    float64        `json:"cpu_per_case_ms"`
	TickWallP99ms   float64        `json:"tick_wall_p99_ms"`
	TickWallMaxMs   float64        `json:"tick_wall_max_ms"`
	EventsDropped   int64          `json:"events_dropped"`
}

// SchedulerEnv is the in-process system the scheduler bench drives: a
// seeded database (territory, catalogue, departments) and the case service
// whose Tick the server's scheduler calls. No other scheduler may run on
// the database meanwhile.
type SchedulerEnv struct {
	DB       *sqlstore.DB
	Cases    *caseflow.Service
	Target   *Target   // for the labels of the result
	Progress io.Writer // loading progress; nil for none
}

// Scheduler fills the database with open cases, most of them with their
// next look days ahead and Rate per second coming due during the run, then
// drives the real scheduler (caseflow.Service.Tick, in the loop of
// caseflow.Service.Run: every Tick interval, batches until one is not
// full) and measures how long after its next_check_at each due case was
// acted on, and the process CPU time each tick took.
//
// The cases coming due are handling steps (dispatched, in progress) whose
// deadline has passed: the scheduler's heaviest action, marking them
// overdue and, for categories that say so, escalating them.
func Scheduler(ctx context.Context, env SchedulerEnv, o SchedulerOptions) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	progress := env.Progress
	if progress == nil {
		progress = io.Discard
	}
	f, err := newFiller(ctx, env.DB, env.Cases, o.Seed)
	if err != nil {
		return nil, err
	}
	sys := wangge.NewContextWithUser(ctx, &wangge.User{Username: "system", Role: wangge.RoleAdmin})
	due := o.due()
	background := o.Cases - due
	st := &SchedulerStats{OpenCases: o.Cases, Rate: o.Rate, Due: due, Tick: o.Tick.String(), Actions: map[string]int{}}

	// The open cases, with their next looks well after the run.
	f.now0 = env.DB.Now()
	f.horizon = f.now0.Add(2*time.Hour + o.Duration)
	var bgFirst int64
	if background > 0 {
		fmt.Fprintf(progress, "loading %s open cases...\n", human(float64(background)))
		t0 := time.Now()
		if bgFirst, err = env.DB.LoadCases(sys, background, f.background); err != nil {
			return nil, err
		}
		st.LoadSeconds = time.Since(t0).Seconds()
		st.LoadRowsPerSec = float64(background) / st.LoadSeconds
		fmt.Fprintf(progress, "loaded in %.1f s\n", st.LoadSeconds)
	}
	// The cases coming due: loaded just before the run, their next looks
	// from a moment from now on, Rate per second.
	// The lead covers loading them (thousands of rows a second into
	// indexed tables); a load slower than that shows as lag.
	f.start = time.Now().Add(time.Second + time.Duration(due)*200*time.Microsecond)
	f.every = time.Second / time.Duration(o.Rate)
	streamFirst, err := env.DB.LoadCases(sys, due, f.stream)
	if err != nil {
		return nil, err
	}
	last := f.start.Add(time.Duration(due-1) * f.every)
	fmt.Fprintf(progress, "%d cases come due from %s to %s\n", due, f.start.Format("15:04:05.000"), last.Format("15:04:05.000"))

	// When each case was acted on: the broker publishes every committed
	// change of the case service.
	type seen struct {
		id     int64
		at     time.Time
		action string
	}
	events, unsubscribe := env.Cases.Broker.Subscribe()
	var recs []seen
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for ev := range events {
			recs = append(recs, seen{ev.Case.ID, time.Now(), ev.Action})
		}
	}()

	var cpu, wall []time.Duration
	var acted int64
	end := last.Add(o.Tick)
	drainUntil := end.Add(10 * time.Second)
	ticker := time.NewTicker(o.Tick)
	var tickErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-ticker.C:
		}
		c0, w0 := cpuTime(), time.Now()
		for {
			n, err := env.Cases.Tick(ctx, env.DB.Now(), o.Batch)
			acted += int64(n)
			if err != nil {
				tickErr = err
				break loop
			}
			if n < o.Batch {
				break
			}
		}
		cpu, wall = append(cpu, cpuTime()-c0), append(wall, time.Since(w0))
		now := time.Now()
		if now.After(drainUntil) || (now.After(end) && int(acted) >= due) {
			break
		}
	}
	ticker.Stop()
	runEnd := time.Now()
	unsubscribe()
	<-consumed
	if tickErr != nil {
		return nil, fmt.Errorf("scheduler tick: %w", tickErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Lag behind each case's next look: the stream's are known by
	// construction, the others' recomputed from their generator.
	var lags []time.Duration
	done := map[int64]bool{}
	var c wangge.Case
	for _, s := range recs {
		if done[s.id] {
			continue
		}
		done[s.id] = true
		st.Actions[s.action]++
		switch {
		case s.id >= streamFirst && s.id < streamFirst+int64(due):
			st.ActedDue++
			lags = append(lags, s.at.Sub(f.start.Add(time.Duration(s.id-streamFirst)*f.every)))
		case background > 0 && s.id >= bgFirst && s.id < bgFirst+int64(background):
			st.ActedOther++
			c = wangge.Case{}
			f.background(int(s.id-bgFirst), &c)
			if c.NextCheckAt != nil {
				lags = append(lags, s.at.Sub(*c.NextCheckAt))
			}
		}
	}
	st.EventsDropped = acted - int64(len(recs))
	st.Missed = due - st.ActedDue
	st.Ticks = len(cpu)
	var total time.Duration
	for _, d := range cpu {
		total += d
	}
	slices.Sort(cpu)
	slices.Sort(wall)
	st.CPUPerTickP50ms, st.CPUPerTickP99ms = ms(percentile(cpu, 0.5)), ms(percentile(cpu, 0.99))
	st.TickWallP99ms = ms(percentile(wall, 0.99))
	if len(cpu) > 0 {
		st.CPUPerTickMaxMs, st.TickWallMaxMs = ms(cpu[len(cpu)-1]), ms(wall[len(wall)-1])
	}
	if acted > 0 {
		st.CPUPerCaseMs = ms(total / time.Duration(acted))
	}

	r := newResult("scheduler", env.Target)
	// The window is from the first next look to the end of the last tick.
	r.Measure = summarize("scheduler lag", lags, 0, "", runEnd.Sub(f.start))
	r.Ops = acted
	r.OpsPerSec = float64(acted) / r.Seconds
	r.Scheduler = st
	r.Notes = append(r.Notes, "p50_ms/p99_ms/max_ms are the lag between a case's next_check_at and the commit of the scheduler's action on it; ops are the cases acted on")
	if st.EventsDropped > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the broker dropped %d events: those cases have no lag sample", st.EventsDropped))
	}
	r.finish(env.Target)
	return r, nil
}
