package webui_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"github.com/wangge/wangge/internal/app"
)

// TestPanZoom measures panning and zooming the command centre's map with
// 10,000 open cases, when WANGGE_MEASURE_MAP=1. Each run reloads the page,
// waits until the map's data is fetched, the charts are drawn and
// the page has been quiet for a second, then drags and wheel-zooms with the mouse through the DevTools
// protocol, from the county down to the micro-grids and back. It logs, per
// run and as medians, the frames drawn per second, the longest gap between
// two frames, the main thread's long tasks (> 50 ms) and the longest of
// them. It asserts nothing about time: the machine is shared and noisy.
//
// WANGGE_MEASURE_MAP_BASELINE=DIR also serves the front end from the
// directory DIR (say an older web/static checked out with git archive) on a
// second server over the same database, and alternates the runs between
// the two, so that both are measured under the same load.
// WANGGE_MEASURE_MAP_RUNS sets the number of runs of each (5), and
// WANGGE_MEASURE_MAP_PROFILE=DIR writes a JavaScript CPU profile of each
// first run there (open it in the DevTools' Performance panel) and logs
// the functions that took the most time; WANGGE_MEASURE_MAP_TRACE=DIR
// writes a Chrome trace of each run there and logs what the long tasks
// were made of.
func TestPanZoom(t *testing.T) {
	if os.Getenv("WANGGE_MEASURE_MAP") != "1" {
		t.Skip("set WANGGE_MEASURE_MAP=1 to measure panning and zooming the command centre's map")
	}
	browser(t)
	f := demoCounty(t, 10000)
	type site struct {
		name, base string
		desk       context.Context
		runs       []panZoomRun
	}
	sites := []*site{{name: "current", base: f.base}}
	if dir := os.Getenv("WANGGE_MEASURE_MAP_BASELINE"); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("WANGGE_WEB_DIR", abs)
		srv, err := app.Start(context.Background(), f.srv.DB, "127.0.0.1:0", quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		sites = append(sites, &site{name: "baseline " + dir, base: srv.URL})
	}
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("WANGGE_MEASURE_MAP_RUNS")); err == nil && n > 0 {
		runs = n
	}
	profileDir := os.Getenv("WANGGE_MEASURE_MAP_PROFILE")
	for _, s := range sites {
		s.desk = tab(t)
		do(t, s.desk, "viewport", chromedp.EmulateViewport(1600, 1000))
		login(t, s.desk, s.base, "/", "operator")
	}
	for i := range runs {
		for _, s := range sites {
			profile := ""
			if profileDir != "" && i == 0 {
				profile = filepath.Join(profileDir, strings.Fields(s.name)[0]+".cpuprofile")
			}
			trace := ""
			if dir := os.Getenv("WANGGE_MEASURE_MAP_TRACE"); dir != "" {
				trace = filepath.Join(dir, fmt.Sprintf("%s-%d.trace.json", strings.Fields(s.name)[0], i+1))
			}
			r := panZoom(t, s.desk, s.base, profile, trace)
			s.runs = append(s.runs, r)
			t.Logf("%s, run %d: %s", s.name, i+1, r)
		}
	}
	for _, s := range sites {
		med := func(f func(panZoomRun) float64) float64 {
			v := make([]float64, len(s.runs))
			for i, r := range s.runs {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		t.Logf("%s, median of %d: %.0f frames/s, the longest frame gap %.0f ms, %.0f long tasks, the longest %.0f ms; %.0f tasks of 50 ms or more of CPU time, the longest %.0f ms; main thread busy %.0f ms",
			s.name, len(s.runs), med(func(r panZoomRun) float64 { return r.fps }), med(func(r panZoomRun) float64 { return r.worstGap }),
			med(func(r panZoomRun) float64 { return float64(len(r.long)) }), med(func(r panZoomRun) float64 { return r.worstLong }),
			med(func(r panZoomRun) float64 { return float64(len(r.cpu)) }), med(func(r panZoomRun) float64 { return slices.Max(append([]float64{0}, r.cpu...)) }),
			med(func(r panZoomRun) float64 { return r.busy["TaskDuration"] }))
	}
}

// panZoomRun is what one scripted sequence measured.
type panZoomRun struct {
	seconds   float64
	frames    int
	fps       float64
	worstGap  float64   // ms between two frames, the longest
	long      []float64 // durations of the long tasks, ms
	worstLong float64
	zooms     []float64          // the zoom levels visited
	busy      map[string]float64 // ms of the main thread by the browser's own count: all tasks, script, layout, style
	cpu       []float64          // CPU ms of each of the main thread's tasks of 50 ms or more of CPU time
}

// taskCPU returns the CPU time (ms) of each task of a renderer main thread
// that took 50 ms or more of it, from a trace of the "toplevel" category.
func taskCPU(raw []json.RawMessage) []float64 {
	type event struct {
		Name string          `json:"name"`
		Ph   string          `json:"ph"`
		Tdur float64         `json:"tdur"`
		Pid  int             `json:"pid"`
		Tid  int             `json:"tid"`
		Args json.RawMessage `json:"args"`
	}
	type thread struct{ pid, tid int }
	main := map[thread]bool{}
	var tasks []event
	for _, r := range raw {
		var e event
		if json.Unmarshal(r, &e) != nil {
			continue
		}
		switch {
		case e.Ph == "M" && e.Name == "thread_name":
			var a struct{ Name string }
			json.Unmarshal(e.Args, &a)
			if a.Name == "CrRendererMain" {
				main[thread{e.Pid, e.Tid}] = true
			}
		case e.Ph == "X" && e.Name == "ThreadControllerImpl::RunTask":
			tasks = append(tasks, e)
		}
	}
	var out []float64
	for _, e := range tasks {
		if main[thread{e.Pid, e.Tid}] && e.Tdur >= 50000 {
			out = append(out, math.Round(e.Tdur/1000))
		}
	}
	return out
}

// metrics reads the browser's running totals of the page's main thread
// (seconds spent in tasks, script, layout and style).
func metrics(t *testing.T, desk context.Context) map[string]float64 {
	t.Helper()
	m := map[string]float64{}
	do(t, desk, "metrics", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		res, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
		for _, x := range res.Metrics {
			m[x.Name] = x.Value
		}
		return chromedp.Void{}, err
	})
	return m
}

