// Package bench is the whole-system load harness behind `wangge bench`: it
// drives a wangge server over loopback HTTP, or its scheduler in-process,
// and reports throughput, latency percentiles and memory for people and as
// one JSON object.
//
// Each bench is a function from a Target (where the server is, what it
// holds) and its options to a Result. A new bench (dashboard, mixed) is one
// more such function and one more case in the command.
package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Measure is one measured load: how many operations succeeded in how long,
// and their latency percentiles.
type Measure struct {
	Name       string  `json:"name,omitempty"`
	Ops        int64   `json:"ops"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	FirstError string  `json:"first_error,omitempty"`
}

// Result is what a bench reports. The embedded Measure is the headline:
// reports filed, lookups answered over HTTP, or cases the scheduler acted
// on (whose latency is the lag behind their deadlines).
type Result struct {
	Bench   string `json:"bench"`
	Target  string `json:"target"` // "in-process" or the URL benched
	DB      string `json:"db,omitempty"`
	Via     string `json:"via,omitempty"` // how reports were posted
	Clients int    `json:"clients,omitempty"`
	Measure
	// Baseline is the bare net/http handler measured in the same run with
	// the same client; Ratio is the headline's ops/s over the baseline's.
	Baseline *Measure `json:"baseline,omitempty"`
	Ratio    float64  `json:"ratio_to_baseline,omitempty"`
	// RawDB is the raw-database baseline (Target.RawInsert) in the same
	// run; RatioRawDB is the headline's ops/s over its.
	RawDB      *Measure        `json:"raw_database,omitempty"`
	RatioRawDB float64         `json:"ratio_to_raw_database,omitempty"`
	InProcess  *Measure        `json:"in_process,omitempty"` // locate: the locator called directly
	Scheduler  *SchedulerStats `json:"scheduler,omitempty"`
	// Endpoints are the dashboard's requests, each view's each.
	Endpoints []Measure   `json:"endpoints,omitempty"`
	Mixed     *MixedStats `json:"mixed,omitempty"`
	MaxRSSMB  float64     `json:"max_rss_mb"`
	RSSOf     string      `json:"rss_of"` // which process max_rss_mb is of
	Notes     []string    `json:"notes,omitempty"`
	Version   string      `json:"version,omitempty"`
	GoVersion string      `json:"go_version"`
	CPUs      int         `json:"cpus"`
	Started   time.Time   `json:"started"`
}

func newResult(bench string, t *Target) *Result {
	return &Result{Bench: bench, Target: t.Label(), DB: t.DB, Version: t.Version, GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Started: time.Now().UTC()}
}

// finish records the memory high-water mark.
func (r *Result) finish(t *Target) {
	r.MaxRSSMB = maxRSSMB()
	switch {
	case r.Bench == "scheduler" && strings.HasPrefix(t.DB, "postgres"):
		r.RSSOf = "this process: the bulk load and the scheduler; PostgreSQL's own processes are not counted (VmHWM)"
	case r.Bench == "scheduler":
		r.RSSOf = "this process: the database (SQLite runs in it), the bulk load and the scheduler (VmHWM)"
	case t.InProcess && strings.HasPrefix(t.DB, "postgres"):
		r.RSSOf = "this process: the server and the load generator together; PostgreSQL's own processes are not counted (VmHWM)"
	case t.InProcess:
		r.RSSOf = "this process: the server (with SQLite) and the load generator together (VmHWM)"
	default:
		r.RSSOf = "this process: the load generator only; the target's memory is not measured (VmHWM)"
	}
}

// WriteJSON writes the result as one JSON object on one line.
func (r *Result) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(r)
}

// WriteText writes the result for people.
func (r *Result) WriteText(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "wangge bench %s — %s", r.Bench, r.Target)
	if r.DB != "" {
		fmt.Fprintf(b, ", %s", r.DB)
	}
	fmt.Fprintf(b, " (%d CPUs, %s, %s)\n", r.CPUs, r.GoVersion, r.Version)
	switch r.Bench {
	case "intake":
		fmt.Fprintf(b, "  reports via %s, %d concurrent clients\n", r.Via, r.Clients)
		writeMeasure(b, "server", "reports", &r.Measure)
		if r.Baseline != nil {
			writeMeasure(b, "bare handler", "posts", r.Baseline)
			fmt.Fprintf(b, "  ratio to the bare handler: %.3f (%.1f %% of its throughput)\n", r.Ratio, 100*r.Ratio)
		}
		if r.RawDB != nil {
			writeMeasure(b, "raw database", "rows", r.RawDB)
			fmt.Fprintf(b, "  ratio to the raw database: %.3f (one durable row of a case's width, its key only, same writer)\n", r.RatioRawDB)
		}
	case "locate":
		if r.InProcess != nil {
			fmt.Fprintf(b, "  in-process (one goroutine): %s lookups/s, %.0f ns/lookup; p50 %.4f ms, p99 %.4f ms per lookup (batches of %d)\n",
				human(r.InProcess.OpsPerSec), 1e9/r.InProcess.OpsPerSec, r.InProcess.P50ms, r.InProcess.P99ms, locateBatch)
		}
		fmt.Fprintf(b, "  over HTTP, %d concurrent clients:\n", r.Clients)
		writeMeasure(b, "GET /api/v1/locate", "lookups", &r.Measure)
	case "scheduler":
		s := r.Scheduler
		fmt.Fprintf(b, "  %d open cases (loaded in %.1f s, %s rows/s); %d came due during the run at %d/s; tick every %s\n",
			s.OpenCases, s.LoadSeconds, human(s.LoadRowsPerSec), s.Due, s.Rate, s.Tick)
		fmt.Fprintf(b, "  acted on %d of them (%d other cases); lag behind next_check_at: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			s.ActedDue, s.ActedOther, r.P50ms, r.P99ms, r.MaxMs)
		acts := make([]string, 0, len(s.Actions))
		for a, n := range s.Actions {
			acts = append(acts, fmt.Sprintf("%s %d", a, n))
		}
		slices.Sort(acts)
		fmt.Fprintf(b, "  actions written: %s\n", strings.Join(acts, ", "))
		fmt.Fprintf(b, "  %d ticks; process CPU per tick: p50 %.2f ms, p99 %.2f ms, max %.2f ms; %.3f ms CPU per case acted on\n",
			s.Ticks, s.CPUPerTickP50ms, s.CPUPerTickP99ms, s.CPUPerTickMaxMs, s.CPUPerCaseMs)
		if s.Missed > 0 || s.EventsDropped > 0 {
			fmt.Fprintf(b, "  %d due cases not acted on by the end; %d broker events dropped (no lag sample for those)\n", s.Missed, s.EventsDropped)
		}
	case "dashboard":
		fmt.Fprintf(b, "  every request of the command centre, %d screens at once:\n", r.Clients)
		for _, m := range r.Endpoints {
			fmt.Fprintf(b, "  %-44s p50 %7.2f ms   p99 %7.2f ms   max %7.1f ms   (%d)", m.Name, m.P50ms, m.P99ms, m.MaxMs, m.Ops)
			if m.Errors > 0 {
				fmt.Fprintf(b, "; %d errors (first: %s)", m.Errors, m.FirstError)
			}
			fmt.Fprintln(b)
		}
		writeMeasure(b, "all together", "requests", &r.Measure)
	case "mixed":
		writeMeasure(b, "all operations", "ops", &r.Measure)
		r.Mixed.writeText(b, r)
	default:
		writeMeasure(b, r.Bench, "ops", &r.Measure)
	}
	fmt.Fprintf(b, "  max RSS %.0f MB: %s\n", r.MaxRSSMB, r.RSSOf)
	for _, n := range r.Notes {
		fmt.Fprintf(b, "  note: %s\n", n)
	}
	return b.Flush()
}

func writeMeasure(w io.Writer, name, what string, m *Measure) {
	fmt.Fprintf(w, "  %-20s %9d %s in %.1f s = %s/s; latency p50 %.2f ms, p99 %.2f ms, max %.1f ms",
		name+":", m.Ops, what, m.Seconds, human(m.OpsPerSec), m.P50ms, m.P99ms, m.MaxMs)
	if m.Errors > 0 {
		fmt.Fprintf(w, "; %d errors (first: %s)", m.Errors, m.FirstError)
	}
	fmt.Fprintln(w)
}

// human formats a rate with thousands separators.
func human(x float64) string {
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// summarize turns latencies of successful operations over a window into a
// Measure.
func summarize(name string, lat []time.Duration, errors int64, firstErr string, window time.Duration) Measure {
	m := Measure{Name: name, Ops: int64(len(lat)), Errors: errors, Seconds: window.Seconds(), FirstError: firstErr}
	if window > 0 {
		m.OpsPerSec = float64(len(lat)) / window.Seconds()
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		m.P50ms = ms(percentile(lat, 0.50))
		m.P99ms = ms(percentile(lat, 0.99))
		m.MaxMs = ms(lat[len(lat)-1])
	}
	return m
}

// percentile returns the q-quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// maxRSSMB is the peak resident set of this process, from VmHWM in
// /proc/self/status (Linux); elsewhere, from getrusage.
func maxRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
						return math.Round(kb/1024*10) / 10
					}
				}
			}
		}
	}
	return rusageMaxRSSMB()
}
