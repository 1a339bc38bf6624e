package calendar

import (
	"fmt"
	"strings"
	"time"
)

// Spec is a calendar written as data, the form in which a county's calendar
// is stored and edited:
//
//	{"base": "cn", "overrides": [{"date": "2026-07-01", "kind": "holiday", "name": "..."}]}
//	{"zone": "America/New_York", "weekdays": [1,2,3,4,5], "hours": ["00:00-24:00"],
//	 "start": {"keep_clock": true, "cutoff": "17:00", "morning": "08:30"}}
//
// Base "cn" starts from China(): its zone, week, hours and national
// schedule, with Overrides on top (a county's local days). Without a base,
// Zone, Weekdays and Hours are required and Overrides are the whole list.
type Spec struct {
	Base      string         `json:"base,omitempty"`
	Zone      string         `json:"zone,omitempty"`
	Weekdays  []int          `json:"weekdays,omitempty"` // 0 Sunday .. 6 Saturday
	Hours     []string       `json:"hours,omitempty"`    // "08:30-12:00"
	Overrides []OverrideSpec `json:"overrides,omitempty"`
	Start     *StartSpec     `json:"start,omitempty"`
}

// OverrideSpec is an Override as data.
type OverrideSpec struct {
	Date string  `json:"date"` // 2006-01-02
	Kind DayKind `json:"kind"` // holiday or workday
	Name string  `json:"name,omitempty"`
}

// StartSpec is a StartRule as data; clock readings as "17:00".
type StartSpec struct {
	KeepClock bool   `json:"keep_clock,omitempty"`
	Cutoff    string `json:"cutoff,omitempty"`
	Morning   string `json:"morning,omitempty"`
}

// SpecError is a mistake in a Spec, with the field it is in, such as
// "hours[1]" or "overrides[3].date".
type SpecError struct {
	Field, Msg string
}

func (e *SpecError) Error() string { return "calendar: " + e.Field + ": " + e.Msg }

// Build returns the calendar the spec describes, or a *SpecError.
func (s Spec) Build() (*Calendar, error) {
	var ov []Override
	for i, o := range s.Overrides {
		d, err := ParseDate(o.Date)
		if err != nil {
			return nil, &SpecError{fmt.Sprintf("overrides[%d].date", i), "a date as 2006-01-02 is required"}
		}
		if o.Kind != Holiday && o.Kind != Workday {
			return nil, &SpecError{fmt.Sprintf("overrides[%d].kind", i), `"holiday" or "workday"`}
		}
		ov = append(ov, Override{Date: d, Kind: o.Kind, Name: o.Name})
	}
	var c *Calendar
	switch s.Base {
	case "cn":
		if s.Zone != "" || len(s.Weekdays) > 0 || len(s.Hours) > 0 {
			return nil, &SpecError{"base", "a base calendar takes only overrides and a start rule"}
		}
		seen := map[Date]int{}
		for i, o := range ov {
			if j, dup := seen[o.Date]; dup {
				return nil, &SpecError{fmt.Sprintf("overrides[%d].date", i), fmt.Sprintf("duplicate of overrides[%d]", j)}
			}
			seen[o.Date] = i
		}
		c = China().WithOverrides(ov)
	case "":
		if s.Zone == "" {
			return nil, &SpecError{"zone", "required (an IANA time zone such as Asia/Shanghai), or base \"cn\""}
		}
		loc, err := time.LoadLocation(s.Zone)
		if err != nil {
			return nil, &SpecError{"zone", fmt.Sprintf("unknown time zone %q", s.Zone)}
		}
		var week [7]bool
		for i, d := range s.Weekdays {
			if d < 0 || d > 6 {
				return nil, &SpecError{fmt.Sprintf("weekdays[%d]", i), "0 (Sunday) to 6 (Saturday)"}
			}
			week[d] = true
		}
		if len(s.Weekdays) == 0 {
			return nil, &SpecError{"weekdays", "at least one weekday must be worked"}
		}
		var hours []Hours
		for i, h := range s.Hours {
			a, b, ok := strings.Cut(h, "-")
			start, err1 := parseClock(a)
			end, err2 := parseClock(b)
			if !ok || err1 != nil || err2 != nil {
				return nil, &SpecError{fmt.Sprintf("hours[%d]", i), `an interval such as "08:30-12:00"`}
			}
			hours = append(hours, Hours{Start: start, End: end})
		}
		if len(hours) == 0 {
			return nil, &SpecError{"hours", `the working hours are required, such as ["08:30-12:00", "14:00-17:30"]`}
		}
		c, err = New(loc, week, hours, ov)
		if err != nil {
			return nil, &SpecError{"hours", strings.TrimPrefix(err.Error(), "calendar: ")}
		}
	default:
		return nil, &SpecError{"base", fmt.Sprintf("unknown base %q (known: cn)", s.Base)}
	}
	if s.Start != nil {
		var r StartRule
		var err error
		r.KeepClock = s.Start.KeepClock
		if s.Start.Cutoff != "" {
			if r.Cutoff, err = parseClock(s.Start.Cutoff); err != nil {
				return nil, &SpecError{"start.cutoff", `a clock reading such as "17:00"`}
			}
		}
		if s.Start.Morning != "" {
			if r.Morning, err = parseClock(s.Start.Morning); err != nil {
				return nil, &SpecError{"start.morning", `a clock reading such as "08:30"`}
			}
		}
		if c, err = c.WithStart(r); err != nil {
			return nil, &SpecError{"start", strings.TrimPrefix(err.Error(), "calendar: start rule: ")}
		}
	}
	return c, nil
}

// parseClock reads "08:30" or "24:00" as the time since midnight.
func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 {
		return 0, fmt.Errorf("bad clock reading %q", s)
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad clock reading %q", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}
