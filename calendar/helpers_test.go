package calendar_test

import (
	"testing"
	"time"

	// The tests need America/New_York and Asia/Shanghai on any machine,
	// including one without a system tz database.
	_ "time/tzdata"

	"github.com/wangge/wangge/calendar"
)

const layout = "2006-01-02 15:04"

var monFri = [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}

var everyDay = [7]bool{true, true, true, true, true, true, true}

var wholeDay = []calendar.Hours{{Start: 0, End: 24 * time.Hour}}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

// at parses "2006-01-02 15:04" as a local time of c.
func at(t testing.TB, c *calendar.Calendar, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation(layout, s, c.Location())
	if err != nil {
		t.Fatalf("ParseInLocation(%q): %v", s, err)
	}
	return v
}

func mustNew(t testing.TB, loc *time.Location, week [7]bool, hours []calendar.Hours, ov []calendar.Override) *calendar.Calendar {
	t.Helper()
	c, err := calendar.New(loc, week, hours, ov)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func date(t testing.TB, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

// boston is a whole-day business calendar in Boston for 2011, with the
// federal holidays of the second half-year as overrides, for testing
// overrides in a zone with daylight saving. (The city's 311 clock itself
// skipped none of them: see internal/boston.)
func boston(t testing.TB) *calendar.Calendar {
	t.Helper()
	var ov []calendar.Override
	for _, h := range []struct{ date, name string }{
		{"2011-07-04", "Independence Day"},
		{"2011-09-05", "Labor Day"},
		{"2011-10-10", "Columbus Day"},
		{"2011-11-11", "Veterans Day"},
		{"2011-11-24", "Thanksgiving Day"},
		{"2011-12-26", "Christmas Day (observed)"},
	} {
		ov = append(ov, calendar.Override{Date: date(t, h.date), Kind: calendar.Holiday, Name: h.name})
	}
	return mustNew(t, mustLoad(t, "America/New_York"), monFri, wholeDay, ov)
}

// wantTime fails unless got is the instant want, written "2006-01-02 15:04"
// in c's location, and is in c's location.
func wantTime(t *testing.T, c *calendar.Calendar, got time.Time, want string) {
	t.Helper()
	w := at(t, c, want)
	if !got.Equal(w) {
		t.Errorf("got %s, want %s", got.Format(layout+" MST"), w.Format(layout+" MST"))
	}
	if got.Location() != c.Location() {
		t.Errorf("result in %s, want the calendar's %s", got.Location(), c.Location())
	}
}
