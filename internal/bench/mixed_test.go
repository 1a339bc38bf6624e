package bench_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wangge/wangge/internal/app"
)

// TestMixed runs a few seconds of a day at a tiny size and checks that
// every kind of operation of the day happened without an error and that
// the JSON carries the figures; no timing is asserted.
func TestMixed(t *testing.T) {
	for name, dsn := range databases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, "mixed", "--db", dsn, "--scale", "30", "--seconds", "3", "--warmup", "1", "--gap", "50ms", "--visits", "2",
				"--grids", "3", "--persons", "4", "--clients", "32", "--open", "300", "--json")
			if err != nil {
				t.Fatal(err)
			}
			r := decode(t, out)
			m := r.Mixed
			if m == nil {
				t.Fatalf("no mixed part: %s", out)
			}
			if r.Errors != 0 || m.Writes.Errors != 0 || m.Reads.Errors != 0 {
				t.Errorf("errors: %d (first: %s)", r.Errors, r.FirstError)
			}
			for _, field := range []string{`"offered_ops_per_sec"`, `"achieved_ops_per_sec"`, `"sustained"`, `"writes"`, `"reads"`, `"ops"`, `"runs"`} {
				if !strings.Contains(out, field) {
					t.Errorf("JSON lacks %s", field)
				}
			}
			done, offered := map[string]int64{}, map[string]int64{}
			for _, op := range m.Ops {
				done[op.Name], offered[op.Name] = op.Ops, op.Offered
				if op.Ops > op.Offered {
					t.Errorf("%s: %d done of %d offered", op.Name, op.Ops, op.Offered)
				}
			}
			if raceEnabled {
				// Too slow to keep up: the day is planned in full and the
				// first steps are done.
				done = offered
				if r.Ops == 0 {
					t.Error("nothing was done")
				}
			}
			for _, kind := range []string{"report (grid_worker)", "report (resident)", "report (hotline)", "report (open311)",
				"new reports (operator)", "accept", "dispatch", "start", "finish", "self_resolve", "verify_ok", "close", "rate",
				"case page", "task list (grid worker)", "task list (department)", "dashboard refresh", "visit", "visit list"} {
				if done[kind] == 0 {
					t.Errorf("no %s was done: %v", kind, done)
				}
			}
			if m.Scale != 30 || m.MattersPerSec <= 0 || m.Matters == 0 || m.OfferedOps == 0 || len(m.Runs) != 1 || m.Users != 1+12+3 || m.Persons != 12 {
				t.Errorf("mixed %+v", m)
			}
			if r.Ops != m.Writes.Ops+m.Reads.Ops {
				t.Errorf("headline %d ops, writes %d + reads %d", r.Ops, m.Writes.Ops, m.Reads.Ops)
			}
		})
	}
}

// TestMixedRefuses checks nonsense parameters and a target that is not up.
func TestMixedRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mixed", "--scale", "0"}, "--scale"},
		{[]string{"mixed", "--scale", "1,lots"}, "--scale"},
		{[]string{"mixed", "--scale", "1,2", "--find-max"}, "--find-max"},
		{[]string{"mixed", "--gap", "0s"}, "--gap"},
		{[]string{"mixed", "--grids", "0"}, "--grids"},
		{[]string{"mixed", "--clients", "0"}, "--clients"},
		{[]string{"mixed", "--visits", "-1"}, "--visits"},
		{[]string{"mixed", "--write-p99-ms", "-5"}, "--write-p99-ms"},
		{[]string{"mixed", "--target", "http://127.0.0.1:1"}, "--token"},
		{[]string{"mixed", "--target", "http://127.0.0.1:1", "--token", "t", "--open", "10"}, "--open"},
		{[]string{"mixed", "--open", "-1"}, "--open"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || app.ExitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench %v: %v (exit %d), want exit 2 naming %s", tc.args, err, app.ExitCode(err), tc.want)
		}
	}
	start := time.Now()
	_, err := run(t, "mixed", "--target", "http://127.0.0.1:1", "--token", "t")
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s to give up", d)
	}
}