func (r panZoomRun) String() string {
	return fmt.Sprintf("%d frames in %.1f s (%.0f/s), the longest frame gap %.0f ms, %d long tasks %v, the longest %.0f ms; tasks of 50 ms or more of CPU time %v; main thread busy %.0f ms (script %.0f, layout %.0f, style %.0f); zooms %v",
		r.frames, r.seconds, r.fps, r.worstGap, len(r.long), r.long, r.worstLong, r.cpu,
		r.busy["TaskDuration"], r.busy["ScriptDuration"], r.busy["LayoutDuration"], r.busy["RecalcStyleDuration"], r.zooms)
}

// panZoom reloads the command centre, waits for it to settle and runs the
// sequence: at each step a mouse drag, then a wheel zoom, in twice (to the
// micro-grids) and out twice, two rounds.
func panZoom(t *testing.T, desk context.Context, base, profile, trace string) panZoomRun {
	t.Helper()
	do(t, desk, "reload", chromedp.Navigate(base+"/#/dashboard"), chromedp.Reload(), chromedp.WaitReady(css(`body[data-points="1"]`)))
	// Settled: the map's data fetched and no long task for a second.
	eval[bool](t, desk, `(() => {
		window.__lastLong = performance.now()
		new PerformanceObserver(l => { for (const e of l.getEntries()) window.__lastLong = Math.max(window.__lastLong, e.startTime + e.duration) }).observe({ type: 'longtask' })
		return true })()`)
	// The charts come last; drawing them is a long task of its own.
	waitJS(t, desk, "charts", `document.querySelectorAll('.charts .panel').length >= 3`)
	waitJS(t, desk, "quiet", `performance.now() - window.__lastLong > 1000`)

	eval[bool](t, desk, `(() => {
		window.__long = []; window.__frames = []; window.__zooms = []; window.__errors = []; window.__measuring = true
		window.addEventListener('error', e => window.__errors.push(String(e.message)))
		window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)))
		new PerformanceObserver(l => { if (window.__measuring) for (const e of l.getEntries()) window.__long.push(Math.round(e.duration)) }).observe({ type: 'longtask' })
		const tick = now => { if (!window.__measuring) return; window.__frames.push(now); requestAnimationFrame(tick) }; requestAnimationFrame(tick)
		window.__t0 = performance.now()
		return true })()`)
	if profile != "" {
		do(t, desk, "start the profiler", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			if _, err := chromedp.Call(ctx, profiler.Enable, cdp.Empty{}); err != nil {
				return chromedp.Void{}, err
			}
			if _, err := chromedp.Call(ctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 200}); err != nil {
				return chromedp.Void{}, err
			}
			_, err := chromedp.Call(ctx, profiler.Start, cdp.Empty{})
			return chromedp.Void{}, err
		})
	}
	// The browser's record of the page's tasks, with the CPU time of each:
	// unlike their length, it hardly changes when other programs take the
	// processors. With WANGGE_MEASURE_MAP_TRACE, a full trace.
	categories := []string{"toplevel"}
	if trace != "" {
		categories = append(categories, "devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc", "v8")
	}
	stopTrace := startTrace(t, desk, categories)
	before := metrics(t, desk)
	box := eval[map[string]float64](t, desk, `(() => { const r = document.querySelector('.leaflet-container').getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 } })()`)
	x, y := box["x"], box["y"]
	for i := range 8 {
		dx := float64(120 * (1 - 2*(i%2)))
		acts := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1))}
		for k := 1; k <= 10; k++ {
			acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x+dx*float64(k)/10, y+dx*float64(k)/20, chromedp.ButtonLeft))
		}
		acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x+dx, y+dx/2, chromedp.ButtonLeft, chromedp.ClickCount(1)))
		do(t, desk, "pan", acts...)
		// In, in, out, out: 240 px of wheel is 2.5 zoom levels.
		delta := -240.0
		if i%4 >= 2 {
			delta = 240
		}
		// (The protocol wants deltaX too, and drops a zero.)
		do(t, desk, "zoom", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, x, y, func(p *input.DispatchMouseEventParams) { p.DeltaX, p.DeltaY = 1e-6, delta }),
			chromedp.Sleep(600*time.Millisecond))
		eval[bool](t, desk, `(() => { window.__zooms.push(Number(document.querySelector('.leaflet-container').dataset.zoom ?? -1)); return true })()`)
	}
	js := eval[map[string]json.RawMessage](t, desk, `(() => { window.__measuring = false; return { t: performance.now() - window.__t0, frames: window.__frames, long: window.__long, zooms: window.__zooms, errors: window.__errors } })()`)
	var r panZoomRun
	after := metrics(t, desk)
	events := stopTrace()
	r.cpu = taskCPU(events)
	if trace != "" {
		b, _ := json.Marshal(map[string]any{"traceEvents": events})
		if err := os.WriteFile(trace, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("trace written to %s; the main thread's time by event, without what the event called:\n%s", trace, traceSelfTimes(events, 25))
	}
	r.busy = map[string]float64{}
	for _, k := range []string{"TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration"} {
		r.busy[k] = (after[k] - before[k]) * 1000
	}
	var errs []string
	json.Unmarshal(js["errors"], &errs)
	for _, e := range errs {
		t.Errorf("script error while panning and zooming: %s", e)
	}
	var ms float64
	var frames []float64
	for k, v := range map[string]any{"t": &ms, "frames": &frames, "long": &r.long, "zooms": &r.zooms} {
		if err := json.Unmarshal(js[k], v); err != nil {
			t.Fatalf("measurement %s: %v", k, err)
		}
	}
	r.seconds, r.frames = ms/1000, len(frames)
	r.fps = float64(len(frames)) / r.seconds
	for i := 1; i < len(frames); i++ {
		r.worstGap = max(r.worstGap, frames[i]-frames[i-1])
	}
	for _, d := range r.long {
		r.worstLong = max(r.worstLong, d)
	}
	if profile != "" {
		var p *profiler.Profile
		do(t, desk, "stop the profiler", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			res, err := chromedp.Call(ctx, profiler.Stop, cdp.Empty{})
			p = res.Profile
			return chromedp.Void{}, err
		})
		b, _ := json.Marshal(p)
		if err := os.WriteFile(profile, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("CPU profile written to %s\n%s", profile, topFunctions(p, 25))
		shot, err := chromedp.Run(desk, chromedp.CaptureScreenshot())
		if err == nil {
			os.WriteFile(strings.TrimSuffix(profile, ".cpuprofile")+".png", shot, 0o644)
		}
	}
	return r
}

// topFunctions lists the functions of a CPU profile that took the most
// time, counting the time of what they called (total) and without it
// (self).
func topFunctions(p *profiler.Profile, n int) string {
	parent := map[int64]int64{}
	byID := map[int64]*profiler.ProfileNode{}
	for _, nd := range p.Nodes {
		byID[nd.ID] = nd
		for _, c := range nd.Children {
			parent[c] = nd.ID
		}
	}
	key := func(nd *profiler.ProfileNode) string {
		cf := nd.CallFrame
		name := cf.FunctionName
		if name == "" {
			name = "(anonymous)"
		}
		if cf.URL == "" {
			return name
		}
		return fmt.Sprintf("%s %s:%d", name, filepath.Base(cf.URL), cf.LineNumber+1)
	}
	self, total := map[string]float64{}, map[string]float64{}
	all := 0.0
	for i, s := range p.Samples {
		if i >= len(p.TimeDeltas) {
			break
		}
		// A sample's time is the gap to the next one.
		d := 0.0
		if i+1 < len(p.TimeDeltas) {
			d = float64(p.TimeDeltas[i+1]) / 1000
		}
		nd := byID[s]
		if nd == nil || nd.CallFrame.FunctionName == "(idle)" {
			continue
		}
		all += d
		self[key(nd)] += d
		seen := map[string]bool{}
		for id := s; ; {
			k := key(byID[id])
			if !seen[k] {
				seen[k] = true
				total[k] += d
			}
			pid, ok := parent[id]
			if !ok {
				break
			}
			id = pid
		}
	}
	list := func(m map[string]float64) string {
		type kv struct {
			k string
			v float64
		}
		var s []kv
		for k, v := range m {
			if k != "(root)" {
				s = append(s, kv{k, v})
			}
		}
		slices.SortFunc(s, func(a, b kv) int { return cmp.Compare(b.v, a.v) })
		var b strings.Builder
		for _, e := range s[:min(n, len(s))] {
			fmt.Fprintf(&b, "  %7.1f ms  %s\n", e.v, e.k)
		}
		return b.String()
	}
	return fmt.Sprintf("busy %.0f ms; by total time:\n%sby self time:\n%s", all, list(total), list(self))
}

// startTrace records a Chrome trace of the categories given until the
// function it returns is called, which returns the trace's events (written
// as {"traceEvents": [...]}, the DevTools' Performance panel loads them).
func startTrace(t *testing.T, desk context.Context, categories []string) func() []json.RawMessage {
	t.Helper()
	var mu sync.Mutex
	var events []json.RawMessage
	done := make(chan struct{})
	lctx, cancel := context.WithCancel(desk)
	if err := chromedp.Listen(lctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range e.Value {
				events = append(events, json.RawMessage(v))
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(done)
		}
	}); err != nil {
		t.Fatal(err)
	}
	do(t, desk, "start tracing", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, tracing.Start, tracing.StartParams{TransferMode: tracing.StartTransferModeReportEvents, TraceConfig: &tracing.TraceConfig{
			IncludedCategories: categories}})
		return chromedp.Void{}, err
	})
	return func() []json.RawMessage {
		defer cancel()
		do(t, desk, "stop tracing", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Call(ctx, tracing.End, cdp.Empty{})
			return chromedp.Void{}, err
		})
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the trace did not complete")
		}
		mu.Lock()
		defer mu.Unlock()
		return events
	}
}

// traceSelfTimes adds up, on the renderer main threads, the time of each
// kind of complete event less the time of the events nested in it.
func traceSelfTimes(raw []json.RawMessage, n int) string {
	type event struct {
		Name string          `json:"name"`
		Ph   string          `json:"ph"`
		Ts   float64         `json:"ts"`
		Dur  float64         `json:"dur"`
		Pid  int             `json:"pid"`
		Tid  int             `json:"tid"`
		Args json.RawMessage `json:"args"`
	}
	type thread struct{ pid, tid int }
	main := map[thread]bool{}
	var all []event
	for _, r := range raw {
		var e event
		if json.Unmarshal(r, &e) != nil {
			continue
		}
		if e.Ph == "M" && e.Name == "thread_name" {
			var a struct{ Name string }
			json.Unmarshal(e.Args, &a)
			if a.Name == "CrRendererMain" {
				main[thread{e.Pid, e.Tid}] = true
			}
		}
		if e.Ph == "X" {
			all = append(all, e)
		}
	}
	byThread := map[thread][]event{}
	for _, e := range all {
		if k := (thread{e.Pid, e.Tid}); main[k] {
			byThread[k] = append(byThread[k], e)
		}
	}
	// The self time of each kind of event, over the whole trace and within
	// each top-level task that took more than 50 ms.
	self := map[string]float64{}
	type task struct {
		ts, dur float64
		self    map[string]float64
	}
	var long []task
	t0 := math.Inf(1)
	for _, evs := range byThread {
		slices.SortFunc(evs, func(a, b event) int { return cmp.Or(cmp.Compare(a.Ts, b.Ts), cmp.Compare(b.Dur, a.Dur)) })
		if len(evs) > 0 {
			t0 = min(t0, evs[0].Ts)
		}
		type open struct {
			end  float64
			name string
		}
		var stack []open
		var cur *task
		for _, e := range evs {
			for len(stack) > 0 && stack[len(stack)-1].end <= e.Ts {
				stack = stack[:len(stack)-1]
			}
			name := e.Name
			if name == "FunctionCall" {
				var a struct {
					Data struct {
						FunctionName string
						URL          string
						LineNumber   int
					}
				}
				json.Unmarshal(e.Args, &a)
				name = fmt.Sprintf("FunctionCall %s %s:%d", a.Data.FunctionName, filepath.Base(a.Data.URL), a.Data.LineNumber)
			}
			if len(stack) == 0 {
				cur = nil
				if e.Dur > 50000 {
					long = append(long, task{e.Ts, e.Dur, map[string]float64{}})
					cur = &long[len(long)-1]
				}
			}
			if len(stack) > 0 {
				self[stack[len(stack)-1].name] -= e.Dur
				if cur != nil {
					cur.self[stack[len(stack)-1].name] -= e.Dur
				}
			}
			self[name] += e.Dur
			if cur != nil {
				cur.self[name] += e.Dur
			}
			stack = append(stack, open{e.Ts + e.Dur, name})
		}
	}
	var lb strings.Builder
	slices.SortFunc(long, func(a, b task) int { return cmp.Compare(a.ts, b.ts) })
	for _, l := range long {
		type kv struct {
			k string
			v float64
		}
		var top []kv
		for k, v := range l.self {
			top = append(top, kv{k, v / 1000})
		}
		slices.SortFunc(top, func(a, b kv) int { return cmp.Compare(b.v, a.v) })
		fmt.Fprintf(&lb, "  at %6.0f ms, %4.0f ms:", (l.ts-t0)/1000, l.dur/1000)
		for _, e := range top[:min(5, len(top))] {
			fmt.Fprintf(&lb, " %s %.0f;", e.k, e.v)
		}
		lb.WriteString("\n")
	}
	type kv struct {
		k string
		v float64
	}
	var s []kv
	for k, v := range self {
		s = append(s, kv{k, v / 1000})
	}
	slices.SortFunc(s, func(a, b kv) int { return cmp.Compare(b.v, a.v) })
	var b strings.Builder
	for _, e := range s[:min(n, len(s))] {
		fmt.Fprintf(&b, "  %7.1f ms  %s\n", e.v, e.k)
	}
	fmt.Fprintf(&b, "the tasks over 50 ms and what took their time (ms):\n%s", lb.String())
	return b.String()
}
